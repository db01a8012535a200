// Kills the bot (SIGKILL) about 200 times at random instants while it runs whole sequences of the 2016 seed,
// restarting it on the same state each time, and checks what reached Webex and Twilio: every SMS and call
// exactly once, one room, every step's post at least once, and no more extra copies of a post than kills
// that landed while it was on its way. The instants come from a seeded generator: CHAOS_SEED replays a run.
// It runs the bundle, as the systemd unit does: it starts several times faster than the source, and restarts
// are most of this test's time.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBot } from '../../scripts/build.ts';
import type { OutboxEntry } from '../src/core/state.ts';
import { savedButton } from './support/saved.ts';
import type { RecordedRequest } from './fakes/fake-server.ts';
import { startFakeTwilio, type FakeTwilio } from './fakes/twilio.ts';
import { startFakeWebex, type FakeWebex } from './fakes/webex.ts';
import { liveEnv, seedSettings, startBot, TEST_TOKENS, until, workspace, type BotProcess } from './support/bot-process.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 20160527);
const KILLS = Number(process.env.CHAOS_KILLS ?? 200);
/** No new sequence starts after this, however few kills were made: a slow machine gets a shorter run, and says so. */
const BUDGET_MS = 150_000;
const STEPS = 5;
const SMS = { to: '+352691496401', from: '+33644606827', body: 'Check Cisco Spark' };
/** Each step's post, by the key postKey() gives it; the SMS and the call each have their line in the room too. */
const EXPECTED_POSTS = [
  'dashboard.png', 'IncidentReportForm.pdf', 'A real-time telephone call is taking place right now.', 'dimension-data.png', 'spark.png',
  'record of the SMS', 'record of the call',
];

let webex: FakeWebex;
let twilio: FakeTwilio;
let bundle: string;
/** The bot of the moment, ended by after() if an assertion stops the test mid-sequence. */
let current: BotProcess | undefined;

before(async () => {
  bundle = await buildBot();
  webex = await startFakeWebex({ token: TEST_TOKENS.webex, latencyMs: 30 });
  twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken, latencyMs: 30 });
});
after(async () => {
  await current?.kill();
  await Promise.all([webex.close(), twilio.close()]);
});

/** mulberry32: small, seedable, good enough to pick instants. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface DiskState {
  readonly nextStep: number;
  readonly outbox: readonly OutboxEntry[];
}

/** The state as the bot left it on disk: its snapshot and the journal's whole lines. */
function readState(directory: string): DiskState {
  return savedButton(directory) ?? { nextStep: 1, outbox: [] };
}

/** One name per room post, the same for every copy of it, whichever way it was sent. */
function postKey(fields: { file?: string | undefined; text?: string | undefined; markdown?: string | undefined }): string {
  if (fields.file !== undefined) return fields.file;
  const line = (fields.markdown ?? fields.text ?? '').split(/\r?\n/)[0]!.trim();
  if (line.startsWith(`SMS '${SMS.body}' sent to ${SMS.to}`)) return 'record of the SMS';
  if (line.startsWith(`Calling ${SMS.to}`)) return 'record of the call';
  if (line.startsWith('The message above comes late')) return 'late notice';
  return line;
}

/** Undefined for a request whose body never arrived whole: the bot died while sending it, and Webex made nothing of it. */
function requestKey(request: RecordedRequest): string | undefined {
  if (request.multipart !== undefined) {
    const { fields, files } = request.multipart;
    return postKey({ file: files[0]?.name, text: fields.text, markdown: fields.markdown });
  }
  const json = request.json as { text?: string; markdown?: string } | undefined;
  return json === undefined ? undefined : postKey(json);
}

/** The key of the post an outbox entry makes, or undefined for what is not a room post. */
function entryKey(entry: OutboxEntry): string | undefined {
  const action = entry.action;
  if (action.kind === 'message') return postKey({ file: action.file?.name, markdown: action.message?.body });
  if (action.kind === 'record') return action.source.kind === 'sms' ? 'record of the SMS' : 'record of the call';
  if (action.kind === 'notice') return postKey({ text: action.text });
  return undefined;
}

const pressesLogged = (bot: BotProcess) => bot.output().match(/^press press=/gm)?.length ?? 0;

const count = <T>(items: readonly T[], key: (item: T) => string) =>
  items.reduce((counts, item) => counts.set(key(item), (counts.get(key(item)) ?? 0) + 1), new Map<string, number>());

