import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { fakeWorld } from './support/fake-world.ts';
import { liveEnv, repoRoot, seedSettings, startBot, TEST_TOKENS, until, workspace, type BotProcess } from './support/bot-process.ts';
import { describeRequest, since } from './support/requests.ts';
import { savedButton } from './support/saved.ts';

const seed = readFileSync(seedSettings, 'utf8');
/** The seed with the debounce window off, so a test can press quickly. */
const seedNoDebounce = `${seed}    debounce: 0\n`;
const crlf = (text: string) => text.replace(/\n/g, '\r\n');
const fileBytes = (name: string) => readFileSync(path.join(repoRoot, 'files', name)).length;

const { webex, twilio, bot, track } = await fakeWorld(seedNoDebounce);

/** Presses once and returns the answer with the requests that reached each fake during the press. */
async function pressAndWatch(button: BotProcess) {
  const seenWebex = webex.requests.length;
  const seenTwilio = twilio.requests.length;
  const answer = await button.press();
  return {
    ...answer,
    webex: since(webex.requests, seenWebex),
    twilio: since(twilio.requests, seenTwilio),
  };
}

test('the 2016 seed sample, pressed 7 times, drives Webex and Twilio step by step', async () => {
  const steps = (parse(seed) as { 'bt.tn': { markdown?: string }[] })['bt.tn'];
  const button = await bot(seed);
  const presses = [];
  for (let press = 1; press <= 7; press++) {
    if (press > 1) await new Promise((resolve) => setTimeout(resolve, 2100)); // the seed keeps the 2 s debounce window
    presses.push(await pressAndWatch(button));
  }
  const [one, two, three, four, five, six, seven] = presses;

  // Press 1: look for the room, create it, then invite people and post the first message together.
  assert.equal(one!.status, 200);
  assert.equal(one!.body.step, 1);
  assert.deepEqual(one!.webex.slice(0, 2).map(describeRequest), [
    'GET /v1/rooms',
    'POST /v1/rooms {"title":"Green Power Demonstration","isLocked":true}',
  ]);
  assert.deepEqual(one!.webex.slice(2).map(describeRequest).sort(), [
    'POST /v1/memberships {"roomId":"ROOM","personEmail":"bernard.paques@dimensiondata.com","isModerator":true}',
    'POST /v1/memberships {"roomId":"ROOM","personEmail":"david.hubert@dimensiondata.com","isModerator":false}',
    'POST /v1/memberships {"roomId":"ROOM","personEmail":"laurent.vogt@dimensiondata.com","isModerator":false}',
    'POST /v1/memberships {"roomId":"ROOM","personEmail":"nemo.verbist@dimensiondata.com","isModerator":true}',
    `POST /v1/messages multipart file=dashboard.png (image/png, ${fileBytes('dashboard.png')} bytes) markdown=${JSON.stringify(crlf(`${steps[0]!.markdown!.trimEnd()}\n\nCurrent status of the server`))}`,
  ]);
  assert.deepEqual(webex.rooms.map((room) => room.title), ['Green Power Demonstration']);
  assert.deepEqual(webex.messages[0]!.files[0]!.bytes, readFileSync(path.join(repoRoot, 'files/dashboard.png')));
  assert.deepEqual(one!.twilio, []);

  // Press 2: the form with its message, and an SMS recorded in the room once sent.
  assert.equal(two!.status, 200);
  assert.equal(two!.body.step, 2);
  assert.deepEqual(two!.twilio.map(describeRequest), ['twilio SMS Body=Check Cisco Spark From=+33644606827 To=+352691496401']);
  assert.deepEqual(two!.webex.map(describeRequest).sort(), [
    `POST /v1/messages multipart file=IncidentReportForm.pdf (application/pdf, ${fileBytes('IncidentReportForm.pdf')} bytes) markdown=${JSON.stringify(crlf(`${steps[1]!.markdown!.trimEnd()}\n\nPrint and fill this form`))}`,
    'POST /v1/messages {"roomId":"ROOM","text":"SMS \'Check Cisco Spark\' sent to +352691496401"}',
  ]);
  const smsRecord = two!.webex.find((request) => describeRequest(request).includes('sent to'))!;
  assert.ok(smsRecord.at > two!.twilio[0]!.at, 'the SMS is recorded in the room after Twilio accepted it');

  // Press 3: a call with inline TwiML that speaks the sentence.
  assert.equal(three!.body.step, 3);
  assert.deepEqual(three!.twilio.map(describeRequest), [
    'twilio call From=+33644606827 To=+352691496401 Twiml=<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello, please check Cisco Spark. There is an on-going escalation</Say></Response>',
  ]);
  assert.deepEqual(three!.webex.map(describeRequest).sort(), [
    'POST /v1/messages {"roomId":"ROOM","markdown":"A real-time telephone call is taking place right now.\\n"}',
    'POST /v1/messages {"roomId":"ROOM","text":"Calling +352691496401"}',
  ]);

  // Presses 4 and 5: a file each, with its label as the text.
  assert.deepEqual(four!.webex.map(describeRequest), [
    `POST /v1/messages multipart file=dimension-data.png (image/png, ${fileBytes('dimension-data.png')} bytes) text="Build new integrated systems and manage them"`,
  ]);
  assert.deepEqual(five!.webex.map(describeRequest), [
    `POST /v1/messages multipart file=spark.png (image/png, ${fileBytes('spark.png')} bytes) text="Cisco Spark brings things and human beings together"`,
  ]);

  // Presses 6 and 7: every step has run; a short notice each time.
  for (const [press, number] of [[six!, 6], [seven!, 7]] as const) {
    assert.equal(press.status, 200);
    assert.equal(press.body.kind, 'after last step');
    assert.deepEqual(press.webex.map(describeRequest), [`POST /v1/messages {"roomId":"ROOM","text":"ping ${number}: all 5 steps of the escalation have run"}`]);
    assert.deepEqual(press.twilio, []);
  }
  assert.ok(presses.every((press) => press.webex.every((request) => request.status === 200)));
  assert.equal(webex.rooms.length, 1);
});

