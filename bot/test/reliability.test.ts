// How the bot behaves when Webex, Twilio or the disk misbehave: lists that never end, answers of the wrong
// shape or lost, throttling and outages, moderated rooms, secrets in error texts, a broken state file, and
// stopping mid-request. Every test drives the real bot over HTTP against the fakes on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRecorder } from './fakes/recorder.ts';
import { fakeWorld } from './support/fake-world.ts';
import { liveEnv, seedSettings, startBot, TEST_TOKENS, until, workspace, type BotProcess } from './support/bot-process.ts';
import { describeRequest } from './support/requests.ts';
import { savedButton as diskState } from './support/saved.ts';

const seed = readFileSync(seedSettings, 'utf8');
const TITLE = 'Green Power Demonstration';
const FIND_ROOM = `find or create the room "${TITLE}"`;
const SMS = 'SMS to +352691496401';
const SMS_RECORD = 'record the SMS to +352691496401 in the room';
/** The seed's first step alone (a message with a file): Webex only, so the Twilio SDK is never loaded. */
const oneStep = seed.slice(0, seed.indexOf('  # second press of bt.tn')) + seed.slice(seed.indexOf('# Cisco Spark settings'));
const withServer = (base: string, server: string[]) => `${base}${['debounce: 0', ...server].map((line) => `    ${line}\n`).join('')}`;
/** The seed with the debounce window off and these `server:` keys added, e.g. 'press_timeout: 2'. */
const settings = (...server: string[]) => withServer(seed, server);
/** The same for the first step alone. */
const webexOnly = (...server: string[]) => withServer(oneStep, server);
/** Short waits for one attempt and one call, so a lost answer costs tenths of a second. */
const QUICK = { BTTN_HTTP_TIMEOUT_MS: '300', BTTN_RETRY_DEADLINE_MS: '1000' };
const TWILIO_SMS = /Messages\.json$/;

const { webex, twilio, bot, track } = await fakeWorld(webexOnly());

interface SavedState {
  nextStep: number;
  room?: { id: string; title: string };
  outbox: { pressNumber: number; journaledAt: string; nextAttemptAt?: string; settled?: string; action: { id: string } }[];
  history: { id: string; kind: string; actions: { summary: string; status: string; error?: string }[] }[];
}

const savedState = (button: BotProcess) => diskState(button.stateDirectory) as unknown as SavedState;
const stateText = (button: BotProcess) => JSON.stringify(savedState(button));

interface StatusJson {
  late: { summary: string; pressNumber: number; reason?: string; nextAttemptAt?: string }[];
  history: { id: string; kind: string; actions: { summary: string; outcome: string; reason?: string }[] }[];
}

async function statusJson(button: BotProcess): Promise<StatusJson> {
  const response = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200);
  return (await response.json()) as StatusJson;
}

