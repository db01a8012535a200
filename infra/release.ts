// The release chain over SSH, once the machine is ready (machine.ts waited for its first boot and read
// its host key, pinned here): upload the release, deliver the credentials, switch and restart, check
// /health on the machine, then check it again from the machine running `pulumi up`. The steps themselves
// are release-steps.ts. Each step re-runs only when its triggers change: a new droplet, other content
// hashes, other secrets.

import { createHash } from 'node:crypto';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import type { CredentialName, Layout } from './layout.ts';
import type { MachineFacts } from './machine.ts';
import { outsideCheckCommand } from './outside-check.ts';
import type { Release } from './release-files.ts';
import { credentialsStep, releaseSteps, uploadsOf, type RemoteStep } from './release-steps.ts';
import type { Front } from './render/caddyfile.ts';

export interface ReleaseArgs {
  readonly layout: Layout;
  readonly machine: MachineFacts;
  readonly release: Release;
  readonly front: pulumi.Input<Front>;
  readonly credentials: pulumi.Input<Record<string, string>>;
  /** Folder the check from outside runs in: the project's, where infra/outside-check.ts is. */
  readonly projectDir: string;
}

export interface DeployedRelease {
  readonly uploads: readonly command.remote.CopyToRemote[];
  readonly credentials: command.remote.Command;
  readonly activate: command.remote.Command;
  readonly health: command.remote.Command;
  readonly outsideCheck: command.local.Command;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// Certificates usually arrive within a minute; DNS for a new domain may take a few.
const HEALTH_TIMEOUT_SECONDS = 600;
// By then the droplet has answered its own check; this only waits for the reserved IP to route.
const OUTSIDE_TIMEOUT_SECONDS = 120;

export function deployRelease(name: string, args: ReleaseArgs): DeployedRelease {
  const { machine } = args;
  const connection: command.types.input.remote.ConnectionArgs = {
    host: machine.sshHost,
    user: 'root',
    privateKey: machine.privateKey,
    hostKey: machine.hostKey,
    dialErrorLimit: 10,
    perDialTimeout: 15,
  };
  const front = pulumi.output(args.front);
  const steps = pulumi.all([front, machine.publicAddress]).apply(([f, address]) => releaseSteps({
    layout: args.layout, release: args.release, front: f, publicAddress: address, healthTimeoutSeconds: HEALTH_TIMEOUT_SECONDS,
  }));
  const remote = (stepName: string, step: pulumi.Output<RemoteStep>, extra: Partial<command.remote.CommandArgs>, dependsOn: pulumi.Resource[]) =>
    new command.remote.Command(`${name}-${stepName}`, {
      connection,
      create: step.apply((s) => s.command),
      stdin: step.apply((s) => s.stdin),
      // Without it an update sets PULUMI_COMMAND_STDOUT over SSH, which sshd refuses (AcceptEnv), with a warning.
      addPreviousOutputInEnv: false,
      ...extra,
    }, { dependsOn });

  const uploads = uploadsOf(args.release, args.layout).map((upload) => new command.remote.CopyToRemote(`${name}-upload-${upload.name}`, {
    connection,
    source: new pulumi.asset.FileAsset(upload.localPath),
    remotePath: upload.remotePath,
    triggers: [machine.dropletId, upload.sha256],
  }, { dependsOn: [machine.ready] }));

  const secrets = pulumi.secret(pulumi.output(args.credentials).apply((values) =>
    credentialsStep(args.layout, new Map(Object.entries(values) as [CredentialName, string][]))));
  const credentials = remote('credentials', secrets, {
    // The values only travel on standard input; what the script prints is names at most.
    logging: command.types.enums.remote.Logging.Stderr,
    triggers: [machine.dropletId],
  }, [machine.ready]);

  // One key for "something the running bot sees has changed": droplet, release, unit, Caddy file, URL or
  // a secret. A command whose own create or stdin changes runs again anyway (an update runs `create` when no
  // `update` is given); the key makes the restart and both checks, whose text a new release or secret may
  // leave unchanged, run again as replacements. It holds a hash of the secrets: secret.
  const activationKey = pulumi.secret(pulumi.all([machine.dropletId, steps, secrets])
    .apply(([id, s, c]) => sha256([id, s.activate.stdin, c.stdin].join('\0'))));

  const activate = remote('activate', steps.apply((s) => s.activate), { triggers: [activationKey] }, [...uploads, credentials]);
  const health = remote('health', steps.apply((s) => s.health), { triggers: [activationKey] }, [activate]);

  const outsideCheck = new command.local.Command(`${name}-outside-check`, {
    create: pulumi.all([steps, machine.publicAddress]).apply(([s, address]) => outsideCheckCommand({
      healthUrl: s.healthUrl, host: address, botPort: args.layout.botPort, timeoutSeconds: OUTSIDE_TIMEOUT_SECONDS,
    })),
    dir: args.projectDir,
    addPreviousOutputInEnv: false,
    triggers: [activationKey],
  }, { dependsOn: [health] });

  return { uploads, credentials, activate, health, outsideCheck };
}