test('a request that follows another reuses its connection: press 1 opens one per request it sends together, no more', async () => {
  const button = await bot(seedNoDebounce);
  const before = webex.connections;
  const one = await pressAndWatch(button);
  assert.equal(one.status, 200);
  // Looking for the room, then creating it, go over one connection; the four invitations and the message go
  // together, over that one and four more. Against Webex, each new connection is a TLS handshake.
  assert.equal(one.webex.length, 7);
  assert.equal(webex.connections - before, 5);
});

test('a wrong or missing button token gets 404 and causes nothing', async () => {
  const button = await bot();
  for (const url of [`${button.baseUrl}/press/wrong-token`, `${button.baseUrl}/press/`, `${button.baseUrl}/press/${TEST_TOKENS.button}x`]) {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(url, { method });
      assert.equal(response.status, 404, `${method} ${url}`);
    }
  }
  assert.deepEqual(webex.requests, []);
  assert.deepEqual(twilio.requests, []);
  assert.equal((await button.press('GET')).body.step, 1, 'GET is a press too');
});

test('a wrong token of the right length gets 404 on the press URL, the status page and its events, and causes nothing', async () => {
  const button = await bot();
  const token = TEST_TOKENS.button;
  // Same length, one character changed: at the start, in the middle, at the end.
  const wrong = [0, token.length >> 1, token.length - 1].map((at) => `${token.slice(0, at)}${token[at] === 'x' ? 'y' : 'x'}${token.slice(at + 1)}`);
  for (const candidate of wrong) {
    assert.equal(candidate.length, token.length);
    for (const [method, where, headers] of [
      ['POST', `/press/${candidate}`, {}], ['GET', `/press/${candidate}`, {}],
      ['GET', `/status/${candidate}`, {}], ['GET', `/status/${candidate}`, { accept: 'application/json' }],
      ['GET', `/status/${candidate}/events`, {}], ['POST', `/status/${candidate}/press`, {}],
    ] as const) {
      const response = await fetch(`${button.baseUrl}${where}`, { method, headers });
      assert.equal(response.status, 404, `${method} ${where}`);
      assert.deepEqual(await response.json(), { error: 'not found' });
    }
  }
  assert.deepEqual(webex.requests, []);
  assert.deepEqual(twilio.requests, []);
  assert.equal((await button.press()).body.step, 1, 'the first real press is still step 1');
});

