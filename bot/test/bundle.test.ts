import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildBot } from '../../scripts/build.ts';
import { startFakeTwilio } from './fakes/twilio.ts';
import { startFakeWebex } from './fakes/webex.ts';
import { liveEnv, seedSettings, startBot, TEST_TOKENS, workspace } from './support/bot-process.ts';

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
