// The release chain over SSH, once the droplet exists: wait for cloud-init, upload the release,
// deliver the credentials, switch and restart, then check /health through the public URL.
// Each step re-runs only when its triggers change: a new droplet, other content hashes, other secrets.

import { createHash } from 'node:crypto';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { releasesDir, type CredentialName, type Layout } from './layout.ts';
import type { Release } from './release-files.ts';
import { renderCaddyfile, publicBaseUrl, type Front } from './render/caddyfile.ts';
import {
  activateScript, credentialsInput, credentialsScript, healthScript, waitForCloudInitScript,
} from './render/remote-scripts.ts';
import { renderCredentialsDropIn } from './render/unit.ts';

export interface ReleaseArgs {
  readonly layout: Layout;
  readonly host: pulumi.Input<string>;
  readonly privateKey: pulumi.Input<string>;
  /** Changes when the droplet is replaced, so that everything runs again on the new one. */
  readonly dropletId: pulumi.Input<string>;
  readonly release: Release;
  readonly front: pulumi.Input<Front>;
  readonly credentials: pulumi.Input<Record<string, string>>;
  readonly credentialNames: readonly CredentialName[];
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface DeployedRelease {
  readonly waitForCloudInit: command.remote.Command;
  readonly uploads: readonly command.remote.CopyToRemote[];
  readonly credentials: command.remote.Command;
  readonly activate: command.remote.Command;
  readonly health: command.remote.Command;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// Certificates usually arrive within a minute; DNS for a new domain may take a few.
const HEALTH_TIMEOUT_SECONDS = 600;

export function deployRelease(name: string, args: ReleaseArgs): DeployedRelease {
  const connection: command.types.input.remote.ConnectionArgs = {
    host: args.host,
    user: 'root',
    privateKey: args.privateKey,
    // A new droplet takes a minute or two before sshd answers.
    dialErrorLimit: 40,
    perDialTimeout: 15,
  };

  const waitForCloudInit = new command.remote.Command(`${name}-wait-cloud-init`, {
    connection,
    create: waitForCloudInitScript(),
    triggers: [args.dropletId],
  }, { dependsOn: args.dependsOn });

  const releaseDir = `${releasesDir(args.layout)}/${args.release.id}`;
  const uploads = args.release.files.map((file) => new command.remote.CopyToRemote(`${name}-upload-${file.name}`, {
    connection,
    source: new pulumi.asset.FileAsset(file.localPath),
    remotePath: `${releaseDir}/${file.name}`,
    triggers: [args.dropletId, file.sha256],
  }, { dependsOn: [waitForCloudInit] }));

  const stdin = pulumi.secret(pulumi.output(args.credentials).apply((values) =>
    credentialsInput(new Map(Object.entries(values) as [CredentialName, string][]))));
  const credentials = new command.remote.Command(`${name}-credentials`, {
    connection,
    create: credentialsScript(renderCredentialsDropIn(args.credentialNames, args.layout), args.layout),
    stdin,
    // The values only travel on standard input; what the script prints is names at most.
    logging: command.types.enums.remote.Logging.Stderr,
    triggers: [args.dropletId],
  }, { dependsOn: [waitForCloudInit] });

  const front = pulumi.output(args.front);
  const publicUrl = front.apply(publicBaseUrl);
  const activation = pulumi.all([front, publicUrl]).apply(([f, url]) => activateScript({
    layout: args.layout,
    releaseId: args.release.id,
    checksums: args.release.checksums,
    caddyfile: renderCaddyfile(f, args.layout),
    publicUrl: url,
  }));
  // One key for "something the running bot sees has changed": droplet, release, Caddy file, URL or a
  // secret. Inputs that change without a trigger only update a command, which keeps its id, so the
  // key is what makes the restart and the health check run again. It holds a hash of the secrets: secret.
  const activationKey = pulumi.secret(pulumi.all([args.dropletId, activation, stdin])
    .apply((parts) => sha256(parts.join('\0'))));

  const activate = new command.remote.Command(`${name}-activate`, {
    connection,
    create: activation,
    triggers: [activationKey],
  }, { dependsOn: [...uploads, credentials] });

  const health = new command.remote.Command(`${name}-health`, {
    connection,
    create: pulumi.all([front, publicUrl, args.host]).apply(([f, url, ipv4]) => healthScript({
      layout: args.layout,
      healthUrl: `${url}/health`,
      dns: f.kind === 'domain' ? { domain: f.domain, ipv4 } : undefined,
      timeoutSeconds: HEALTH_TIMEOUT_SECONDS,
    })),
    triggers: [activationKey],
  }, { dependsOn: [activate] });

  return { waitForCloudInit, uploads, credentials, activate, health };
}
