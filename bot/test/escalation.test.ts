// An escalation that moves on by itself until someone takes it: timers between steps, acknowledge and
// resolve from the status page and the Webex card, across a restart. The real bot against the fakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fakeWorld } from './support/fake-world.ts';
import type { WebexMessage } from './fakes/webex.ts';
import { freePort, seedSettings, TEST_TOKENS, until, type BotProcess } from './support/bot-process.ts';
import type { StatusView } from '../src/status/status-view.ts';
import type { ButtonState } from '../src/core/state.ts';
import { savedState } from '../src/state/store.ts';
import { savedButton } from './support/saved.ts';

/** Three steps; `escalate_after` minutes between them (0.02 is 1.2 s). */
const escalation = (escalateAfter: string) => `
escalate_after: ${escalateAfter}
bt.tn:
  - text: "step one"
  - text: "step two"
    sms: { message: "Check Webex", to: "+352691496401" }
  - text: "step three"
webex:
  room: "Escalation test"
  moderators: [mod@example.com]
twilio:
  from: "+33644606827"
server:
  debounce: 0
`;

const { webex, twilio, bot } = await fakeWorld(escalation('5'));

const statusUrl = (button: BotProcess) => `${button.baseUrl}/status/${TEST_TOKENS.button}`;
async function status(button: BotProcess): Promise<StatusView> {
  return (await fetch(statusUrl(button), { headers: { accept: 'application/json' } })).json() as Promise<StatusView>;
}
function state(button: BotProcess): ButtonState {
  return savedButton(button.stateDirectory)!;
}
async function take(button: BotProcess, what: 'ack' | 'resolve', name: string) {
  const response = await fetch(`${statusUrl(button)}/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  return { status: response.status, body: await response.json() as { changed: boolean; line?: string; why?: string } };
}
const texts = () => webex.messages.map((message) => message.text ?? message.markdown ?? '');

test('a step runs by itself after its time, recorded as run by the timer and not counted as a press', async () => {
  const button = await bot(escalation('0.02'));
  const first = await button.press();
  assert.equal(first.body.step, 1);
  assert.ok((first.body as { incident?: { nextStepAt?: string } }).incident?.nextStepAt, 'the answer says when the next step comes');
  await until(() => texts().includes('step three'), 'steps 2 and 3 run by their timers', 8000);
  const view = await status(button);
  assert.deepEqual(view.history.map((press) => [press.step, press.trigger ?? 'press']).reverse(), [[1, 'press'], [2, 'timer'], [3, 'timer']]);
  assert.equal(view.pressCount, 1, 'a timer is not a press');
  assert.equal(twilio.messages.length, 1);
  assert.equal(view.incident?.nextStepAt, undefined, 'no timer after the last step');
});

test('"I\'m on it" on the status page stops the timers and tells the room; a second one changes nothing', async () => {
  const button = await bot(escalation('0.03'));
  await button.press();
  const taken = await take(button, 'ack', 'Ann Example');
  assert.equal(taken.status, 200);
  assert.match(taken.body.line!, /^Acknowledged by Ann Example \(via status page\) at \d\d:\d\d UTC$/);
  await until(() => texts().some((text) => text.startsWith('Acknowledged by Ann Example (via status page)')), 'the room told');
  assert.deepEqual(await take(button, 'ack', 'Bob'), { status: 409, body: { changed: false, why: 'already taken by Ann Example' } });
  await new Promise((resolve) => setTimeout(resolve, 2500)); // past the 1.8 s the timer would have taken
  assert.equal(texts().includes('step two'), false, 'the timer stopped');
  assert.equal(state(button).incident?.timer, undefined, 'no timer is left to fire after a restart');
  const view = await status(button);
  assert.equal(view.incident?.status, 'acknowledged');
  assert.equal(view.incident?.acknowledged?.name, 'Ann Example');
});

test('once taken, presses still run their steps by hand, but nothing runs by itself and nobody else is called', async () => {
  const settings = escalation('0.02').replace('  - text: "step three"\n', '  - text: "step three"\n    call: { to: "+352691496401", say: "Please check Webex" }\n');
  const button = await bot(settings);
  await button.press();
  assert.equal((await take(button, 'ack', 'Ann Example')).status, 200);
  const second = await button.press();
  assert.equal(second.body.step, 2, 'someone at the button asks for more');
  assert.equal((second.body as { incident?: { status: string; nextStepAt?: string } }).incident?.status, 'acknowledged');
  assert.equal((second.body as { incident?: { nextStepAt?: string } }).incident?.nextStepAt, undefined, 'no timer armed by the press');
  assert.equal(state(button).incident?.timer, undefined, 'no timer armed by the press, to fire after a restart');
  await until(() => texts().some((text) => text.startsWith('Step 2 runs because the button was pressed; the escalation stays with Ann Example')), 'the room told whose it stays');
  assert.deepEqual(await take(button, 'ack', 'Bob'), { status: 409, body: { changed: false, why: 'already taken by Ann Example' } });
  await new Promise((resolve) => setTimeout(resolve, 3 * 1200 + 500)); // three timer periods
  assert.equal(texts().includes('step three'), false, 'no step ran by itself');
  assert.equal(twilio.calls.length, 0, 'nobody was called');
  assert.equal((await status(button)).incident?.nextStepAt, undefined);
});

test('with ack_timeout, a taken escalation that is not resolved in time escalates again, and the room and the status page say so', async () => {
  const button = await bot(escalation('5').replace('escalate_after: 5\n', 'escalate_after: 5\nack_timeout: 0.02\n'));
  await button.press();
  assert.equal((await take(button, 'ack', 'Ann Example')).status, 200);
  const taken = await status(button);
  assert.equal(taken.incident?.status, 'acknowledged');
  assert.ok(taken.incident?.escalatesAgainAt !== undefined, 'the status page says when it escalates again');
  await until(() => texts().includes('step two'), 'step 2 once the acknowledgement timed out', 5000);
  assert.ok(texts().some((text) => /^Ann Example took the escalation \d+ s ago and it is not resolved: it escalates again$/.test(text)));
  const view = await status(button);
  assert.equal(view.incident?.status, 'escalating');
  assert.equal(view.incident?.nextStepAt?.step, 3, 'and its timers run again');
  assert.ok(view.history.some((press) => press.kind === 'reopened'));
  const page = await (await fetch(statusUrl(button))).text();
  assert.match(page, /Escalating again: taken, not resolved in time/);
});

test('resolving goes back to step 1 in the same room, and the next press starts a new escalation', async () => {
  const button = await bot(escalation('5'));
  await button.press();
  await button.press();
  const resolved = await take(button, 'resolve', 'Ann');
  assert.match(resolved.body.line!, /^Resolved by Ann \(via status page\) after \d+ s$/);
  await until(() => texts().some((text) => text.startsWith('Resolved by Ann')), 'the room told');
  assert.equal((await status(button)).next.step, 1);
  const next = await button.press();
  assert.equal(next.body.step, 1);
  assert.equal((next.body as { incident?: { number: number; status: string } }).incident?.number, 2);
  assert.equal(webex.rooms.length, 1, 'the room stays');
});

test('a timer that came due while the bot was down runs at start, once, and the room says how late', async () => {
  const first = await bot(escalation('0.02'));
  await first.press();
  await first.stop();
  await new Promise((resolve) => setTimeout(resolve, 6500)); // past the timer, and past what counts as late
  await bot(escalation('0.02'), {}, first.stateDirectory);
  await until(() => texts().includes('step two'), 'step 2 run at start');
  assert.ok(texts().some((text) => /^Step 2 runs by its timer \d+ s late: the bot was not running when it came due$/.test(text)));
  await until(() => texts().includes('step three'), 'step 3 by its own timer', 5000);
  assert.equal(texts().filter((text) => text === 'step two').length, 1);
  assert.equal(twilio.messages.length, 1);
});

test('the 2016 sample has no timer: nothing runs by itself and no card is posted', async () => {
  const button = await bot(`${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`);
  await button.press();
  const view = await status(button);
  assert.equal(view.incident?.status, 'escalating');
  assert.equal(view.incident?.nextStepAt, undefined);
  assert.ok(webex.messages.every((message) => message.attachments.length === 0));
  assert.equal(savedState(button.stateDirectory, 'live')!.shared.webhookSecret, undefined, 'no public URL, no webhook');
  assert.match(button.output(), /No public URL .*status page only/);
});

test('with a public URL, the card\'s "I\'m on it" acknowledges in the clicker\'s name; a forged click changes nothing', async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const button = await bot(escalation('0.05'), { PORT: String(port), BTTN_PUBLIC_URL: publicUrl });
  await until(() => webex.requests.some((request) => request.method === 'POST' && request.path === '/v1/webhooks'), 'the webhook registered');
  await button.press();
  await until(() => webex.messages.some((message) => message.attachments.length > 0), 'the card posted');
  const card = webex.messages.find((message) => message.attachments.length > 0)!;
  const incident = escalationOf(card);
  assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident }, { displayName: 'Eve', email: 'eve@example.com' }, { signature: 'forged' }), [403]);
  assert.equal((await status(button)).incident?.status, 'escalating');
  assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident }, { displayName: 'Bea Example', email: 'bea@example.com' }), [200]);
  await until(() => texts().some((text) => text.startsWith('Acknowledged by Bea Example (via Webex)')), 'the room told');
  await until(() => webex.messages.filter((message) => message.attachments.length > 0).length === 2, 'a new card that shows who took it');
  // The first card's button again: already taken, nothing changes.
  assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident }), [200]);
  assert.equal(texts().filter((text) => text.startsWith('Acknowledged by')).length, 1);
  assert.equal(state(button).incident?.status, 'acknowledged');
});

/** The escalation id a card's buttons submit. */
function escalationOf(card: WebexMessage): string {
  const content = card.attachments[0]!.content as { actions: { data: { incident: string } }[] };
  return content.actions[0]!.data.incident;
}


test('with a public URL, 1 on the phone takes the escalation in the name of the number called, and so does an SMS reply ACK', async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const settings = escalation('0.05').replace('  - text: "step one"\n', '  - text: "step one"\n    call: { to: "+352691496401", say: "Please check Webex" }\n');
  const button = await bot(settings, { PORT: String(port), BTTN_PUBLIC_URL: publicUrl });
  await button.press();
  await until(() => twilio.calls.length === 1, 'the call placed');
  assert.match(twilio.calls[0]!.twiml!, /<Gather numDigits="1" action="http:\/\/127\.0\.0\.1:\d+\/twilio\/gather\?incident=[\w-]{22}" method="POST"><Say>Press 1 if you take it\.<\/Say><\/Gather>/);
  const pressed2 = await twilio.gather(twilio.calls[0]!.sid, '2');
  assert.equal(pressed2.status, 200);
  assert.equal((await status(button)).incident?.status, 'escalating', 'another key takes nothing');
  const pressed1 = await twilio.gather(twilio.calls[0]!.sid, '1');
  assert.equal(pressed1.status, 200);
  assert.match(pressed1.body, /<Say>Thank you, the escalation is yours\./);
  await until(() => texts().some((text) => text.startsWith('Acknowledged by +352691496401 (via phone)')), 'the room told');
  // An SMS reply from a number of the escalation: the escalation is already taken, so nothing changes.
  const reply = await twilio.inboundSms(`${publicUrl}/twilio/sms`, '+352691496401', 'ack');
  assert.equal(reply.status, 200);
  assert.match(reply.body, /Nothing changed: already taken by \+352691496401/);
  // After a resolve and a new escalation, an SMS ACK takes the new one.
  await take(button, 'resolve', 'Ann');
  await button.press();
  const again = await twilio.inboundSms(`${publicUrl}/twilio/sms`, '+352691496401', ' Ack ');
  assert.match(again.body, /Thank you/);
  assert.equal((await status(button)).incident?.acknowledged?.via, 'SMS');
});
