// Acknowledgement you can trust, through the real doors: every door answers in time while Webex hangs, and
// only this escalation's people, calls and cards take it (replayed, foreign and earlier callbacks take nothing).
// The real bot, with a public URL on loopback, against the fake Webex and Twilio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeWorld } from './support/fake-world.ts';
import { freePort, startBot, TEST_TOKENS, until, workspace, type BotProcess } from './support/bot-process.ts';
import type { WebexMessage } from './fakes/webex.ts';
import type { StatusView } from '../src/status/status-view.ts';

const ON_CALL = '+352691496401';
const LATER = '+41791234567';

/** Step 1 calls and texts ON_CALL; step 2 texts LATER, whom the escalation has not reached before it runs. */
const SETTINGS = `
bt.tn:
  - text: "step one"
    call: { to: "${ON_CALL}", say: "Please check Webex" }
    sms: { message: "Check Webex", to: "${ON_CALL}" }
  - text: "step two"
    sms: { message: "Check Webex", to: "${LATER}" }
webex:
  room: "Acknowledgement test"
twilio:
  from: "+33644606827"
server:
  debounce: 0
`;

const { webex, twilio, bot } = await fakeWorld(SETTINGS);

/** A bot whose public URL is its own loopback address, so Twilio's and Webex's callbacks reach it signed for that URL. */
async function publicBot(settings = SETTINGS): Promise<BotProcess & { publicUrl: string }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // Short HTTP timeouts: a request Webex leaves hanging is given up and tried again quickly once Webex is back.
  const started = await bot(settings, { PORT: String(port), BTTN_PUBLIC_URL: publicUrl, BTTN_HTTP_TIMEOUT_MS: '500', BTTN_RETRY_DEADLINE_MS: '1000' });
  await until(() => webex.webhooks.some((hook) => hook.targetUrl.startsWith(publicUrl)), 'the webhook registered');
  return Object.assign(started, { publicUrl });
}

async function status(button: BotProcess): Promise<StatusView> {
  const response = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`, { headers: { accept: 'application/json' } });
  return response.json() as Promise<StatusView>;
}

async function resolve(button: BotProcess): Promise<void> {
  const response = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}/resolve`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ann' }),
  });
  assert.equal(response.status, 200);
}

const texts = () => webex.messages.map((message) => message.text ?? message.markdown ?? '');
const cards = () => webex.messages.filter((message) => message.attachments.length > 0);

/** The escalation id a card's buttons submit. */
function escalationOf(card: WebexMessage): string {
  return (card.attachments[0]!.content as { actions: { data: { incident: string } }[] }).actions[0]!.data.incident;
}

/** Runs step 1 and waits until its call, SMS and card are out. */
async function escalate(button: BotProcess): Promise<void> {
  const calls = twilio.calls.length;
  const sms = twilio.messages.length;
  const posted = cards().length;
  await button.press();
  await until(() => twilio.calls.length > calls && twilio.messages.length > sms && cards().length > posted, 'the call, the SMS and the card');
}

/** Webex takes POST /messages and never answers, until clearFaults(). */
function webexHangs(): void {
  webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'hang' }, Infinity);
}

