// The whole deployment as one function: check settings and configuration, then create the machine,
// its firewall and the release. index.ts calls it; tests call it with mocks and chosen settings.

import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { loadSettings, SettingsError, type Environment } from '../bot/src/settings/load.ts';
import { ConfigError, readConfig, type ConfigSource, type DeployConfig } from './config.ts';
import { createMachine } from './droplet.ts';
import { LAYOUT, type CredentialName } from './layout.ts';
import { createFirewall } from './network.ts';
import { collectRelease, ReleaseError } from './release-files.ts';
import { deployRelease } from './release.ts';
import { publicBaseUrl, type Front } from './render/caddyfile.ts';
import { caddySource, nodeSource, renderCloudInit } from './render/cloud-init.ts';
import { renderUnit } from './render/unit.ts';
import { buttonToken } from './token.ts';

export interface StackOptions {
  /** Bundles the bot and returns the path of the bundle (scripts/build.ts in the real program). */
  readonly buildBundle: () => Promise<string>;
  /** Folder that a relative `settings` config value is resolved against: the project's. */
  readonly projectDir: string;
  readonly env?: Environment;
}

export interface StackOutputs {
  readonly buttonUrl: pulumi.Output<string>;
  readonly statusUrl: pulumi.Output<string>;
  readonly ipv4: pulumi.Output<string>;
  readonly sshCommand: pulumi.Output<string>;
  readonly sshPrivateKey: pulumi.Output<string>;
}

export async function stack(options: StackOptions): Promise<StackOutputs> {
  const config = new pulumi.Config();
  const source: ConfigSource = { get: (key) => config.get(key), getSecret: (key) => config.getSecret(key) };

  // Everything that can be wrong on the user's side is checked before the first resource exists.
  const settingsPath = path.resolve(options.projectDir, config.get('settings') ?? 'settings.yaml');
  const settings = userError(() => loadSettings(settingsPath, {}));
  const deploy = userError(() => readConfig(source, options.env ?? process.env, settings));
  const bundlePath = await options.buildBundle();
  const release = userError(() => collectRelease(settings, bundlePath));

  const name = `bttn-${pulumi.getStack().toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  const machine = createMachine(name, {
    region: deploy.region,
    size: deploy.size,
    image: deploy.image,
    userData: renderCloudInit({
      layout: LAYOUT,
      unit: renderUnit(LAYOUT),
      aptSources: [nodeSource(deploy.nodeMajor), caddySource],
    }),
    tags: ['bttn', name],
  });
  const firewall = createFirewall(name, {
    dropletId: machine.droplet.id.apply(Number),
    sshAllowedCidrs: deploy.sshAllowedCidrs,
  });

  const ipv4 = machine.droplet.ipv4Address;
  const front = ipv4.apply((address) => frontFor(deploy, address));
  const token = buttonToken(`${name}-button-token`);
  const { names, values } = credentials(deploy, token);
  const deployed = deployRelease(name, {
    layout: LAYOUT,
    host: ipv4,
    privateKey: machine.privateKey,
    dropletId: machine.droplet.id,
    release,
    front,
    credentials: values,
    credentialNames: names,
    dependsOn: [machine.droplet, firewall],
  });

  // The URLs resolve only once the health check has passed: what is printed works.
  const base = pulumi.all([front, deployed.health.stdout]).apply(([f]) => publicBaseUrl(f));
  return {
    buttonUrl: pulumi.secret(pulumi.interpolate`${base}/press/${token}`),
    statusUrl: pulumi.secret(pulumi.interpolate`${base}/status/${token}`),
    ipv4,
    sshCommand: pulumi.interpolate`mkdir -p ~/.ssh && pulumi stack output --show-secrets sshPrivateKey > ~/.ssh/${name}.key && chmod 600 ~/.ssh/${name}.key && ssh -i ~/.ssh/${name}.key -o IdentitiesOnly=yes root@${ipv4}`,
    sshPrivateKey: machine.privateKey,
  };
}

function frontFor(deploy: DeployConfig, ipv4: string): Front {
  if (!deploy.tls) return { kind: 'http', host: deploy.domain ?? ipv4 };
  return deploy.domain === undefined ? { kind: 'ip', ipv4 } : { kind: 'domain', domain: deploy.domain };
}

function credentials(deploy: DeployConfig, token: pulumi.Output<string>): {
  names: CredentialName[];
  values: pulumi.Output<Record<string, string>>;
} {
  const given: [CredentialName, pulumi.Input<string> | undefined][] = [
    ['BTTN_TOKEN', token],
    ['CISCO_SPARK_BTTN_BOT', deploy.secrets.webexToken],
    ['TWILIO_ACCOUNT_SID', deploy.secrets.twilioAccountSid],
    ['TWILIO_AUTH_TOKEN', deploy.secrets.twilioAuthToken],
  ];
  const present = given.filter((entry): entry is [CredentialName, pulumi.Input<string>] => entry[1] !== undefined);
  const values = pulumi.secret(pulumi.all(present.map(([, value]) => value))
    .apply((resolved) => Object.fromEntries(present.map(([key], i) => [key, resolved[i] ?? '']))));
  return { names: present.map(([key]) => key), values };
}

/** Errors the user fixes (settings, config, files) become Pulumi errors without a stack trace. */
function userError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SettingsError || error instanceof ConfigError || error instanceof ReleaseError) {
      throw new pulumi.RunError(error.message);
    }
    throw error;
  }
}