async function reset(button: BotProcess, deleteRoom: boolean): Promise<{ status: number; body: { deleted?: string; error?: string } }> {
  const response = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}/reset`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deleteRoom }),
  });
  return { status: response.status, body: (await response.json()) as { deleted?: string } };
}

const roomPosts = () => webex.requests.filter((request) => request.method === 'POST' && request.path === '/v1/rooms');
const roomLists = () => webex.requests.filter((request) => request.method === 'GET' && request.path === '/v1/rooms');
const actionOf = (body: { actions?: { action: string; error?: string; status: string }[] }, name: string) =>
  body.actions?.find((action) => action.action === name);
const roomTexts = () => webex.messages.map((message) => message.text ?? message.markdown ?? '');

// --- Lists that do not end ---------------------------------------------------------------------------

/** The URL of the list of rooms at this offset, as the fake's own Link would give it. */
const roomsPage = (offset: number) => `${webex.url}/rooms?type=group&max=1000&cursor=${Buffer.from(String(offset)).toString('base64url')}`;

for (const { name, lists, error, queue } of [
  {
    name: 'a Link back to a page already read', lists: 2, error: /the list of rooms: unexpected answer \(its next page is a page already read\)/,
    queue: () => webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'headers', headers: { Link: `<${roomsPage(0)}>; rel="next"` } }, Infinity),
  },
  {
    name: 'a Link to a new page every time', lists: 50, error: /the list of rooms: unexpected answer \(more than 50 pages in \d+ s; stopped there\)/,
    queue: () => {
      for (let page = 1; page <= 60; page++) webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'headers', headers: { Link: `<${roomsPage(page)}>; rel="next"` } });
    },
  },
]) {
  test(`the search for the room stops at ${name}, the button gets its answer, and no room is created blindly`, async () => {
    queue();
    const answer = await (await bot()).press();
    assert.equal(answer.status, 502);
    assert.match(actionOf(answer.body, FIND_ROOM)!.error!, error);
    assert.equal(roomLists().length, lists);
    assert.deepEqual(roomPosts(), [], 'a search that failed is not taken for "no such room"');
  });
}

test('a Link to another host is never followed, so the Webex token never goes there', async () => {
  const elsewhere = await startRecorder();
  try {
    webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'headers', headers: { Link: `<${elsewhere.url}/v1/rooms?cursor=x>; rel="next"` } });
    const answer = await (await bot()).press();
    assert.equal(answer.status, 502);
    assert.match(actionOf(answer.body, FIND_ROOM)!.error!, new RegExp(`its next page is on another host \\(${elsewhere.url}\\)`));
    assert.deepEqual(elsewhere.visits, []);
    assert.deepEqual(roomPosts(), []);
  } finally {
    await elsewhere.close();
  }
});

// --- Answers of the wrong shape, and answers lost ----------------------------------------------------

for (const afterWork of [false, true]) {
  test(`a 200 without a room id fails the room action and keeps nothing${afterWork ? '; the room Webex made anyway is found by its title next time' : ''}`, async () => {
    webex.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'status', status: 200, body: {}, afterWork });
    const button = await bot();
    const first = await button.press();
    assert.equal(first.status, 502);
    assert.match(actionOf(first.body, FIND_ROOM)!.error!, /the new room: unexpected answer \(no valid `id`\)/);
    assert.ok(first.body.failed!.includes(FIND_ROOM));
    assert.equal(savedState(button).room, undefined, 'no room id reaches the state');

    const second = await button.press();
    assert.equal(second.status, 200);
    assert.equal(webex.rooms.length, 1, 'still one room');
    assert.equal(roomPosts().length, afterWork ? 1 : 2);
    assert.equal(savedState(button).room?.id, webex.rooms[0]!.id);
    assert.ok(webex.messages.length > 0 && webex.messages.every((message) => message.roomId === webex.rooms[0]!.id));
  });
}

for (const { name, fault } of [
  { name: 'a 500', fault: { kind: 'status', status: 500, afterWork: true } as const },
  { name: 'no answer at all', fault: { kind: 'hang', afterWork: true } as const },
]) {
  test(`a room Webex created while answering ${name} is found, not created again`, async () => {
    webex.fail({ method: 'POST', path: '/v1/rooms' }, fault);
    const button = await bot(webexOnly('press_timeout: 2'), QUICK);
    const first = await button.press();
    assert.ok(first.status === 200 || first.status === 202, `answered ${first.status}: ${JSON.stringify(first.body)}`);
    await until(() => webex.messages.length === 1 && webex.memberships.length === 4, 'step 1 delivered in the room', 8000);
    assert.equal((await button.press()).status, 200);
    assert.equal(roomPosts().length, 1, 'the room was asked for once');
    assert.equal(webex.rooms.length, 1);
    assert.ok(webex.messages.every((message) => message.roomId === webex.rooms[0]!.id));
  });
}

test('a room found after its creation answer was lost is reported found, not still being tried', async () => {
  webex.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'status', status: 500, afterWork: true });
  const button = await bot(webexOnly('press_timeout: 4'), QUICK);
  const answer = await button.press();
  assert.equal(webex.messages.length, 1, 'the step was delivered before the answer');
  assert.notEqual(actionOf(answer.body, FIND_ROOM)!.status, 'pending');
  assert.equal(answer.status, 200);
  const shown = (await statusJson(button)).history[0]!.actions.find((action) => action.summary === FIND_ROOM)!;
  assert.notEqual(shown.outcome, 'still being tried');
});

// --- Throttling and outages: the outbox ---------------------------------------------------------------

test('an SMS throttled with Retry-After 60 leaves the button answered 202 and waits its minute in the outbox', async () => {
  const button = await bot(settings('press_timeout: 2'), QUICK);
  await button.press();
  twilio.fail({ method: 'POST', path: TWILIO_SMS }, { kind: 'status', status: 429, retryAfterSeconds: 60 });
  const started = Date.now();
  const answer = await button.press();
  assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms, the press deadline is 2 s`);
  assert.equal(answer.status, 202);
  assert.deepEqual(answer.body.pending!.sort(), [SMS, SMS_RECORD].sort());
  assert.equal(twilio.requests.length, 1, 'not sent again before the minute is over');

  const entry = savedState(button).outbox.find((candidate) => candidate.action.id === 'sms:+352691496401')!;
  const wait = Date.parse(entry.nextAttemptAt!) - Date.parse(entry.journaledAt);
  assert.ok(wait >= 60_000 && wait < 63_000, `next attempt ${wait} ms after the press`);
  const late = (await statusJson(button)).late.find((item) => item.summary === SMS);
  assert.equal(late?.pressNumber, 2);
  assert.equal(late?.nextAttemptAt, entry.nextAttemptAt);
  assert.match(late?.reason ?? '', /answered 429/);
});

