// The whole deployment as one function: check settings and configuration, then create the machine,
// its firewall and the release. index.ts calls it; tests call it with mocks and chosen settings.

import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { buttonToken as tokenOfButton } from '../bot/src/config/button-tokens.ts';
import { loadBot, SettingsError, type Environment } from '../bot/src/settings/load.ts';
import { ConfigError, readConfig, type ConfigSource, type DeployConfig } from './config.ts';
import { LAYOUT, type CredentialName } from './layout.ts';
import { Machine } from './machine.ts';
import { collectRelease, ReleaseError } from './release-files.ts';
import { deployRelease } from './release.ts';
import { publicBaseUrl, type Front } from './render/caddyfile.ts';
import { caddySource, nodeSource, renderCloudInit } from './render/cloud-init.ts';
import { buttonToken } from './token.ts';

/** A tag on every droplet of this project, to find them all; a plain name, never created or deleted by a stack. */
export const SHARED_TAG = 'bttn';

export interface StackOptions {
  /** Bundles the bot and returns the path of the bundle (scripts/build.ts in the real program). */
  readonly buildBundle: () => Promise<string>;
  /** Folder that a relative `settings` config value is resolved against: the project's. */
  readonly projectDir: string;
  readonly env?: Environment;
}

export interface StackOutputs {
  /** With settings.yaml's own sequence: its press URL and status page. */
  readonly buttonUrl?: pulumi.Output<string>;
  readonly statusUrl?: pulumi.Output<string>;
  /** With a buttons/ folder: each button's press URL and status page (each with its own token), by name. */
  readonly buttonUrls?: pulumi.Output<Record<string, string>>;
  readonly statusUrls?: pulumi.Output<Record<string, string>>;
  /** The page that lists every button, under BTTN_TOKEN. */
  readonly buttonsUrl: pulumi.Output<string>;
  /** The reserved IP: what the URLs use; it survives a replacement of the droplet. */
  readonly ipv4: pulumi.Output<string>;
  readonly sshCommand: pulumi.Output<string>;
  readonly sshPrivateKey: pulumi.Output<string>;
}

export async function stack(options: StackOptions): Promise<StackOutputs> {
  const config = new pulumi.Config();
  const source: ConfigSource = { get: (key) => config.get(key), getSecret: (key) => config.getSecret(key) };

  // Everything that can be wrong on the user's side is checked before the first resource exists.
  const settingsPath = path.resolve(options.projectDir, config.get('settings') ?? 'settings.yaml');
  const bot = userError(() => loadBot(settingsPath, {}));
  const deploy = userError(() => readConfig(source, options.env ?? process.env, bot.buttons));
  const bundlePath = await options.buildBundle();
  const release = userError(() => collectRelease(bot, bundlePath));

  const name = `bttn-${pulumi.getStack().toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  const { facts: machine } = new Machine(name, {
    region: deploy.region,
    size: deploy.size,
    image: deploy.image,
    userData: (hostKey) => renderCloudInit({ layout: LAYOUT, sources: [nodeSource(deploy.nodeMajor), caddySource], nodeMajor: deploy.nodeMajor, hostKey }),
    stackTag: name,
    sharedTags: [SHARED_TAG],
    sshAllowedCidrs: deploy.sshAllowedCidrs,
    layout: LAYOUT,
  });

  const front = machine.publicAddress.apply((address) => frontFor(deploy, address));
  const token = buttonToken(`${name}-button-token`);
  const deployed = deployRelease(name, {
    layout: LAYOUT,
    machine,
    release,
    front,
    credentials: credentials(deploy, token),
    projectDir: options.projectDir,
  });

  // The URLs resolve only once the checks have passed, the one from outside last: what is printed works.
  const base = pulumi.all([front, deployed.outsideCheck.stdout]).apply(([f]) => publicBaseUrl(f));
  const keyFile = `~/.ssh/${name}.key`;
  const knownHosts = `~/.ssh/${name}.known_hosts`;
  // Each button's token is derived from BTTN_TOKEN as the bot derives it (the bot's own, alone, when there is one button).
  const urls = (kind: 'press' | 'status') => pulumi.secret(pulumi.all([base, token]).apply(([url, secret]) =>
    Object.fromEntries(bot.buttons.map(({ name }) => [name, `${url}/${kind}/${tokenOfButton(secret, name, bot.folder)}`]))));
  return {
    ...(bot.folder ? { buttonUrls: urls('press'), statusUrls: urls('status') } : {
      buttonUrl: pulumi.secret(pulumi.interpolate`${base}/press/${token}`),
      statusUrl: pulumi.secret(pulumi.interpolate`${base}/status/${token}`),
    }),
    buttonsUrl: pulumi.secret(pulumi.interpolate`${base}/buttons/${token}`),
    ipv4: machine.publicAddress,
    // Writes the stack's private key to ~/.ssh (mode 600) and the pinned host key beside it, then connects.
    // Through npm, from the project folder: the CLI from the `pulumi` npm package is not on PATH.
    sshCommand: pulumi.interpolate`mkdir -p ~/.ssh && npm run --silent pulumi -- stack output --stack ${pulumi.getStack()} --show-secrets sshPrivateKey > ${keyFile} && chmod 600 ${keyFile} && echo '${machine.sshHost} ${machine.hostKey}' > ${knownHosts} && ssh -i ${keyFile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes root@${machine.sshHost}`,
    sshPrivateKey: machine.privateKey,
  };
}

function frontFor(deploy: DeployConfig, ipv4: string): Front {
  if (!deploy.tls) return { kind: 'http', host: deploy.domain ?? ipv4 };
  return deploy.domain === undefined ? { kind: 'ip', ipv4 } : { kind: 'domain', domain: deploy.domain };
}

function credentials(deploy: DeployConfig, token: pulumi.Output<string>): pulumi.Output<Record<string, string>> {
  const given: [CredentialName, pulumi.Input<string> | undefined][] = [
    ['BTTN_TOKEN', token],
    ['CISCO_SPARK_BTTN_BOT', deploy.secrets.webexToken],
    ['TWILIO_ACCOUNT_SID', deploy.secrets.twilioAccountSid],
    ['TWILIO_AUTH_TOKEN', deploy.secrets.twilioAuthToken],
  ];
  const present = given.filter((entry): entry is [CredentialName, pulumi.Input<string>] => entry[1] !== undefined);
  return pulumi.secret(pulumi.all(present.map(([, value]) => value))
    .apply((resolved) => Object.fromEntries(present.map(([key], i) => [key, resolved[i] ?? '']))));
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
