// Each person is reached once, even when the same words go to the same number more than once: the look-up in
// Twilio's lists after a lost answer takes only an SMS or call that no other action has claimed, and only an
// SMS with the same words. Every test drives the real bot against the fake Twilio on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeWorld } from './support/fake-world.ts';
import { TEST_TOKENS, type BotProcess } from './support/bot-process.ts';
import type { Fault } from './fakes/fake-server.ts';

const NUMBER = '+352691496401';
const SENDER = '+15005550006';
const SMS = { message: 'Check Webex', to: NUMBER };
const CALL = { to: NUMBER, say: 'Please check Webex' };
const settings = (steps: readonly object[]) => `${JSON.stringify({
  'bt.tn': steps, webex: { room: 'Exactly once' }, twilio: { customer_service_number: SENDER }, server: { debounce: 0 },
}, null, 2)}\n`;
/** Short waits, so that the retry after a 5xx comes within the press. */
const QUICK = { BTTN_HTTP_TIMEOUT_MS: '300', BTTN_RETRY_DEADLINE_MS: '1000' };

const { twilio, bot } = await fakeWorld(settings([{ sms: SMS }, { sms: SMS }]));

const KINDS = [
  { kind: 'SMS', step: { sms: SMS }, path: /Messages\.json$/, made: () => twilio.messages.length, action: `SMS to ${NUMBER}` },
  { kind: 'call', step: { call: CALL }, path: /Calls\.json$/, made: () => twilio.calls.length, action: `call ${NUMBER}` },
] as const;

const WHEN = [
  { when: 'before Twilio did anything', fault: { kind: 'status', status: 503 } as Fault, requests: ['POST 503', 'POST 201', 'looked up'] },
  { when: 'after Twilio did the work', fault: { kind: 'status', status: 503, afterWork: true } as Fault, requests: ['POST 503', 'looked up'] },
] as const;

/**
 * The Twilio requests since `seen`: each attempt to create with its answer (0: none came), then whether Twilio's list
 * was read. A read may be repeated when the machine is slow (a GET is safe to repeat), so it is counted once.
 */
const twilioLines = (seen: number) => {
  const requests = twilio.requests.slice(seen);
  const posts = requests.filter((request) => request.method === 'POST').map((request) => `POST ${request.status}`);
  return requests.some((request) => request.method === 'GET') ? [...posts, 'looked up'] : posts;
};

async function pressOk(button: BotProcess, action: string): Promise<void> {
  const answer = await button.press();
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.actions!.find((item) => item.action === action)?.status, 'delivered');
}

for (const { kind, step, path, made, action } of KINDS) {
  for (const { when, fault, requests } of WHEN) {
    test(`the same ${kind} in two steps, the second answered 503 ${when}, reaches the person twice, once per step`, async () => {
      const button = await bot(settings([step, step]), QUICK);
      await pressOk(button, action);
      twilio.fail({ method: 'POST', path }, fault);
      const seen = twilio.requests.length;
      await pressOk(button, action);
      assert.equal(made(), 2, 'the first step\'s one is not taken for the second\'s');
      assert.deepEqual(twilioLines(seen), requests);
    });

    test(`the same ${kind} in two escalations, the second answered 503 ${when}, reaches the person once per escalation`, async () => {
      const button = await bot(settings([step]), QUICK);
      await pressOk(button, action);
      const resolved = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(resolved.status, 200);
      twilio.fail({ method: 'POST', path }, fault);
      const seen = twilio.requests.length;
      const answer = await button.press();
      assert.equal(answer.body.step, 1, 'a new escalation starts at step 1');
      assert.equal(answer.body.actions!.find((item) => item.action === action)?.status, 'delivered');
      assert.equal(made(), 2, 'the first escalation\'s one is not taken for the second\'s');
      assert.deepEqual(twilioLines(seen), requests);
    });
  }
}

test('an SMS of other words to the same number, sent by someone else, is not taken for the one whose answer was lost', async () => {
  const button = await bot(settings([{ text: 'Starting' }, { sms: SMS }]), QUICK);
  await button.press();
  twilio.addMessage({ to: NUMBER, from: SENDER, body: 'Another app says hello' });
  twilio.fail({ method: 'POST', path: /Messages\.json$/ }, { kind: 'status', status: 503 });
  await pressOk(button, `SMS to ${NUMBER}`);
  assert.deepEqual(twilio.messages.map((message) => message.body), ['Another app says hello', 'Check Webex']);
});

for (const { kind, step, path, made, action } of KINDS) {
  for (const { name, fault } of [
    { name: 'no answer within the timeout', fault: { kind: 'hang', afterWork: true } },
    { name: 'a connection dropped before the answer', fault: { kind: 'reset', afterWork: true } },
  ] as const satisfies readonly { name: string; fault: Fault }[]) {
    test(`a ${kind} Twilio made but whose answer was lost (${name}) is found in Twilio's list, not made again`, async () => {
      const button = await bot(settings([{ text: 'Starting' }, step]), QUICK);
      await button.press();
      twilio.fail({ method: 'POST', path }, fault);
      const seen = twilio.requests.length;
      await pressOk(button, action);
      assert.equal(made(), 1);
      assert.deepEqual(twilioLines(seen), ['POST 0', 'looked up']);
    });
  }
}