test('a press whose SMS must wait a minute answers at once, not at the press deadline', async () => {
  const button = await bot(settings('press_timeout: 5'), QUICK);
  await button.press();
  twilio.fail({ method: 'POST', path: TWILIO_SMS }, { kind: 'status', status: 429, retryAfterSeconds: 60 });
  const started = Date.now();
  const answer = await button.press();
  const waited = Date.now() - started;
  assert.equal(answer.status, 202);
  assert.ok(waited < 2500, `answered after ${waited} ms of a 5 s deadline, though nothing could change before a minute`);
});

/** Press 1, then press 2 (the SMS) while Twilio answers 503 to everything; resolves once the SMS is given up. */
async function smsGivenUp(): Promise<BotProcess> {
  const button = await bot(settings('press_timeout: 1', 'deliver_within: 0.02'), QUICK);
  await button.press();
  twilio.fail({ path: TWILIO_SMS }, { kind: 'status', status: 503 }, Infinity);
  await button.press();
  await until(() => savedState(button).history[0]?.actions.some((action) => action.summary === SMS && action.status === 'given up') === true,
    'the SMS given up', 8000);
  return button;
}

test('an SMS Twilio refuses for longer than deliver_within is given up, and the history says so', async () => {
  const button = await smsGivenUp();
  assert.deepEqual(twilio.messages, []);
  assert.equal(savedState(button).outbox.length, 0, 'nothing is left to try');
  const sms = (await statusJson(button)).history[0]!.actions.find((action) => action.summary === SMS)!;
  assert.equal(sms.outcome, 'given up');
  assert.match(sms.reason!, /answered 503/);
});

test('the room is told that an SMS was given up', async () => {
  await smsGivenUp();
  await until(() => roomTexts().some((text) => text.startsWith(`${SMS} failed`)), 'the SMS record line', 8000);
  assert.match(roomTexts().find((text) => text.startsWith(`${SMS} failed`))!, /given up/);
});

