// The ACME CA that stands in for Let's Encrypt: Debian's `pebble`, a real ACME server that issues
// IP-address certificates, and the reserved IP's NAT: a DNAT rule that delivers connections for the
// public address on another local address, as DigitalOcean delivers a reserved IP's traffic on the
// droplet's anchor address. Both run in a network namespace of the caller's own (the rehearsal's, or a
// test's): nothing here may run on the host's own network.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';

export interface Pebble {
  /** The ACME directory URL. */
  readonly directory: string;
  /** PEM of the self-signed certificate pebble serves its directory with: Caddy's `trusted_roots`. */
  readonly directoryRoot: string;
  /** PEM of the root that pebble's certificates chain to (new at each start of pebble). */
  readonly issuingRoot: string;
  close(): Promise<void>;
}

export interface PebbleOptions {
  /** Folder for pebble's configuration, its HTTPS key and its log. */
  readonly dir: string;
  /** Address pebble listens on (ACME on 14000, its management API on 15000). */
  readonly host: string;
}

/** Starts pebble and waits until its directory answers. */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const { dir, host } = options;
  mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'listener-key.pem');
  const cert = path.join(dir, 'listener-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=pebble stand-in for Let\'s Encrypt', '-addext', `subjectAltName=IP:${host}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const config = path.join(dir, 'pebble.json');
  writeFileSync(config, JSON.stringify({
    pebble: {
      listenAddress: `${host}:14000`, managementListenAddress: `${host}:15000`, certificate: cert, privateKey: key,
      // The ports Let's Encrypt validates on: http-01 on 80, tls-alpn-01 on 443.
      httpPort: 80, tlsPort: 443, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }));
  const log = path.join(dir, 'pebble.log');
  // No artificial sleeps before validating, and no rejected nonces: Caddy would retry them, a minute later.
  const child = spawn('pebble', ['-config', config], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const directoryRoot = readFileSync(cert, 'utf8');
  const agent = new Agent({ connect: { ca: directoryRoot } });
  const directory = `https://${host}:14000/dir`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await undiciFetch(directory, { dispatcher: agent }).catch(() => undefined);
    if (answer?.ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pebble did not start (exit ${child.exitCode}):\n${output}`);
    }
    await sleep(200);
  }
  const rootAnswer = await undiciFetch(`https://${host}:15000/roots/0`, { dispatcher: agent });
  const issuingRoot = await rootAnswer.text();
  if (!rootAnswer.ok || !issuingRoot.includes('BEGIN CERTIFICATE')) throw new Error(`pebble's root could not be read (${rootAnswer.status})`);
  await agent.close();
  return {
    directory, directoryRoot, issuingRoot,
    async close() {
      writeFileSync(log, output);
      process.off('exit', orphan);
      await stop(child);
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Delivers every TCP connection to `publicAddress` on `localAddress` instead (nftables, in this network
 * namespace's output path): the address in the URL is not the one the server sees the connection on.
 */
export function natReservedIp(publicAddress: string, localAddress: string): void {
  execFileSync('nft', ['-f', '-'], {
    input: `table ip bttn_reserved_ip {
  chain output { type nat hook output priority -100; ip daddr ${publicAddress} meta l4proto tcp dnat to ${localAddress}; }
}
`,
  });
}

/**
 * A client that checks the certificate chain against `root` only. Given an IP-address URL it sends no SNI
 * (undici, like curl and browsers, leaves IP literals out of it, as RFC 6066 asks).
 */
export function clientTrusting(root: string): Dispatcher {
  return new Agent({ connect: { ca: root } });
}