test('under the default window of 2 s, a press 1 s after a counted one counts once, and one 2.1 s after it counts', async () => {
  const button = await bot(seed);
  await fetch(`${button.baseUrl}/health`); // the first request pays for warming up, not the presses
  const started = performance.now();
  const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, started + ms - performance.now()));
  const first = button.press();
  await at(1000);
  const second = await button.press();
  await at(2100);
  const third = await button.press();
  assert.equal((await first).body.step, 1);
  assert.equal(second.body.kind, 'debounced', '1 s after a counted press');
  assert.equal(third.body.step, 2, '2.1 s after the counted press, though 1.1 s after the debounced one');
});

test('a second press within the debounce window counts once', async () => {
  const button = await bot(seed);
  const [first, second] = await Promise.all([button.press(), button.press()]);
  assert.equal(first.status, 200);
  assert.equal(first.body.step, 1);
  assert.equal(second.status, 200);
  assert.equal(second.body.kind, 'debounced');
  assert.equal(webex.messages.length, 1);
  const next = await (await bot(seed, {}, button.stateDirectory)).press();
  assert.equal(next.body.step, 2, 'the debounced press did not use up a step');
});

test('20 presses sent at once: one runs, one waits, and the others are counted with the waiting one', async (t) => {
  const button = await bot();
  // A slow Webex keeps the first press running while all 20 arrive.
  webex.latencyMs = 300;
  t.after(() => { webex.latencyMs = 0; });
  const answers = await Promise.all(Array.from({ length: 20 }, () => button.press()));
  assert.deepEqual(answers.map((answer) => answer.body.step), [1, ...Array(19).fill(2)]);
  const counted = answers.filter((answer) => answer.body.coalesced !== undefined);
  assert.equal(counted.length, 18);
  assert.ok(counted.every((answer) => answer.body.countedWith === answers[1]!.body.press && answer.body.coalesced === 18));
  assert.equal(webex.rooms.length, 1);
  assert.equal(webex.requests.filter((request) => request.method === 'POST' && request.path === '/v1/rooms').length, 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(twilio.messages.length, 1, 'step 2 ran once, and nothing bursts out later');
  assert.equal((await button.press()).body.step, 3);
});

test('an existing room with the same title is found across pages and reused', async () => {
  for (const title of ['Other 1', 'Other 2', 'Other 3', 'Green Power Demonstration']) webex.addRoom(title);
  const button = await bot();
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.webex.slice(0, 2).map(describeRequest), ['GET /v1/rooms', 'GET /v1/rooms']);
  assert.equal(answer.webex.filter((request) => request.path === '/v1/rooms' && request.method === 'POST').length, 0);
  assert.equal(webex.rooms.length, 4);
  assert.equal(webex.messages[0]!.roomId, webex.rooms[3]!.id);
});

test('a person already in the room is not an error', async () => {
  const room = webex.addRoom('Green Power Demonstration');
  const button = await bot();
  webex.memberships.push({ id: 'existing', roomId: room.id, personEmail: 'laurent.vogt@dimensiondata.com', isModerator: false, created: new Date().toISOString() });
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 200);
  assert.ok(answer.webex.some((request) => request.status === 409), 'Webex answered 409 for the existing member');
});

test('a 429 from Webex is retried after its Retry-After delay', async () => {
  webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'status', status: 429, retryAfterSeconds: 1 });
  const button = await bot();
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 200);
  const posts = answer.webex.filter((request) => request.path === '/v1/messages');
  assert.deepEqual(posts.map((request) => request.status), [429, 200]);
  assert.ok(posts[1]!.at - posts[0]!.at >= 950, `waited ${Math.round(posts[1]!.at - posts[0]!.at)} ms, Retry-After said 1 s`);
  assert.equal(answer.body.actions!.find((action) => action.action.startsWith('post'))!.attempts, 2);
});

