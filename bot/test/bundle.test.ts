import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { buildBot } from '../../scripts/build.ts';
import { startFakeTwilio } from './fakes/twilio.ts';
import { startFakeWebex } from './fakes/webex.ts';
import { liveEnv, seedSettings, startBot, TEST_TOKENS, until, workspace } from './support/bot-process.ts';

test('the bundle runs with plain node from a folder holding only it, the settings and the files', async () => {
  const bundle = await buildBot();
  const folder = workspace(`${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`);
  copyFileSync(bundle, path.join(folder, 'bot.cjs')); // a temporary folder: no node_modules anywhere above it
  const webex = await startFakeWebex({ token: TEST_TOKENS.webex });
  const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
  const bot = await startBot({ folder, entry: path.join(folder, 'bot.cjs'), env: liveEnv(webex.url, twilio.url) });
  try {
    const health = await fetch(`${bot.baseUrl}/health`);
    assert.equal(health.status, 200);
    // The bundle answers Express's questions to mime-types from a table (scripts/build.ts): the same types as the source.
    assert.equal(health.headers.get('content-type'), 'application/json; charset=utf-8');
    const page = await fetch(bot.pressUrl.replace('/press/', '/status/'), { headers: { accept: 'text/html' } });
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await bot.press()).status, 200);
    const second = await bot.press();
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(twilio.messages.map((message) => [message.to, message.body]), [['+352691496401', 'Check Cisco Spark']]);
    assert.ok(webex.messages.some((message) => message.files[0]?.name === 'IncidentReportForm.pdf'));
  } finally {
    await bot.stop();
    await Promise.all([webex.close(), twilio.close()]);
  }
});

test('the bundle keeps the code its start compiled beside Node\'s compile cache, and the next start runs from it', async () => {
  const bundle = await buildBot();
  const folder = workspace(`${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`);
  copyFileSync(bundle, path.join(folder, 'bot.cjs'));
  const cache = mkdtempSync(path.join(tmpdir(), 'bttn-compile-cache-'));
  const startUpCache = () => readdirSync(cache).filter((name) => /^bot-\w+\.v8-code-cache$/.test(name));
  const webex = await startFakeWebex({ token: TEST_TOKENS.webex });
  const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
  const start = () => startBot({ folder, entry: path.join(folder, 'bot.cjs'), env: { ...liveEnv(webex.url, twilio.url), NODE_COMPILE_CACHE: cache } });
  try {
    const first = await start();
    await until(() => startUpCache().length === 1, 'the start-up cache', 10_000);
    await first.stop();
    const [name] = startUpCache();
    const written = statSync(path.join(cache, name!)).mtimeMs;
    const second = await start();
    assert.equal((await second.press()).status, 200);
    await sleep(3000); // past the moment a start without a cache writes one (scripts/build.ts)
    await second.stop();
    assert.deepEqual(startUpCache(), [name]);
    assert.equal(statSync(path.join(cache, name!)).mtimeMs, written, 'the second start accepted the cache instead of writing it again');
  } finally {
    await Promise.all([webex.close(), twilio.close()]);
  }
});