/** `work`'s result and how long it took, in ms. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function roomToldOnceWhenWebexIsBack(line: RegExp): Promise<void> {
  webex.clearFaults();
  await until(() => texts().some((text) => line.test(text)), 'the room told once Webex is back', 8000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(texts().filter((text) => line.test(text)).length, 1, 'told once');
}

test('while Webex hangs, 1 on the phone takes the escalation and is answered in under 2 s; the room hears it once Webex is back', async () => {
  const button = await publicBot();
  await escalate(button);
  webexHangs();
  const [answer, ms] = await timed(() => twilio.gather(twilio.calls.at(-1)!.sid, '1'));
  assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
  assert.match(answer.body, /Thank you, the escalation is yours/);
  assert.equal((await status(button)).incident?.status, 'acknowledged');
  await roomToldOnceWhenWebexIsBack(new RegExp(`^Acknowledged by \\${ON_CALL} \\(via phone\\)`));
});

test('while Webex hangs, an SMS reply ACK takes the escalation and is answered in under 2 s', async () => {
  const button = await publicBot();
  await escalate(button);
  webexHangs();
  const [answer, ms] = await timed(() => twilio.inboundSms(`${button.publicUrl}/twilio/sms`, ON_CALL, 'ACK'));
  assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
  assert.match(answer.body, /Thank you/);
  assert.equal((await status(button)).incident?.acknowledged?.via, 'SMS');
  await roomToldOnceWhenWebexIsBack(new RegExp(`^Acknowledged by \\${ON_CALL} \\(via SMS\\)`));
});

test('while Webex hangs on posts, a card click takes the escalation and is answered in under 2 s', async () => {
  const button = await publicBot();
  await escalate(button);
  const card = cards().at(-1)!;
  webexHangs();
  const [statuses, ms] = await timed(() => webex.clickCard(card.id, { action: 'ack', incident: escalationOf(card) }, { displayName: 'Bea', email: 'bea@example.com' }));
  assert.deepEqual(statuses, [200]);
  assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
  assert.equal((await status(button)).incident?.acknowledged?.name, 'Bea');
  await roomToldOnceWhenWebexIsBack(/^Acknowledged by Bea \(via Webex\)/);
});

test('an SMS ACK from a number this escalation has not reached takes nothing and gets no reply', async () => {
  const button = await publicBot();
  await escalate(button);
  const answer = await twilio.inboundSms(`${button.publicUrl}/twilio/sms`, LATER, 'ACK');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, '<?xml version="1.0" encoding="UTF-8"?><Response/>');
  assert.equal((await status(button)).incident?.status, 'escalating');
});

test('a replayed SMS (the same MessageSid) takes no later escalation', async () => {
  const button = await publicBot();
  await escalate(button);
  const sms = `${button.publicUrl}/twilio/sms`;
  const messageSid = `SM${'c'.repeat(32)}`;
  assert.match((await twilio.inboundSms(sms, ON_CALL, 'ACK', undefined, messageSid)).body, /Thank you/);
  await resolve(button);
  await escalate(button); // escalation 2 reaches ON_CALL again
  const replay = await twilio.inboundSms(sms, ON_CALL, 'ACK', undefined, messageSid);
  assert.equal(replay.body, '<?xml version="1.0" encoding="UTF-8"?><Response/>', 'no reply that says why');
  assert.equal((await status(button)).incident?.status, 'escalating');
  assert.match((await twilio.inboundSms(sms, ON_CALL, 'ACK')).body, /Thank you/, 'a new message takes it');
});

test('the "1" of a call from an earlier escalation, or of a call this escalation did not place, takes nothing', async () => {
  const button = await publicBot();
  await escalate(button);
  const first = twilio.calls.at(-1)!;
  await resolve(button);
  await escalate(button);
  const earlier = await twilio.gather(first.sid, '1');
  assert.match(earlier.body, /Nothing was recorded/);
  // Signed by Twilio, carrying this escalation's Gather URL, but not a call the bot placed for it.
  const other = twilio.addCall({ to: ON_CALL, from: first.from, twiml: twilio.calls.at(-1)!.twiml!, status: 'in-progress' });
  assert.match((await twilio.gather(other.sid, '1')).body, /Nothing was recorded/);
  const view = await status(button);
  assert.equal(view.incident?.number, 2);
  assert.equal(view.incident?.status, 'escalating');
});

test('a card click takes nothing from an earlier escalation\'s card, a copy in another room, or the bot itself', async () => {
  const button = await publicBot();
  await escalate(button);
  const first = cards().at(-1)!;
  await resolve(button);
  await until(() => cards().length === 2, 'the resolved card');
  await escalate(button);
  const current = cards().at(-1)!;
  const incident = escalationOf(current);
  assert.notEqual(incident, escalationOf(first), 'each escalation has its own id');
  assert.deepEqual(await webex.clickCard(first.id, { action: 'ack', incident: escalationOf(first) }), [200]);
  assert.deepEqual(await webex.clickCard(first.id, { action: 'ack', incident }), [200], 'an old card with the new id');
  // The same card, posted by someone in another room.
  const elsewhere = webex.addRoom('Somewhere else');
  const copy = await fetch(`${webex.url}/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_TOKENS.webex}`, 'content-type': 'application/json' },
    body: JSON.stringify({ roomId: elsewhere.id, markdown: current.markdown, attachments: current.attachments }),
  });
  const copied = (await copy.json()) as { id: string };
  assert.deepEqual(await webex.clickCard(copied.id, { action: 'ack', incident }), [200]);
  assert.deepEqual(await webex.clickCard(current.id, { action: 'ack', incident }, { displayName: webex.bot.displayName, email: webex.bot.email }), [200]);
  assert.equal((await status(button)).incident?.status, 'escalating', 'none of them took it');
  assert.deepEqual(await webex.clickCard(current.id, { action: 'ack', incident }, { displayName: 'Bea', email: 'bea@example.com' }), [200]);
  assert.equal((await status(button)).incident?.acknowledged?.name, 'Bea', 'the real card still does');
});

test('with a public URL, SMS and calls carry a StatusCallback, and the room, the status page and the JSON show what Twilio reports', async () => {
  const button = await publicBot();
  await escalate(button);
  const sms = twilio.messages.at(-1)!;
  const call = twilio.calls.at(-1)!;
  assert.equal(sms.statusCallback, `${button.publicUrl}/twilio/status`);
  assert.equal(call.statusCallback, `${button.publicUrl}/twilio/status`);
  assert.deepEqual(call.statusCallbackEvents, ['answered', 'completed']);
  assert.equal(call.machineDetection, 'Enable');
  assert.equal(call.asyncAmdStatusCallback, `${button.publicUrl}/twilio/status`);
  assert.equal((await twilio.messageStatus(sms.sid, 'sent')).status, 204);
  assert.equal((await twilio.messageStatus(sms.sid, 'undelivered', '30003')).status, 204);
  await twilio.callStatus(call.sid, 'in-progress');
  assert.equal((await twilio.machineDetection(call.sid, 'human')).status, 204);
  await twilio.callStatus(call.sid, 'completed');
  await until(() => texts().includes(`SMS to ${ON_CALL} undelivered (Twilio error 30003)`) && texts().includes(`Call to ${ON_CALL} answered`), 'the room told');
  const view = await status(button);
  assert.deepEqual(view.incident?.reached.map((contact) => contact.outcome).sort(), [`Call to ${ON_CALL} answered`, `SMS to ${ON_CALL} undelivered (Twilio error 30003)`]);
  assert.equal(view.incident?.reached.find((contact) => contact.kind === 'call')?.answeredBy, 'human');
  const page = await (await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`)).text();
  assert.ok(page.includes(`SMS to ${ON_CALL} undelivered (Twilio error 30003)`));
});

const TIMED = SETTINGS.replace('bt.tn:', 'escalate_after: 5\nbt.tn:');

for (const [what, play, line] of [
  ['nobody answers', (sid: string) => twilio.callStatus(sid, 'no-answer'), `Call to ${ON_CALL}: no answer: step 2 runs now`],
  ['the line is busy', (sid: string) => twilio.callStatus(sid, 'busy'), `Call to ${ON_CALL}: busy: step 2 runs now`],
  ['a voicemail answers', async (sid: string) => {
    await twilio.callStatus(sid, 'in-progress');
    await twilio.machineDetection(sid, 'machine_end_beep');
    return twilio.callStatus(sid, 'completed');
  }, `Call to ${ON_CALL}: voicemail answered, not a person: step 2 runs now`],
] as const) {
  test(`a call where ${what} does not count as reaching the person: the next step comes at once, not in 5 minutes`, async () => {
    const button = await publicBot(TIMED);
    await escalate(button);
    await play(twilio.calls.at(-1)!.sid);
    await until(() => texts().includes('step two'), 'step 2 at once');
    assert.ok(texts().includes(line), texts().join(' | '));
    const view = await status(button);
    assert.equal(view.history[0]?.trigger, 'timer');
  });
}

test('a call a person answered counts: the next step waits its time', async () => {
  const button = await publicBot(TIMED);
  await escalate(button);
  const sid = twilio.calls.at(-1)!.sid;
  await twilio.callStatus(sid, 'in-progress');
  await twilio.machineDetection(sid, 'human');
  await twilio.callStatus(sid, 'completed');
  await until(() => texts().includes(`Call to ${ON_CALL} answered`), 'the room told');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(texts().includes('step two'), false);
});

test('a BTTN_TOKEN shorter than 16 characters is refused at start with what to do', async () => {
  await assert.rejects(startBot({ folder: workspace(SETTINGS), env: { BTTN_TOKEN: '1' } }), (error: Error) =>
    /BTTN_TOKEN is 1 characters long; the press URL's secret needs at least 16/.test(error.message) && /The bot stopped/.test(error.message));
});

