// What the release chain runs on the machine, in order, as plain values: the command, its standard input,
// the files to upload. release.ts turns them into @pulumi/command resources; the rehearsal
// (scripts/rehearse.ts) runs the same values over SSH on a real machine, so both run one chain.

import { releasesDir, type CredentialName, type Layout } from './layout.ts';
import type { Release } from './release-files.ts';
import { publicBaseUrl, renderCaddyfile, type AcmeStandIn, type Front } from './render/caddyfile.ts';
import {
  activateScript, credentialsInput, credentialsScript, healthScript, REMOTE_SHELL, remoteInput, waitForCloudInitScript,
} from './render/remote-scripts.ts';
import { renderCredentialsDropIn, renderUnit } from './render/unit.ts';

export interface RemoteStep {
  readonly command: string;
  readonly stdin: string;
}

export interface Upload {
  readonly name: string;
  readonly localPath: string;
  readonly remotePath: string;
  readonly sha256: string;
}

/** The steps after the uploads and the credentials; they depend only on public values. */
export interface ReleaseSteps {
  readonly activate: RemoteStep;
  readonly health: RemoteStep;
  readonly healthUrl: string;
}

export interface StepsInput {
  readonly layout: Layout;
  readonly release: Release;
  readonly front: Front;
  /** The address a domain must resolve to before a certificate can be had. */
  readonly publicAddress: string;
  readonly healthTimeoutSeconds: number;
  /** The rehearsal's ACME CA in place of Let's Encrypt. */
  readonly acme?: AcmeStandIn;
}

/** The Caddy file for an IP address needs Let's Encrypt's "shortlived" profile: certmagic 0.24, Caddy 2.10.1. */
export const minimumCaddyFor = (front: Front, acme?: AcmeStandIn): string | undefined =>
  front.kind === 'ip' && acme === undefined ? '2.10.1' : undefined;

const step = (script: string, input?: string): RemoteStep => ({ command: REMOTE_SHELL, stdin: remoteInput(script, input) });

export function uploadsOf(release: Release, layout: Layout): Upload[] {
  const dir = `${releasesDir(layout)}/${release.id}`;
  return release.files.map((file) => ({ name: file.name, localPath: file.localPath, remotePath: `${dir}/${file.name}`, sha256: file.sha256 }));
}

export function releaseSteps(input: StepsInput): ReleaseSteps {
  const { layout, front } = input;
  const url = publicBaseUrl(front);
  const healthUrl = `${url}/health`;
  return {
    activate: step(activateScript({
      layout,
      releaseId: input.release.id,
      checksums: input.release.checksums,
      unit: renderUnit(layout),
      caddyfile: renderCaddyfile(front, layout, input.acme),
      minimumCaddy: minimumCaddyFor(front, input.acme),
      publicUrl: url,
    })),
    health: step(healthScript({
      layout,
      healthUrl,
      dns: front.kind === 'domain' ? { domain: front.domain, ipv4: input.publicAddress } : undefined,
      timeoutSeconds: input.healthTimeoutSeconds,
    })),
    healthUrl,
  };
}

/** Waits for the first boot and prints the machine's host key (see Machine). */
export const waitStep = (layout: Layout): RemoteStep => step(waitForCloudInitScript(layout));

/** Delivers the credentials: its standard input holds them, so the whole step is secret. */
export function credentialsStep(layout: Layout, credentials: ReadonlyMap<CredentialName, string>): RemoteStep {
  return step(credentialsScript(renderCredentialsDropIn([...credentials.keys()], layout), layout), credentialsInput(credentials));
}
