// The check from outside, run as `pulumi up` runs it (node infra/outside-check.ts ...), against servers on
// loopback standing in for Caddy and for the bot's own port.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { outsideCheckCommand } from '../outside-check.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function listen(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => response.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(200);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the command as local.Command does; asynchronously, so the servers of this process can answer it. */
function check(healthUrl: string, botPort: number, timeoutSeconds = 1): Promise<{ status: number | null; output: string }> {
  const child = spawn('sh', ['-c', outsideCheckCommand({ healthUrl, host: '127.0.0.1', botPort, timeoutSeconds })], { cwd: root });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, output })));
}

test('the check from outside passes when /health answers and the bot\'s port is closed', async () => {
  const caddy = await listen(200);
  try {
    const result = await check(`http://127.0.0.1:${caddy.port}/health`, await closedPort());
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /answers from outside; port \d+ is closed/);
  } finally {
    caddy.server.close();
  }
});

test('the check from outside fails when the bot\'s own port answers from outside', async () => {
  const caddy = await listen(200);
  const bot = await listen(200);
  try {
    const result = await check(`http://127.0.0.1:${caddy.port}/health`, bot.port);
    assert.equal(result.status, 1);
    assert.match(result.output, new RegExp(`the bot's own port ${bot.port} answers on 127\\.0\\.0\\.1`));
  } finally {
    caddy.server.close();
    bot.server.close();
  }
});

test('the check from outside fails, saying what it got, when /health does not answer 200 in time', async () => {
  const caddy = await listen(502);
  try {
    const result = await check(`http://127.0.0.1:${caddy.port}/health`, await closedPort());
    assert.equal(result.status, 1);
    assert.match(result.output, /\/health answered 502 \(from this machine, after 1 s;/);
  } finally {
    caddy.server.close();
  }
});