test('a 500 from Twilio is retried, and the SMS goes out once', async () => {
  twilio.fail({ method: 'POST', path: /Messages\.json$/ }, { kind: 'status', status: 500 });
  const button = await bot(seedNoDebounce);
  await button.press();
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 200);
  // A 500 may come after Twilio did the work: the bot looks for the SMS before sending it again.
  assert.deepEqual(answer.twilio.map((request) => `${request.method} ${request.status}`), ['POST 500', 'GET 200', 'POST 201']);
  assert.equal(twilio.messages.length, 1);
});

test('a refused SMS is reported in the room and to the button, and the rest of the step is delivered', async () => {
  const button = await bot(seedNoDebounce.replace('- number: "+352691496401"\n\n    markdown', '- number: "+999"\n\n    markdown').replace('"+999"', '"+35269149640100"'));
  await button.press();
  twilio.fail({ path: /Messages\.json$/ }, { kind: 'status', status: 400, body: { code: 21211, message: "The 'To' number +35269149640100 is not a valid phone number.", status: 400 } });
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 502);
  assert.deepEqual(answer.body.failed, ['SMS to +35269149640100']);
  assert.deepEqual(answer.twilio.map((request) => request.status), [400], '4xx is not retried');
  const error = answer.body.actions!.find((action) => action.action === 'SMS to +35269149640100')!.error!;
  assert.match(error, /answered 400: The 'To' number \+35269149640100 is not a valid phone number\. \(code 21211\)/);
  assert.ok(webex.messages.some((message) => message.files[0]?.name === 'IncidentReportForm.pdf'), 'the form was still posted');
  assert.ok(webex.messages.some((message) => message.text === `SMS to +35269149640100 failed: ${error}`), 'the failure is recorded in the room');
  assert.equal((await button.press()).body.step, 3, 'the escalation moves on');
});

test('a Webex that never answers gets the button its answer by the press deadline, and the step is delivered late', async () => {
  webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'hang' }, 5);
  const button = await bot(`${seedNoDebounce}    press_timeout: 2\n`, { BTTN_HTTP_TIMEOUT_MS: '200', BTTN_RETRY_DEADLINE_MS: '1000' });
  const started = Date.now();
  const answer = await button.press();
  assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
  assert.equal(answer.status, 202);
  assert.equal(answer.body.ok, true);
  const room = answer.body.actions!.find((action) => action.action.startsWith('find or create'))!;
  assert.match(room.error!, /GET http:\/\/127\.0\.0\.1:\d+\/v1\/rooms got no answer within 0\.2 s/);
  assert.ok(room.attempts >= 2, `retried (${room.attempts} attempts)`);
  assert.deepEqual(answer.body.pending, answer.body.actions!.filter((action) => action.status === 'pending').map((action) => action.action));
  assert.ok(answer.body.pending!.some((action) => action.startsWith('post dashboard.png')));
  // Webex answers again: the outbox delivers the step in the background, once, and says it is late.
  // Each action waits longer after each failure (1 s, 2 s, 4 s...): on a loaded machine this takes a while.
  await until(() => webex.messages.length === 2 && webex.memberships.length === 4, 'the message, the lateness notice and the invitations', 30_000);
  assert.equal(webex.rooms.length, 1);
  assert.equal(webex.memberships.length, 4);
  // Told through the outbox as a plain notice, like every line the bot adds to the room.
  assert.match(webex.messages[1]!.text ?? '', /late: \d+ s after press 1/);
});

test('a room deleted in Webex is created again, with its people, on the next press', async () => {
  const button = await bot();
  await button.press();
  webex.reset();
  const answer = await pressAndWatch(button);
  assert.equal(answer.status, 200);
  assert.equal(webex.rooms.length, 1);
  assert.equal(webex.memberships.length, 4);
  assert.ok(webex.messages.some((message) => message.files[0]?.name === 'IncidentReportForm.pdf'));
});