test('a restart during an outage resumes the outbox, and the SMS goes out once, recorded as late', async () => {
  const first = await bot(settings('press_timeout: 1'), QUICK);
  await first.press();
  twilio.fail({ path: TWILIO_SMS }, { kind: 'status', status: 503 }, Infinity);
  const answer = await first.press();
  assert.equal(answer.status, 202);
  assert.ok(answer.body.pending!.includes(SMS));
  await first.stop();

  const seen = twilio.requests.length;
  await bot(settings('press_timeout: 1'), QUICK, first.stateDirectory);
  await until(() => twilio.requests.length > seen, 'the restarted bot trying the SMS again', 5000);
  twilio.clearFaults();
  await until(() => roomTexts().some((text) => text.startsWith("SMS 'Check Cisco Spark' sent to +352691496401")), 'the SMS recorded in the room', 8000);
  assert.match(roomTexts().find((text) => text.startsWith("SMS 'Check Cisco Spark'"))!, /\(late: \d+ s after press 2\)$/);
  assert.equal(twilio.messages.length, 1);
});

// --- Moderated rooms ----------------------------------------------------------------------------------

for (const { name, text, body } of [
  { name: 'named moderators', text: webexOnly(), body: `{"title":"${TITLE}","isLocked":true}` },
  { name: 'no moderators', text: webexOnly().replace(/ {4}moderators:\n( {6}- .*\n)+/, ''), body: `{"title":"${TITLE}"}` },
]) {
  test(`a room for settings with ${name} is created ${name === 'no moderators' ? 'open' : 'locked'}`, async () => {
    assert.equal((await (await bot(text)).press()).status, 200);
    assert.deepEqual(roomPosts().map(describeRequest), [`POST /v1/rooms ${body}`]);
  });
}

test('a locked room the bot does not moderate is refused, with what to do, in the answer and on the status page', async () => {
  webex.addRoom(TITLE, { isLocked: true, botIsModerator: false });
  const button = await bot();
  const answer = await button.press();
  assert.equal(answer.status, 502);
  const advice = new RegExp(`the room "${TITLE}" is moderated and the bot is not one of its moderators.*ask a moderator to make the bot a moderator, or rename the room in settings\\.yaml`);
  assert.match(actionOf(answer.body, FIND_ROOM)!.error!, advice);
  const shown = (await statusJson(button)).history[0]!.actions.find((action) => action.summary === FIND_ROOM)!;
  assert.equal(shown.outcome, 'failed');
  assert.match(shown.reason!, advice);
  assert.deepEqual(roomPosts(), []);
  assert.deepEqual(webex.messages, []);
  assert.deepEqual(webex.memberships, []);
});

test('a locked room the bot moderates is used as it is', async () => {
  const room = webex.addRoom(TITLE, { isLocked: true });
  const answer = await (await bot()).press();
  assert.equal(answer.status, 200);
  assert.deepEqual(roomPosts(), []);
  assert.equal(webex.memberships.length, 4);
  assert.deepEqual(webex.messages.map((message) => message.roomId), [room.id]);
});

for (const { name, deleted, prepare, roomsLeft } of [
  { name: 'its own room', deleted: 'for everyone', roomsLeft: 0, prepare: async (button: BotProcess) => void await button.press() },
  { name: 'a locked room it does not moderate', deleted: 'bot removed', roomsLeft: 1, prepare: async () => void webex.addRoom(TITLE, { isLocked: true, botIsModerator: false }) },
  { name: 'no room', deleted: 'not found', roomsLeft: 0, prepare: async () => undefined },
]) {
  test(`a reset that deletes ${name} says Webex did: ${deleted}`, async () => {
    const button = await bot();
    await prepare(button);
    const answer = await reset(button, true);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.deleted, deleted);
    assert.equal(webex.rooms.length, roomsLeft);
    assert.ok(webex.rooms.every((room) => !room.botIsMember), 'the bot is in no room any more');
  });
}

