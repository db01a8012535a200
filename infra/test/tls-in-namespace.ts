// Run by caddy-tls.test.ts inside a network namespace of its own (only loopback exists there): serves the
// droplet's Caddy file for an IP address with Debian's Caddy, gets its certificate from pebble, and asks
// for /health the two ways that matter, both without SNI and checking the chain against pebble's root:
// through the reserved IP's NAT, as bt.tn's server does, and on 127.0.0.1, as the health step does.
// Prints one JSON line: what each way got.
//
// Usage (inside the namespace): node infra/test/tls-in-namespace.ts SCRATCH_DIR

import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { fetch as undiciFetch } from 'undici';
import { clientTrusting, natReservedIp, startPebble } from '../../scripts/rehearsal/acme.ts';
import { LAYOUT } from '../layout.ts';
import { renderCaddyfile } from '../render/caddyfile.ts';

const PUBLIC_ADDRESS = '127.0.0.2';
const ANCHOR_ADDRESS = '127.0.0.3';
const dir = process.argv[2] ?? '/tmp';

export interface TlsResult {
  /** What bt.tn's server got through the NAT: `200` or the error. */
  readonly button: string;
  /** What the health step's curl got on 127.0.0.1: `200` or curl's error. */
  readonly healthStep: string;
  readonly caddyLog: string;
}

natReservedIp(PUBLIC_ADDRESS, ANCHOR_ADDRESS);
const pebble = await startPebble({ dir: path.join(dir, 'pebble'), host: '127.0.0.4' });
const bot = createServer((_request, response) => response.end('ok')).listen(LAYOUT.botPort, '127.0.0.1');
const files = {
  directoryRoot: path.join(dir, 'directory-root.pem'),
  issuingRoot: path.join(dir, 'issuing-root.pem'),
  caddyfile: path.join(dir, 'Caddyfile'),
  caddyHome: path.join(dir, 'caddy'),
};
writeFileSync(files.directoryRoot, pebble.directoryRoot);
writeFileSync(files.issuingRoot, pebble.issuingRoot);
mkdirSync(files.caddyHome, { recursive: true });
writeFileSync(files.caddyfile, renderCaddyfile({ kind: 'ip', ipv4: PUBLIC_ADDRESS }, { ...LAYOUT, caddyAdminSocket: path.join(dir, 'admin.sock') },
  { directory: pebble.directory, directoryRoot: files.directoryRoot }));
const caddy = spawn('caddy', ['run', '--config', files.caddyfile, '--adapter', 'caddyfile'], {
  env: { ...process.env, HOME: files.caddyHome, XDG_DATA_HOME: files.caddyHome, XDG_CONFIG_HOME: files.caddyHome },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let caddyLog = '';
caddy.stderr.on('data', (chunk: Buffer) => { caddyLog += chunk.toString(); });

const button = clientTrusting(pebble.issuingRoot);
const url = `https://${PUBLIC_ADDRESS}/health`;
const viaNat = async (): Promise<string> => {
  try {
    return String((await undiciFetch(url, { dispatcher: button, signal: AbortSignal.timeout(5000) })).status);
  } catch (error) {
    return error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  }
};
// Asynchronously: the bot stand-in in this process must stay able to answer.
const viaLoopback = (): Promise<string> => promisify(execFile)('curl', ['--silent', '--show-error', '--max-time', '5',
  '--cacert', files.issuingRoot, '--connect-to', '::127.0.0.1:', '--output', '/dev/null', '--write-out', '%{http_code}', url])
  .then(({ stdout }) => stdout, (error: { stderr?: string }) => error.stderr?.trim() ?? String(error));

// Once Caddy has logged its certificate, each way gets its one answer.
const deadline = Date.now() + 30_000;
while (!caddyLog.includes('certificate obtained successfully') && Date.now() < deadline && caddy.exitCode === null) await sleep(200);
const result: TlsResult = { button: await viaNat(), healthStep: await viaLoopback(), caddyLog };
console.log(JSON.stringify(result));
caddy.kill('SIGTERM');
bot.close();
await pebble.close();
