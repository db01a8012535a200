// The Caddy file for an IP address, served by a real Caddy with a certificate from a real ACME CA (pebble,
// in place of Let's Encrypt), answers a client that sends no SNI and whose connection arrives on another
// local address, as a reserved IP's NAT delivers it, and the health step's request on 127.0.0.1.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAYOUT } from '../layout.ts';
import { renderCaddyfile } from '../render/caddyfile.ts';
import type { TlsResult } from './tls-in-namespace.ts';
import { hasTool, scratch } from './tools.ts';

const inside = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls-in-namespace.ts');

/** Why the check cannot run on this machine, or undefined when it can. */
function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root, for a network namespace with a DNAT rule';
  const missing = [['caddy', 'caddy'], ['pebble', 'pebble'], ['nft', 'nftables'], ['openssl', 'openssl'], ['curl', 'curl'], ['unshare', 'util-linux']]
    .filter(([tool]) => !hasTool(tool!)).map(([, pkg]) => pkg);
  if (missing.length > 0) return `Debian packages missing: ${missing.join(' ')}`;
  if (spawnSync('unshare', ['--net', 'true']).status !== 0) return 'cannot create a network namespace here';
  return undefined;
}

test('the IP-address URL serves its certificate without SNI, through the reserved IP\'s NAT and to the health step', (t) => {
  const reason = cannotRun();
  if (reason !== undefined) return t.skip(reason);
  const run = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, inside, scratch()], {
    encoding: 'utf8', timeout: 90_000,
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(line.startsWith('{'), `the check in its namespace printed no result (status ${run.status}):\n${run.stdout}${run.stderr}`);
  const result = JSON.parse(line) as TlsResult;
  const context = `Caddy's log:\n${result.caddyLog.split('\n').slice(-15).join('\n')}`;
  assert.equal(result.button, '200', `through the NAT, without SNI: ${result.button}\n${context}`);
  assert.equal(result.healthStep, '200', `the health step's request: ${result.healthStep}\n${context}`);
});

test('with a domain, the Caddy file names the domain and no default SNI', () => {
  const text = renderCaddyfile({ kind: 'domain', domain: 'bttn.example.com' }, LAYOUT);
  assert.match(text, /^bttn\.example\.com \{$/m);
  assert.doesNotMatch(text, /default_sni/);
});