for (const { name, fault, id } of [
  { name: 'its body', id: 'ROUTER_BODY-1', fault: { kind: 'status', status: 400, body: { message: 'The file is too large.', trackingId: 'ROUTER_BODY-1' } } as const },
  { name: 'only its TrackingID header', id: 'ROUTER_HEADER-2', fault: { kind: 'status', status: 403, body: { message: 'Forbidden.' }, headers: { TrackingID: 'ROUTER_HEADER-2' } } as const },
]) {
  test(`a Webex error keeps the tracking id from ${name} in the answer, the status page and the room`, async () => {
    webex.fail({ method: 'POST', path: '/v1/messages' }, fault);
    const button = await bot();
    const answer = await button.press();
    assert.equal(answer.status, 502);
    assert.match(actionOf(answer.body, 'post dashboard.png with the message')!.error!, new RegExp(`answered ${fault.status}: ${fault.body.message.replace('.', '\\.')} \\(tracking id ${id}\\)$`));
    const shown = (await statusJson(button)).history[0]!.actions.find((action) => action.summary === 'post dashboard.png with the message')!;
    assert.match(shown.reason!, new RegExp(`\\(tracking id ${id}\\)`));
    await until(() => roomTexts().some((text) => text.includes('did not fully work')), 'the room told of the failure', 8000);
    assert.match(roomTexts().find((text) => text.includes('did not fully work'))!, new RegExp(`\\(tracking id ${id}\\)`));
  });
}

// --- Secrets in error texts ---------------------------------------------------------------------------

test('an account SID in a Twilio error is masked in the answer, the room, the status page, the state and the log', async () => {
  const otherAccount = `AC${'ab'.repeat(16)}`;
  const button = await bot(settings());
  await button.press();
  twilio.fail({ method: 'POST', path: TWILIO_SMS }, {
    kind: 'status', status: 400,
    body: { code: 21606, status: 400, message: `The From number +33644606827 is not SMS-capable for account ${TEST_TOKENS.accountSid} (sub-account of ${otherAccount}).` },
  });
  const answer = await button.press();
  assert.equal(answer.status, 502);
  assert.match(actionOf(answer.body, SMS)!.error!, /for account AC… \(sub-account of AC…\)\. \(code 21606\)/, 'the rest of Twilio\'s message stays');
  await until(() => roomTexts().some((text) => text.startsWith(`${SMS} failed`)), 'the SMS failure recorded in the room', 8000);
  const seen = [JSON.stringify(answer.body), roomTexts().join('\n'), JSON.stringify(await statusJson(button)), stateText(button), button.output()];
  for (const [where, text] of ['answer', 'room', 'status page', 'state', 'log'].map((where, i) => [where, seen[i]!] as const)) {
    assert.ok(!text.includes(TEST_TOKENS.accountSid) && !text.includes(otherAccount), `an account SID in the ${where}`);
  }
});

// --- The state file and the health check --------------------------------------------------------------

for (const { name, text, reason } of [
  { name: 'a step that is not a number', text: '{"nextStep":"x"}', reason: 'nextStep is not a step number' },
  { name: 'a list', text: '[]', reason: 'the state is not an object' },
  { name: 'a newer version', text: '{"version":99,"nextStep":3,"pressCount":2}', reason: 'version 99, written by a newer bot' },
  { name: 'no JSON', text: '{"nextStep":', reason: 'not JSON' },
]) {
  test(`a state file holding ${name} is kept aside with a warning, and the sequence starts at step 1`, async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'bttn-state-'));
    writeFileSync(path.join(directory, 'state.json'), text);
    const button = await bot(webexOnly(), {}, directory);
    const warning = /^warning message="the state file (.*) could not be used \((.*)\); it was kept as (.*) and the sequence starts at step 1"$/m.exec(button.output());
    assert.ok(warning !== null, button.output());
    assert.equal(warning[2], reason);
    assert.equal(readFileSync(warning[3]!, 'utf8'), text, 'the file is kept as it was');
    assert.ok(readdirSync(directory).some((file) => file.startsWith('state.json.unreadable-')));
    assert.equal((await button.press()).body.step, 1);
  });
}

test('the health check answers 503 with the reason while the state cannot be written, and 200 once a press writes it again', async () => {
  const button = await bot();
  const obstacle = path.join(button.stateDirectory, 'state.journal');
  mkdirSync(obstacle);
  assert.equal((await button.press()).status, 500);
  const failing = await fetch(`${button.baseUrl}/health`);
  assert.equal(failing.status, 503);
  assert.equal(((await failing.json()) as { error: string }).error, "the state file could not be written (EISDIR); see the bot's log");
  rmdirSync(obstacle);
  assert.equal((await button.press()).status, 200);
  const healthy = await fetch(`${button.baseUrl}/health`);
  assert.equal(healthy.status, 200);
  assert.deepEqual(await healthy.json(), { ok: true, settings: 'loaded', stateWritable: true });
});