test('a crash in the middle of a press loses no step and makes no second room', async () => {
  const first = await bot();
  const state = first.stateDirectory;
  await first.press();
  // Press 2: the SMS goes out, then the bot dies while Webex answers neither the form upload nor the SMS's record line.
  webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'hang' }, 2);
  const pressing = first.press().catch(() => undefined);
  await until(() => twilio.messages.length === 1 && webex.requests.filter((request) => request.path === '/v1/messages' && request.status === 0).length === 2, 'the SMS sent, the upload and the record line hanging');
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the SMS's journal entry reach the disk
  await first.kill();
  await pressing;

  // At start the bot finishes the interrupted step by itself: it checks with Twilio, which has the SMS, and posts the rest.
  const seenTwilio = twilio.requests.length;
  const restarted = await bot(seedNoDebounce, {}, state);
  await until(() => webex.messages.some((message) => message.text?.startsWith("SMS 'Check Cisco Spark' sent to +352691496401") === true)
    && webex.messages.some((message) => message.files[0]?.name === 'IncidentReportForm.pdf'), 'the form posted and the SMS recorded in the room');
  assert.deepEqual(since(twilio.requests, seenTwilio), [], 'the SMS journaled as sent is neither sent again nor looked for');
  assert.equal((await restarted.press()).body.step, 3, 'the next press runs the next step');
  assert.equal(webex.rooms.length, 1);
  assert.equal(twilio.messages.length, 1);
});

test('an SMS whose answer was lost is found in Twilio and not sent again, before and after a crash', async () => {
  const button = await bot();
  await button.press();
  // Twilio takes the SMS and the answer never comes back; the bot dies while it waits.
  twilio.fail({ method: 'POST', path: /Messages\.json$/ }, { kind: 'hang', afterWork: true });
  const pressing = button.press().catch(() => undefined);
  await until(() => twilio.messages.length === 1, 'Twilio has the SMS');
  await button.kill();
  await pressing;
  const seenTwilio = twilio.requests.length;
  const restarted = await bot(seedNoDebounce, {}, button.stateDirectory);
  await until(() => webex.messages.some((message) => message.text?.startsWith("SMS 'Check Cisco Spark' sent to +352691496401") === true), 'the SMS recorded in the room');
  assert.deepEqual(since(twilio.requests, seenTwilio).map((request) => `${request.method} ${request.status}`), ['GET 200'], 'looked for, found, not sent again');
  assert.equal(twilio.messages.length, 1);
  // A 500 after the work: the same check, within the press.
  twilio.fail({ method: 'POST', path: /Calls\.json$/ }, { kind: 'status', status: 500, afterWork: true });
  const answer = await pressAndWatch(restarted);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.twilio.map((request) => `${request.method} ${request.status}`), ['POST 500', 'GET 200']);
  assert.equal(twilio.calls.length, 1);
  assert.equal(answer.body.actions!.find((action) => action.action === 'call +352691496401')!.status, 'delivered');
});

test('a crash right after the room was created makes no second room', async () => {
  webex.fail({ method: 'POST', path: '/v1/memberships' }, { kind: 'hang' }, 4);
  webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'hang' });
  const first = await bot();
  void first.press().catch(() => undefined);
  await until(() => webex.requests.filter((request) => request.status === 0).length === 5, 'the invitations and the message hanging');
  await first.kill();
  const restarted = await bot(seedNoDebounce, {}, first.stateDirectory);
  await until(() => webex.memberships.length === 4 && webex.messages.length >= 1, 'step 1 finished after the restart', 15_000);
  const answer = await restarted.press();
  assert.equal(answer.status, 200);
  assert.equal(answer.body.step, 2);
  assert.equal(webex.rooms.length, 1);
});

