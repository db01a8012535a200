// bt.tn's HTTP action as my.bt.tn documents it (GET, POST or PUT; arguments in the URL, a form or JSON,
// filled from <EID> and <ETYPE>), and the press types of Flic, Shelly and Home Assistant, through the real
// press URL of the real bot, against the fake Webex and Twilio.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeWorld } from './support/fake-world.ts';
import { TEST_TOKENS, type BotProcess } from './support/bot-process.ts';

const settings = 'webex:\n  room: "Buttons"\nbt.tn:\n  - text: "one"\n  - text: "two"\n  - text: "three"\n  - text: "four"\n  - text: "five"\n  - text: "six"\n  - text: "seven"\n  - text: "eight"\nserver:\n  debounce: 0\n';
const { webex, bot } = await fakeWorld(settings);

interface Sent {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly query?: Record<string, string>;
  readonly form?: Record<string, string>;
  readonly json?: unknown;
  readonly raw?: { readonly type: string; readonly body: string };
}

/** Sends what a button's HTTP action sends and returns the answer; `within` is bt.tn's patience. */
async function send(button: BotProcess, sent: Sent, within = 10_000): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(button.pressUrl);
  for (const [key, value] of Object.entries(sent.query ?? {})) url.searchParams.set(key, value);
  const body = sent.form !== undefined ? new URLSearchParams(sent.form).toString()
    : sent.json !== undefined ? JSON.stringify(sent.json) : sent.raw?.body;
  const type = sent.form !== undefined ? 'application/x-www-form-urlencoded' : sent.json !== undefined ? 'application/json' : sent.raw?.type;
  const response = await fetch(url, {
    method: sent.method ?? (body === undefined ? 'GET' : 'POST'),
    ...(body === undefined ? {} : { body, headers: { 'content-type': type! } }),
    signal: AbortSignal.timeout(within),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

const posted = () => webex.messages.map((message) => message.text ?? message.markdown);
const status = async (button: BotProcess) => {
  const response = await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`, { headers: { accept: 'application/json' } });
  return await response.json() as { stepReached: number; lastHeard?: { at: string; type?: string }; incident?: { status: string; acknowledged?: { name: string; via: string } } };
};

test('bt.tn presses with GET, POST and PUT, its arguments in the query, a form or JSON, other arguments ignored', async () => {
  const button = await bot();
  const forms: [string, Sent][] = [
    ['GET, query', { method: 'GET', query: { eid: 'e1', type: 'pressed', counter: '1', id: 'btn-1', name: 'Lobby' } }],
    ['POST, form', { method: 'POST', form: { eid: 'e2', type: 'pressed', COUNTER: '2' } }],
    ['POST, JSON', { method: 'POST', json: { eid: 'e3', type: 'pressed', counter: 3, name: 'Lobby' } }],
    ['PUT, JSON', { method: 'PUT', json: { eid: 'e4', type: 'pressed' } }],
    ['PUT, form', { method: 'PUT', form: { eid: 'e5', type: 'pressed' } }],
    ['PUT, query and no body', { method: 'PUT', query: { eid: 'e6', type: 'pressed' } }],
  ];
  for (const [index, [name, sent]] of forms.entries()) {
    const answer = await send(button, sent);
    assert.equal(answer.status, 200, `${name}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.step, index + 1, name);
  }
  assert.deepEqual(posted(), ['one', 'two', 'three', 'four', 'five', 'six']);
});

test('the same eid is handled once: a repeat, even at the same moment, gets a 2xx that says so and reaches nobody', async () => {
  const button = await bot();
  const first = await send(button, { query: { eid: 'A1', type: 'pressed' } });
  assert.equal(first.status, 200);
  const requests = webex.requests.length;
  const again = await send(button, { method: 'POST', form: { eid: 'A1', type: 'pressed' } });
  assert.deepEqual(again, { status: 200, body: { alreadyHandled: true, eid: 'A1', handledBy: first.body.press } });
  assert.equal(webex.requests.length, requests, 'a repeated event reached Webex');

  // Two copies of one event in flight together: one runs, the other is told it was handled.
  const both = await Promise.all([send(button, { query: { eid: 'B1' } }), send(button, { json: { eid: 'B1' } })]);
  assert.deepEqual(both.map((answer) => answer.status), [200, 200]);
  assert.deepEqual(both.map((answer) => answer.body.alreadyHandled === true).sort(), [false, true]);
  assert.deepEqual(posted(), ['one', 'two']);
  // Another event runs the next step.
  assert.equal((await send(button, { query: { eid: 'C1' } })).body.step, 3);
});