test('a state folder that cannot be created stops the bot with the real cause', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bttn-')), 'not-a-folder');
  writeFileSync(file, '');
  const stateDirectory = path.join(file, 'state');
  await assert.rejects(
    startBot({ folder: workspace(webexOnly()), env: liveEnv(webex.url, twilio.url), stateDirectory }),
    (error: Error) => error.message.includes(`The bot stopped: cannot create the state folder ${stateDirectory}: ${file} is a file, not a folder; set BTTN_STATE_DIR to a writable folder`),
  );
});

for (const { name, env, step, notice } of [
  { name: 'starts at step 1', env: {}, step: 1, notice: /Live run: the escalation starts at step 1\. The dry-run rehearsal had reached step 3/ },
  { name: 'continues with BTTN_CONTINUE_FROM_DRY_RUN=1', env: { BTTN_CONTINUE_FROM_DRY_RUN: '1' }, step: 3, notice: /Live run: continuing from the dry-run rehearsal at step 3/ },
]) {
  test(`a live run after a dry-run rehearsal ${name}, and never uses the rehearsal's room`, async () => {
    const rehearsal = await startBot({ folder: workspace(settings()), env: { WEBEX_API_BASE: webex.url, TWILIO_API_BASE: twilio.url } });
    track(rehearsal);
    await rehearsal.press();
    await rehearsal.press();
    await rehearsal.stop();
    assert.match(readFileSync(path.join(rehearsal.stateDirectory, 'dry-run-state.json'), 'utf8'), /"id":"dry-run-/, 'the rehearsal kept a room of its own');

    const live = await bot(settings(), env, rehearsal.stateDirectory);
    assert.match(live.output(), notice);
    const answer = await live.press();
    assert.equal(answer.status, 200);
    assert.equal(answer.body.step, step);
    assert.ok(!JSON.stringify(webex.requests).includes('dry-run'), 'no rehearsal id reaches Webex');
    assert.equal(webex.rooms.length, 1);
  });
}

// --- Stopping -----------------------------------------------------------------------------------------

test('a SIGTERM while a Webex post hangs ends the bot in time, and the restart delivers the post', async () => {
  webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'hang' });
  const first = await bot();
  const pressing = first.press().catch(() => undefined);
  await until(() => webex.requests.some((request) => request.path === '/v1/messages' && request.status === 0), 'the post hanging');
  const stopping = Date.now();
  await first.stop();
  assert.ok(Date.now() - stopping < 10_000, `stopped after ${Date.now() - stopping} ms; systemd kills at 10 s`);
  await pressing;
  assert.equal(webex.messages.length, 0);

  await bot(webexOnly(), {}, first.stateDirectory);
  await until(() => webex.messages.some((message) => message.files[0]?.name === 'dashboard.png'), 'the post delivered after the restart', 15_000);
  assert.equal(webex.messages.filter((message) => message.files[0]?.name === 'dashboard.png').length, 1);
  assert.equal(webex.rooms.length, 1);
});

// --- The history --------------------------------------------------------------------------------------

test('the history keeps real presses ahead of debounced ones', async () => {
  const button = await bot(`${oneStep}    debounce: 1\n`);
  const first = await button.press();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const second = await button.press();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  // A bouncing contact: 61 presses at once, of which the first to arrive counts and 60 are debounced.
  const burst = await Promise.all(Array.from({ length: 61 }, () => button.press()));
  const third = burst.filter((answer) => answer.body.kind !== 'debounced');
  assert.equal(third.length, 1);
  const history = (await statusJson(button)).history;
  assert.equal(history.length, 50);
  assert.deepEqual(history.filter((press) => press.kind !== 'debounced').map((press) => press.id), [third[0]!, second, first].map((answer) => answer.body.press));
});