test('without credentials the bot runs in dry-run: nothing is sent, and what would be is kept in the state', async () => {
  const button = await startBot({ folder: workspace(seedNoDebounce), env: { WEBEX_API_BASE: webex.url, TWILIO_API_BASE: twilio.url } });
  track(button);
  await until(() => button.output().includes('Dry-run'), 'the dry-run notice');
  assert.match(button.output(), /Dry-run: no CISCO_SPARK_BTTN_BOT \(Webex\), TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN \(Twilio\)/);
  await button.press();
  const answer = await button.press();
  assert.equal(answer.status, 200);
  assert.equal(answer.body.dryRun, true);
  assert.deepEqual(webex.requests, []);
  assert.deepEqual(twilio.requests, []);
  assert.ok(answer.body.actions!.every((action) => action.status === 'dry-run'), 'each action says dry-run, not delivered');
  assert.equal(existsSync(path.join(button.stateDirectory, 'state.json')), false, 'a rehearsal never writes the live state');
  const state = savedButton(button.stateDirectory, 'dry-run') as unknown as { history: { actions: { wouldSend?: { method: string; url: string; body: Record<string, string> }[] }[] }[] };
  const wouldSend = state.history[0]!.actions.flatMap((action) => action.wouldSend ?? []);
  assert.ok(wouldSend.some((request) => request.url.endsWith('/Messages.json') && request.body.Body === 'Check Cisco Spark' && request.body.To === '+352691496401'));
  assert.ok(wouldSend.some((request) => request.url === `${webex.url}/messages` && request.body.files === `(file IncidentReportForm.pdf, application/pdf, ${fileBytes('IncidentReportForm.pdf')} bytes)`));
  // The log's lines of a press follow its answer.
  await until(() => /would send press=\w+ request="POST http:\/\/127\.0\.0\.1:\d+\/2010-04-01\/Accounts\/AC…\/Messages\.json"/.test(button.output()), 'the SMS in the log, its account SID masked');
});

test('when the state cannot be written, nothing is sent and the button gets a 500 that says why', async () => {
  const button = await bot();
  mkdirSync(path.join(button.stateDirectory, 'state.journal')); // the next write of the state fails
  const answer = await button.press();
  assert.equal(answer.status, 500);
  assert.match(answer.body.error!, /^the state file .*state\.json could not be written \(EISDIR\)$/);
  assert.deepEqual(webex.requests.filter((request) => request.method !== 'GET'), [], 'nothing is created or posted without the journal');
  assert.deepEqual(twilio.requests, []);
  rmdirSync(path.join(button.stateDirectory, 'state.journal'));
  const next = await button.press();
  assert.equal(next.status, 200, 'the bot recovers once the state can be written again');
  assert.equal(next.body.step, 1);
});

test('the warm-up at start runs every step without sending anything, and leaves nothing behind', async () => {
  const temporary = mkdtempSync(path.join(tmpdir(), 'bttn-tmp-'));
  const button = await bot(seed, { TMPDIR: temporary });
  await until(() => /^warmed up /m.test(button.output()), 'the warm-up');
  assert.match(button.output(), /^warmed up ms=\d+$/m, 'it ran the whole sequence without failing');
  assert.deepEqual([webex.requests, twilio.requests], [[], []], 'nothing reached Webex or Twilio');
  assert.deepEqual(readdirSync(temporary), [], 'its state and stand-in are gone');
  assert.deepEqual(readdirSync(button.stateDirectory), ['state.json'], 'the bot\'s own state is as a start leaves it');
  const one = await button.press();
  assert.equal(one.body.step, 1, 'the escalation starts at step 1');
});

test('the health check answers once settings are loaded and the state is writable', async () => {
  const button = await bot();
  const response = await fetch(`${button.baseUrl}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true, settings: 'loaded', stateWritable: true });
});

test('broken settings stop the bot before it listens, with the problems listed', async () => {
  await assert.rejects(
    startBot({ folder: workspace(seed.replace('moderators:', 'moderator:')), env: liveEnv(webex.url, twilio.url) }),
    /settings\.yaml:\d+:\d+ {2}spark\.moderator: unknown key `moderator`; did you mean `moderators`\?[\s\S]*The bot did not start\./,
  );
});

test('tokens and credentials never appear in logs or answers', async () => {
  twilio.fail({ path: /Calls\.json$/ }, { kind: 'status', status: 401 });
  const button = await bot();
  const bodies = [];
  for (let press = 0; press < 3; press++) bodies.push(JSON.stringify((await button.press()).body));
  await button.stop();
  const seen = `${button.output()}\n${bodies.join('\n')}`;
  assert.match(seen, /call \+352691496401/);
  for (const secret of Object.values(TEST_TOKENS)) assert.ok(!seen.includes(secret), `found ${secret}`);
  assert.ok(!/authorization|Basic [A-Za-z0-9+/]{20}|Bearer /i.test(seen), 'no auth header in logs');
});
