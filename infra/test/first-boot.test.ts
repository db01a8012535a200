// The first-boot script, run for real under bash with apt, dpkg and the services replaced by stubs:
// it must stop, naming the cause, when the packages are not the ones the deployment asked for.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LAYOUT } from '../layout.ts';
import { firstBootScript, type PackageSource } from '../render/cloud-init.ts';
import { run, scratch } from './tools.ts';

const source: PackageSource = { kind: 'local', name: 'vendor', repository: 'file:/srv/vendor ./', packages: ['nodejs', 'caddy'] };

interface Machine {
  readonly nodeVersion: string;
  /** The source URI `apt-cache madison` reports for the installed versions. */
  readonly servedFrom: string;
  readonly updateFails?: boolean;
  /** How many times apt-get finds a lock held by another apt before it gets it. */
  readonly lockedTimes?: number;
}

function firstBoot(machine: Machine): { status: number | null; output: string; done: boolean } {
  const root = scratch();
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  const tries = path.join(root, 'apt-tries');
  stub('apt-get', machine.updateFails ? 'case "$*" in *update*) echo "E: Failed to fetch" >&2; exit 100;; esac' : `
n=$(cat ${tries} 2>/dev/null || echo 0); echo $((n + 1)) > ${tries}
if [ "$n" -lt ${machine.lockedTimes ?? 0} ]; then
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 812 (apt-get)" >&2; exit 100
fi`);
  stub('dpkg-query', 'echo "1.0-1"');
  stub('apt-cache', `echo "   $3 |      1.0-1 | ${machine.servedFrom} Packages"`);
  stub('node', `echo ${machine.nodeVersion}`);
  stub('caddy', 'echo "v2.10.2 h1:abc"');
  for (const name of ['systemctl', 'install']) stub(name, 'exit 0');
  const layout = { ...LAYOUT, firstBootDone: path.join(root, 'first-boot.done') };
  // The source list goes to /etc/apt: point it at the scratch folder.
  const script = firstBootScript({ layout, sources: [source], nodeMajor: 24 }).replace('/etc/apt/sources.list.d', root);
  const result = run('bash', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BTTN_APT_LOCK_PAUSE: '0' } });
  return { ...result, done: existsSync(layout.firstBootDone) };
}

test('the first boot finishes when Node.js has the right major version and both packages come from their repository', () => {
  const result = firstBoot({ nodeVersion: 'v24.11.0', servedFrom: 'file:/srv/vendor ./' });
  assert.equal(result.status, 0, result.output);
  assert.ok(result.done);
  assert.match(result.output, /first boot done: node v24\.11\.0, caddy v2\.10\.2/);
});

test('a package that came from elsewhere (the distribution\'s fallback) fails the first boot, naming it', () => {
  const result = firstBoot({ nodeVersion: 'v24.11.0', servedFrom: 'http://archive.ubuntu.com/ubuntu noble/universe amd64' });
  assert.equal(result.status, 1);
  assert.match(result.output, /^bttn-first-boot failed: nodejs 1\.0-1 does not come from file:\/srv\/vendor/m);
  assert.ok(!result.done);
});

test('an older Node.js fails the first boot, naming the version it found', () => {
  const result = firstBoot({ nodeVersion: 'v18.19.1', servedFrom: 'file:/srv/vendor ./' });
  assert.equal(result.status, 1);
  assert.match(result.output, /^bttn-first-boot failed: node v18\.19\.1 is installed, the bot needs Node\.js 24$/m);
  assert.ok(!result.done);
});

test('a package source that cannot be read fails the first boot before anything is installed', () => {
  const result = firstBoot({ nodeVersion: 'v24.11.0', servedFrom: 'file:/srv/vendor ./', updateFails: true });
  assert.equal(result.status, 1);
  assert.match(result.output, /^bttn-first-boot failed: apt-get update failed: a package source cannot be read$/m);
  assert.ok(!result.done);
});

test('an apt step that finds the package lists locked by another apt tries again, and the first boot finishes', () => {
  const result = firstBoot({ nodeVersion: 'v24.11.0', servedFrom: 'file:/srv/vendor ./', lockedTimes: 3 });
  assert.equal(result.status, 0, result.output);
  assert.ok(result.done);
  assert.equal(result.output.match(/^apt-get update: another apt holds a lock; trying again$/gm)?.length, 3);
});
