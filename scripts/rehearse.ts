// The deployment rehearsed on a real machine: `npm run rehearse` (root). It boots Debian with systemd in a
// systemd-nspawn container, feeds it the project's user data through cloud-init's NoCloud source, runs the
// release chain's own steps over real SSH (the host key known from the first contact), on a first boot
// that finds apt busy; presses over HTTPS through the real Caddy, with a certificate from a real ACME CA
// (pebble) and the reserved IP's NAT, to the bot under the real unit (against the fake Webex and Twilio);
// reboots, refuses a damaged release, checks who may ask the metadata service and drive Caddy, crash-loops
// the bot until it comes back by itself, checks that a failure's logs hold no token or secret, and breaks a
// package source. All its traffic stays on loopback addresses of a network namespace of its own. Prints each phase's duration and ends with one PASS or FAIL line (exit status 1 on FAIL).
// A machine where it cannot run (not root, no namespaces, no systemd-nspawn) gets a SKIP line.
//
// What differs from production is in scripts/rehearsal/stand-ins.ts.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseRootfs } from './rehearsal/machine.ts';
import { Phases } from './rehearsal/phases.ts';
import { buildLocalRepository } from './rehearsal/stand-ins.ts';
import { buildBot } from './build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = '/var/cache/bttn-rehearsal';
const WORK = '/var/tmp/bttn-rehearsal';

/** Debian packages the rehearsal needs, by the command that each provides. */
const TOOLS: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  'dpkg-scanpackages': 'dpkg-dev',
  ssh: 'openssh-client',
  unshare: 'util-linux',
  ip: 'iproute2',
  nft: 'nftables',
  pebble: 'pebble',
  openssl: 'openssl',
};

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

function skip(reason: string): never {
  console.log(`rehearsal: SKIP: ${reason}`);
  process.exit(0);
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') skip('the rehearsal boots a Linux container: it runs on Linux only');
  if (process.getuid?.() !== 0) skip('needs root (systemd-nspawn, debootstrap and a network namespace); run it as root, as CI does');
  const phases = new Phases();
  await phases.run('tools (apt-get install when missing)', () => {
    const missing = Object.entries(TOOLS).filter(([command]) => !has(command)).map(([, pkg]) => pkg);
    if (missing.length > 0) {
      execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${[...new Set(missing)].join(' ')} >/dev/null`], { stdio: 'inherit' });
    }
  });
  if (spawnSync('unshare', ['--net', 'true']).status !== 0) skip('cannot create a network namespace here (unshare --net failed: no privilege)');
  if (!has('systemd-nspawn')) skip('systemd-nspawn is not available (Debian package systemd-container)');

  mkdirSync(CACHE, { recursive: true });
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const base = await phases.run('base image (debootstrap, cached)', () => baseRootfs(CACHE, path.join(WORK, 'debootstrap.log')));
  const bundle = await phases.run('bot bundle', () => buildBot());
  const nodeVersion = await phases.run('local package repository', () =>
    buildLocalRepository(path.join(WORK, 'repository'), path.join(CACHE, 'debs'), path.join(root, 'node_modules/node/bin/node')));

  // The rest runs in a network namespace of its own, where only loopback exists: nothing leaves the machine.
  const inside = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"',
    process.execPath, path.join(root, 'scripts/rehearsal/run.ts'), JSON.stringify({ base, bundle, nodeVersion, work: WORK })],
  { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => inside.once('exit', resolve));
  const outerTotal = phases.total();
  if (code !== 0) {
    console.log(`rehearsal: FAIL (after ${outerTotal.toFixed(0)} s; see the lines above)`);
    process.exit(1);
  }
  rmSync(WORK, { recursive: true, force: true });
  console.log(`rehearsal: PASS in ${outerTotal.toFixed(0)} s`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.log('rehearsal: FAIL');
    process.exit(1);
  });
}
