// The boot script that adds Node.js's and Caddy's apt repositories keeps only the key it was told to
// trust. Run for real with gpg and keys made here; curl is a stub that serves the key file.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { LAYOUT } from '../layout.ts';
import { ADD_APT_SOURCE, caddySource, nodeSource, renderCloudInit } from '../render/cloud-init.ts';
import { hasTool, run, scratch, TEST_HOST_KEY } from './tools.ts';

function addAptSourceScript(): string {
  const userData = renderCloudInit({ layout: LAYOUT, sources: [nodeSource(24), caddySource], nodeMajor: 24, hostKey: TEST_HOST_KEY });
  const config = parse(userData.replace(/^#cloud-config\n/, '')) as { write_files: { path: string; content: string }[] };
  const file = config.write_files.find((f) => f.path === ADD_APT_SOURCE);
  assert.ok(file, 'the user data writes the script');
  return file.content;
}

/** A scratch folder with a signing key published at a stub "URL", plus the key's fingerprint. */
function keyServer(): { dir: string; env: NodeJS.ProcessEnv; fingerprint: string } {
  const dir = scratch();
  const home = path.join(dir, 'publisher-gnupg');
  mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) => run('gpg', ['--homedir', home, '--batch', ...args]);
  assert.equal(gpg('--passphrase', '', '--quick-gen-key', 'Repo Signing <repo@example.com>', 'ed25519', 'sign', 'never').status, 0);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--fingerprint').output)?.[1];
  assert.ok(fingerprint);
  writeFileSync(path.join(dir, 'published.key'), gpg('--armor', '--export').output);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  // Serves published.key to `curl ... --output FILE URL`, whatever the URL.
  writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done\ncp '${dir}/published.key' "$out"\n`);
  chmodSync(path.join(bin, 'curl'), 0o755);
  writeFileSync(path.join(dir, 'add-apt-source'), addAptSourceScript());
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, BTTN_APT_DIR: path.join(dir, 'etc-apt') };
  return { dir, env, fingerprint };
}

test('a repository whose key has the pinned fingerprint is added with signed-by that key', (t) => {
  if (!hasTool('gpg')) return t.skip('gpg is not installed (Debian package: gpg)');
  const { dir, env, fingerprint } = keyServer();
  const result = run('sh', [path.join(dir, 'add-apt-source'), 'example', 'https://repo.example.com/key', fingerprint, 'https://repo.example.com/deb stable main'], { env });
  assert.equal(result.status, 0, result.output);
  const keyring = path.join(dir, 'etc-apt/keyrings/example.gpg');
  assert.equal(
    readFileSync(path.join(dir, 'etc-apt/sources.list.d/example.list'), 'utf8'),
    `deb [signed-by=${keyring}] https://repo.example.com/deb stable main\n`,
  );
  const listed = run('gpg', ['--batch', '--no-default-keyring', '--keyring', keyring, '--with-colons', '--fingerprint'], {
    env: { ...process.env, GNUPGHOME: scratch() },
  });
  assert.match(listed.output, new RegExp(`^fpr:+${fingerprint}:`, 'm'));
});

test('a repository whose key does not have the pinned fingerprint is refused and nothing is written', (t) => {
  if (!hasTool('gpg')) return t.skip('gpg is not installed (Debian package: gpg)');
  const { dir, env } = keyServer();
  const pinned = '65760C51EDEA2017CEA2CA15155B6D79CA56EA34';
  const result = run('sh', [path.join(dir, 'add-apt-source'), 'example', 'https://repo.example.com/key', pinned, 'https://repo.example.com/deb stable main'], { env });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /does not hold the key 65760C51EDEA2017CEA2CA15155B6D79CA56EA34; refusing the example repository/);
  assert.ok(!existsSync(path.join(dir, 'etc-apt/sources.list.d/example.list')));
});