test('an eid handled before a kill -9 is still handled once after the restart', async () => {
  const button = await bot();
  const first = await send(button, { query: { eid: 'K1', type: 'pressed' } });
  assert.equal(first.body.step, 1);
  await button.kill();
  const restarted = await bot(settings, {}, button.stateDirectory);
  const again = await send(restarted, { query: { eid: 'K1', type: 'pressed' } });
  assert.deepEqual(again.body, { alreadyHandled: true, eid: 'K1', handledBy: first.body.press });
  assert.equal((await send(restarted, { query: { eid: 'K2', type: 'pressed' } })).body.step, 2);
  assert.deepEqual(posted(), ['one', 'two']);
});

test('"not-pressed" is a sign of life: no step runs, and the status page shows when the button was last heard from', async () => {
  const button = await bot();
  const answer = await send(button, { query: { eid: 'N1', type: 'not-pressed' } });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.heartbeat, true);
  assert.equal(webex.requests.length, 0, 'a sign of life reached Webex');
  const view = await status(button);
  assert.equal(view.stepReached, 0);
  assert.equal(view.lastHeard?.type, 'not-pressed');
  assert.equal(view.lastHeard?.at, answer.body.at);
  const page = await (await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`)).text();
  assert.match(page, /The button was last heard from at <time[^>]*>[^<]+<\/time> \(it sent <code>not-pressed<\/code>\)/);
  // The next press is the first step.
  assert.equal((await send(button, { query: { eid: 'N2', type: 'pressed' } })).body.step, 1);
  assert.equal((await status(button)).lastHeard?.type, 'pressed');
});

test('by default a long or double press runs the next step, as the 2016 bot did', async () => {
  const button = await bot();
  const types = ['pressed-long', 'hold', 'long', 'double_click', 'double', 'click', 'single', 'PRESSED'];
  for (const [index, type] of types.entries()) {
    assert.equal((await send(button, { query: { type } })).body.step, index + 1, type);
  }
});

test('long_press and double_press do what the settings say: acknowledge, resolve, reset or nothing', async () => {
  const button = await bot(`${settings}long_press: acknowledge\ndouble_press: nothing\n`);
  assert.equal((await send(button, { query: { type: 'pressed' } })).body.step, 1);
  const before = webex.requests.length;
  assert.deepEqual((await send(button, { query: { type: 'double_click', eid: 'D1' } })).body, { gesture: 'double press', did: 'nothing' });
  assert.equal(webex.requests.length, before, 'a double press set to nothing reached Webex');
  const taken = await send(button, { json: { type: 'pressed-long', eid: 'L1' } });
  assert.equal(taken.status, 200);
  assert.equal(taken.body.did, 'acknowledge');
  assert.equal(taken.body.changed, true);
  assert.deepEqual((await status(button)).incident?.acknowledged?.via, 'button');
  assert.deepEqual((await send(button, { json: { type: 'hold' } })).body, { gesture: 'long press', did: 'acknowledge', changed: false, why: 'already taken by someone at the button' });

  const other = await bot(`${settings}long_press: reset\ndouble_press: resolve\n`);
  await send(other, { query: { type: 'pressed' } });
  await send(other, { query: { type: 'pressed' } });
  const resolved = await send(other, { query: { type: 'double' } });
  assert.equal(resolved.body.did, 'resolve');
  assert.equal(resolved.body.changed, true);
  assert.equal((await status(other)).incident?.status, 'resolved');
  await send(other, { query: { type: 'pressed' } });
  const reset = await send(other, { query: { type: 'long' } });
  assert.equal(reset.status, 200);
  assert.equal(reset.body.did, 'reset');
  assert.equal((await send(other, { query: { type: 'pressed' } })).body.step, 1);
});

test('a press type nobody sends, a malformed body or another method is refused with what to send, and runs nothing', async () => {
  const button = await bot();
  const unknown = await send(button, { query: { type: 'triple' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error, '`type` "triple" is not a press type this bot knows; send one of: pressed, click, single, pressed-long, hold, long, double_click, double, not-pressed');
  const broken = await send(button, { raw: { type: 'application/json', body: '{"eid": ' } });
  assert.equal(broken.status, 400);
  assert.match(String(broken.body.error), /not valid JSON/);
  const twice = await send(button, { query: { eid: 'x' }, json: { eid: ['a', 'b'] } });
  assert.equal(twice.status, 400);
  const patch = await fetch(button.pressUrl, { method: 'PATCH' });
  assert.equal(patch.status, 405);
  assert.equal(patch.headers.get('allow'), 'GET, POST, PUT');
  assert.equal(webex.requests.length, 0);
});

test('the button has its answer within bt.tn\'s 10 s while Webex hangs: 202 at the 8 s press_timeout, and the step follows', async () => {
  const button = await bot();
  webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'hang' });
  const answer = await send(button, { query: { eid: 'H1', type: 'pressed' } }, 10_000);
  assert.equal(answer.status, 202);
  assert.deepEqual(answer.body.pending, ['find or create the room "Buttons"', 'post the message']);
});
