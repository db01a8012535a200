// `npm run bench`: prints how fast the bot presses, starts and how much memory it keeps.
// - Each press of the 2016 seed sample against fakes that answer 50 ms after each request arrives, divided by its
//   critical path (the dependent round trips it cannot avoid, times 50 ms). Goal: 1.15 or less.
// - Start-up: from spawning node to the first answer of /health, for the source and the bundle. Goal: under 300 ms.
// - Resident memory of the bot (the bundle, run as the systemd unit runs it) after 1,000 presses. Goal: under 80 MB.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildBot } from '../../scripts/build.ts';
import { LEAN_ENVIRONMENT, LEAN_NODE_FLAGS } from '../src/config/lean-memory.ts';
import { startFakeTwilio } from '../test/fakes/twilio.ts';
import { startFakeWebex } from '../test/fakes/webex.ts';
import { liveEnv, repoRoot, seedSettings, startBot, TEST_TOKENS, workspace, type BotProcess } from '../test/support/bot-process.ts';

const LATENCY_MS = 50;
/** Dependent round trips per press of the seed: find room → create room → (members ∥ message); SMS/call → record line. */
const CRITICAL_PATH = [3, 2, 2, 1, 1, 1, 1];
const settings = `${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`;

const webex = await startFakeWebex({ token: TEST_TOKENS.webex, latencyMs: LATENCY_MS });
const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken, latencyMs: LATENCY_MS });
const env = liveEnv(webex.url, twilio.url);

const bundle = await buildBot();
console.log(`Presses of the seed sample by the bundle, run as the systemd unit runs it; fakes answer ${LATENCY_MS} ms after each request arrives (median of 9 runs):`);
const runs: number[][] = [];
/** Per run and press, where the time beyond the round trips went (see `split`). */
const splits: Split[][] = [];
for (let run = 0; run < 9; run++) {
  webex.reset();
  twilio.reset();
  const bot = await startBot({ folder: workspace(settings), env: { ...env, ...LEAN_ENVIRONMENT }, entry: bundle, nodeFlags: LEAN_NODE_FLAGS });
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the Twilio SDK finish loading in the background
  const times: number[] = [];
  const runSplits: Split[] = [];
  for (let press = 0; press < CRITICAL_PATH.length; press++) {
    const seen = { webex: webex.requests.length, twilio: twilio.requests.length };
    const started = performance.now();
    const answer = await bot.press();
    const ended = performance.now();
    if (answer.status !== 200) throw new Error(`press ${press + 1} failed: ${JSON.stringify(answer.body)}`);
    times.push(ended - started);
    runSplits.push(split(started, ended, [...webex.requests.slice(seen.webex), ...twilio.requests.slice(seen.twilio)], CRITICAL_PATH[press]!));
  }
  runs.push(times);
  splits.push(runSplits);
  await bot.stop();
}
let worst = 0;
CRITICAL_PATH.forEach((trips, index) => {
  const median = runs.map((times) => times[index]!).sort((a, b) => a - b)[4]!;
  const ratio = median / (trips * LATENCY_MS);
  worst = Math.max(worst, ratio);
  const part = (name: keyof Split) => splits.map((run) => run[index]![name]).sort((a, b) => a - b)[4]!.toFixed(1);
  console.log(`  press ${index + 1}: ${median.toFixed(1)} ms, critical path ${trips} × ${LATENCY_MS} ms, ratio ${ratio.toFixed(3)}`
    + ` (beyond the round trips: ${part('beforeFirst')} ms before the first request, ${part('between')} ms between them, ${part('afterLast')} ms after the last answer)`);
});
console.log(`  worst ratio: ${worst.toFixed(3)} (goal ≤ 1.15)`);

interface Split {
  /** From sending the press to the first request reaching a fake: planning and the journal write. */
  readonly beforeFirst: number;
  /** From the first request to the last answer, beyond the round trips on the critical path. */
  readonly between: number;
  /** From the last answer leaving a fake to the button's answer: recording the outcome. */
  readonly afterLast: number;
}

/** Where a press's time went, from the arrival times the fakes recorded (the same clock as this process's). */
function split(started: number, ended: number, requests: readonly { at: number }[], trips: number): Split {
  if (requests.length === 0) return { beforeFirst: ended - started, between: 0, afterLast: 0 };
  const first = Math.min(...requests.map((request) => request.at));
  const lastAnswer = Math.max(...requests.map((request) => request.at + LATENCY_MS));
  return { beforeFirst: first - started, between: lastAnswer - first - trips * LATENCY_MS, afterLast: ended - lastAnswer };
}

for (const [name, entry] of [['source (node bot/src/main.ts)', path.join(repoRoot, 'bot/src/main.ts')], ['bundle (node dist/bot.cjs)', bundle]] as const) {
  const samples: number[] = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    const bot = await startBot({ folder: workspace(settings), env, entry });
    while ((await fetch(`${bot.baseUrl}/health`).catch(() => undefined))?.status !== 200) { /* until it answers */ }
    samples.push(performance.now() - started);
    await bot.stop();
  }
  const median = samples.sort((a, b) => a - b)[3]!;
  console.log(`Start-up, ${name}: median ${median.toFixed(0)} ms over 7 starts (goal < 300 ms)`);
}

webex.latencyMs = 0;
twilio.latencyMs = 0;
webex.reset();
twilio.reset();
// Run as the systemd unit runs it.
const bot: BotProcess = await startBot({ folder: workspace(settings), env: { ...env, ...LEAN_ENVIRONMENT }, entry: bundle, nodeFlags: LEAN_NODE_FLAGS });
const statusUrl = bot.pressUrl.replace('/press/', '/status/');
for (let press = 1; press <= 1000; press++) {
  await bot.press();
  // Start the sequence again after each round so every kind of step (uploads, SMS, calls) keeps running.
  if (press % CRITICAL_PATH.length === 0) {
    await fetch(`${statusUrl}/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deleteRoom":false}' });
  }
}
const status = readFileSync(`/proc/${bot.pid}/status`, 'utf8');
const mb = (field: string) => (Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024).toFixed(1);
console.log(`Resident memory after 1,000 presses (bundle): ${mb('VmRSS')} MB (goal < 80 MB), of which ${mb('RssAnon')} MB private`
  + ` and ${mb('RssFile')} MB mapped from files (mostly the node binary); fakes received ${webex.requests.length + twilio.requests.length} requests`);
await bot.stop();
await Promise.all([webex.close(), twilio.close()]);