test('about 200 kill -9 at random instants across whole sequences lose no step and duplicate no SMS or call', { timeout: 300_000 }, async (t) => {
  const random = generator(SEED);
  const folder = workspace(`${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`);
  const env = liveEnv(webex.url, twilio.url);
  const started = performance.now();
  const totals = { kills: 0, killsMidPost: 0, postsInterrupted: 0, killsInResume: 0, sequences: 0, presses: 0, sms: 0, calls: 0, posts: 0, extraPosts: 0, lateNotices: 0, lookups: 0 };
  t.diagnostic(`CHAOS_SEED=${SEED} (set it to replay this run), ${KILLS} kills`);

  while (totals.kills < KILLS && performance.now() - started < BUDGET_MS) {
    totals.sequences += 1;
    const where = `seed ${SEED}, sequence ${totals.sequences}`;
    webex.reset();
    twilio.reset();
    const stateDirectory = mkdtempSync(path.join(tmpdir(), 'bttn-chaos-'));
    /** Each kill: the life it ended (performance.now() span) and the room posts its outbox still had to make. */
    const kills: { from: number; open: string[] }[] = [];
    let bot: BotProcess;
    let lifeStarted: number;
    const start = async () => {
      lifeStarted = performance.now();
      bot = await startBot({ folder, stateDirectory, env, entry: bundle });
      current = bot;
    };
    const kill = async () => {
      await bot.kill();
      totals.kills += 1;
      const open = readState(stateDirectory).outbox.filter((entry) => entry.settled === undefined).map(entryKey);
      kills.push({ from: lifeStarted, open: open.filter((key): key is string => key !== undefined) });
      await start();
    };

    await start();
    for (let step = readState(stateDirectory).nextStep; step <= STEPS; step = readState(stateDirectory).nextStep) {
      const mayKill = totals.kills < KILLS && kills.length < 15;
      // Sometimes the restarted bot dies again while it is still resuming the interrupted step.
      if (mayKill && readState(stateDirectory).outbox.length > 0 && random() < 0.25) {
        await sleep(random() * 250);
        totals.killsInResume += 1;
        await kill();
        continue;
      }
      totals.presses += 1;
      if (mayKill && random() < 0.85) {
        // The instant counts from when the bot took the press (its log says so), so a busy machine still kills mid-press.
        const taken = pressesLogged(bot!) + 1;
        const pressing = bot!.press().catch(() => undefined);
        await until(() => pressesLogged(bot!) >= taken, `the bot to take the press (${where})`, 10_000);
        await sleep(random() * 250);
        await kill();
        await pressing;
        continue;
      }
      const answer = await bot!.press();
      assert.ok(answer.status === 200 || answer.status === 202, `press answered ${answer.status}: ${JSON.stringify(answer.body)} (${where})`);
      assert.equal(answer.body.step, step, `the press ran the step the state said was next (${where})`);
    }

    await until(() => readState(stateDirectory).outbox.length === 0, `the outbox to empty (${where})`, 30_000);
    await bot!.stop();

    const sms = twilio.messages.filter((message) => message.to === SMS.to && message.from === SMS.from && message.body === SMS.body);
    assert.equal(sms.length, 1, `the step 2 SMS reached Twilio once (${where})`);
    assert.equal(twilio.messages.length, 1, `no other SMS (${where})`);
    assert.equal(twilio.calls.filter((call) => call.to === SMS.to && call.from === SMS.from).length, 1, `the step 3 call was placed once (${where})`);
    assert.equal(twilio.calls.length, 1, `no other call (${where})`);
    assert.equal(webex.rooms.length, 1, `one room (${where})`);
    assert.equal(webex.memberships.length, 4, `everyone invited (${where})`);

    // A kill landed mid-post when a post had reached Webex in the life it ended and the outbox, as the kill left
    // it, still had that post to make: the restart posts it again. Only those kills may leave an extra copy.
    const midPost = new Map<string, number>();
    // A life's requests are those that arrived before the next life began: what a dying bot had sent can reach the
    // fake after the kill, but not after the next bot, which takes far longer to start, has been spawned.
    for (const [index, { from, open }] of kills.entries()) {
      const to = kills[index + 1]?.from ?? lifeStarted!;
      const reached = new Set(webex.requests
        .filter((request) => request.method === 'POST' && request.path === '/v1/messages' && request.at >= from && request.at < to)
        .map(requestKey));
      const interrupted = open.filter((key) => reached.has(key));
      for (const key of interrupted) midPost.set(key, (midPost.get(key) ?? 0) + 1);
      if (interrupted.length > 0) totals.killsMidPost += 1;
      totals.postsInterrupted += interrupted.length;
    }
    const posts = count(webex.messages, (message) => postKey({ file: message.files[0]?.name, text: message.text, markdown: message.markdown }));
    for (const key of EXPECTED_POSTS) assert.ok((posts.get(key) ?? 0) >= 1, `"${key}" was posted (${where})`);
    for (const [key, copies] of posts) {
      if (key === 'late notice') continue; // one per late delivery, by design
      assert.ok(EXPECTED_POSTS.includes(key), `only the steps' posts are in the room, found "${key}" (${where})`);
      const extra = copies - 1;
      assert.ok(extra <= (midPost.get(key) ?? 0), `"${key}" posted ${copies} times with ${midPost.get(key) ?? 0} kill(s) while it was on its way (${where});`
        + ` it reached Webex at ${webex.requests.filter((request) => request.path === '/v1/messages' && requestKey(request) === key).map((request) => `${Math.round(request.at)} (${request.status})`).join(', ')} ms,`
        + ` lives began at ${kills.map(({ from }) => Math.round(from)).join(', ')}, ${Math.round(lifeStarted!)} ms`);
      totals.extraPosts += extra;
    }
    totals.sms += twilio.messages.length;
    totals.calls += twilio.calls.length;
    totals.posts += webex.messages.length;
    totals.lateNotices += posts.get('late notice') ?? 0;
    totals.lookups += twilio.requests.filter((request) => request.method === 'GET').length;
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (totals.kills < KILLS) t.diagnostic(`only ${totals.kills} of ${KILLS} kills within the ${BUDGET_MS / 1000} s budget: the machine is slow or busy`);
  console.log(`chaos: seed ${SEED}, ${totals.kills} kills (${totals.killsMidPost} mid-post, ${totals.killsInResume} while resuming) over ${totals.sequences} sequences and ${totals.presses} presses;`
    + ` SMS ${totals.sms}/${totals.sequences} expected, calls ${totals.calls}/${totals.sequences}, Twilio look-ups ${totals.lookups};`
    + ` room posts ${totals.posts} (${totals.extraPosts} extra copies for ${totals.postsInterrupted} posts interrupted by a kill, ${totals.lateNotices} late notices); ${seconds} s`);
});
