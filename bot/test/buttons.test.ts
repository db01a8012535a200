// Several buttons, one bot: a buttons/ folder holds one file per button, each with its own sequence, room,
// timers, token, status page and acknowledgement; settings.yaml keeps Twilio, the server and the secrets.
// The real bot, with a public URL on loopback, against the fake Webex and Twilio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buttonToken } from '../src/config/button-tokens.ts';
import type { StatusView } from '../src/status/status-view.ts';
import { fakeWorld } from './support/fake-world.ts';
import { freePort, TEST_TOKENS, until, type BotProcess } from './support/bot-process.ts';

const ON_CALL = '+352691496401';
const SENDER = '+33644606827';

/** Both buttons text the same words to the same person: only what each sent is its own. */
const FOLDER = {
  settings: `
twilio:
  from: "${SENDER}"
server:
  debounce: 0
escalate_after: 5
`,
  buttons: {
    lobby: `
webex:
  room: "Lobby"
bt.tn:
  - text: "lobby one"
    sms: { message: "Check Webex", to: "${ON_CALL}" }
  - text: "lobby two"
`,
    lab: `
webex:
  room: "Lab"
escalate_after: 10
long_press: acknowledge
bt.tn:
  - text: "lab one"
    sms: { message: "Check Webex", to: "${ON_CALL}" }
  - text: "lab two"
`,
  },
};

const { webex, twilio, bot } = await fakeWorld(FOLDER);
const token = (name: string) => buttonToken(TEST_TOKENS.button, name, true);
const QUICK = { BTTN_HTTP_TIMEOUT_MS: '300', BTTN_RETRY_DEADLINE_MS: '1000' };

async function publicBot(): Promise<BotProcess & { publicUrl: string }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const started = await bot(FOLDER, { PORT: String(port), BTTN_PUBLIC_URL: publicUrl, ...QUICK });
  await until(() => webex.webhooks.some((hook) => hook.targetUrl.startsWith(publicUrl)), 'the webhook registered');
  return Object.assign(started, { publicUrl });
}

async function press(button: BotProcess, name: string, type?: string): Promise<{ status: number; body: { step?: number; actions?: { action: string; status: string }[]; changed?: boolean } }> {
  const response = await fetch(`${button.baseUrl}/press/${token(name)}${type === undefined ? '' : `?type=${type}`}`, { method: 'POST' });
  return { status: response.status, body: await response.json() as never };
}

async function status(button: BotProcess, name: string): Promise<StatusView> {
  const response = await fetch(`${button.baseUrl}/status/${token(name)}`, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200);
  return response.json() as Promise<StatusView>;
}

const roomTexts = (title: string) => {
  const room = webex.rooms.find((candidate) => candidate.title === title);
  return room === undefined ? [] : webex.messages.filter((message) => message.roomId === room.id).map((message) => message.text ?? message.markdown ?? '');
};

test('each button presses its own sequence in its own room, through its own URL; the bot\'s token opens no button', async () => {
  const button = await publicBot();
  assert.equal((await press(button, 'lobby')).status, 200);
  assert.equal((await press(button, 'lab')).status, 200);
  assert.equal((await press(button, 'lobby')).body.step, 2);
  assert.deepEqual(roomTexts('Lobby').filter((text) => text.startsWith('lobby')), ['lobby one', 'lobby two']);
  assert.deepEqual(roomTexts('Lab').filter((text) => text.startsWith('lab')), ['lab one']);
  assert.ok(!roomTexts('Lab').some((text) => text.startsWith('lobby')), 'nothing of the lobby in the lab');

  assert.notEqual(token('lobby'), token('lab'));
  const sameLength = 'x'.repeat(TEST_TOKENS.button.length);
  for (const path of [`/press/${TEST_TOKENS.button}`, `/status/${TEST_TOKENS.button}`, `/buttons/${token('lobby')}`, `/buttons/${sameLength}`, `/press/${'x'.repeat(token('lab').length)}`]) {
    const response = await fetch(`${button.baseUrl}${path}`, { method: path.startsWith('/press') ? 'POST' : 'GET' });
    assert.equal(response.status, 404, path);
  }
  assert.equal((await status(button, 'lobby')).room.title, 'Lobby');
  assert.equal((await status(button, 'lab')).stepReached, 1);
});

test('the index under the bot\'s token lists every button with its own press URL and status page', async () => {
  const button = await publicBot();
  await press(button, 'lab');
  const response = await fetch(`${button.baseUrl}/buttons/${TEST_TOKENS.button}`, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200);
  const { buttons } = await response.json() as { buttons: { name: string; room: string; nextStep: number; pressUrl: string; statusUrl: string }[] };
  assert.deepEqual(buttons.map(({ name, room, nextStep }) => ({ name, room, nextStep })), [
    { name: 'lab', room: 'Lab', nextStep: 2 }, { name: 'lobby', room: 'Lobby', nextStep: 1 },
  ]);
  assert.equal(buttons[1]!.pressUrl, `${button.publicUrl}/press/${token('lobby')}`);
  assert.equal(buttons[1]!.statusUrl, `${button.publicUrl}/status/${token('lobby')}`);
  const page = await (await fetch(`${button.baseUrl}/buttons/${TEST_TOKENS.button}`)).text();
  assert.match(page, /<a href="[^"]+\/status\/[^"]+">lab<\/a>/);
});

test('taking one button\'s escalation leaves the other\'s escalating, with its own timer', async () => {
  const button = await publicBot();
  await press(button, 'lobby');
  await press(button, 'lab');
  const taken = await press(button, 'lab', 'pressed-long');
  assert.equal(taken.body.changed, true, 'the lab\'s long press acknowledges, as its file says');
  const [lobby, lab] = [await status(button, 'lobby'), await status(button, 'lab')];
  assert.equal(lab.incident?.status, 'acknowledged');
  assert.equal(lobby.incident?.status, 'escalating', 'the lobby is still escalating');
  assert.equal(lobby.incident?.number, 1, 'each button counts its own escalations');
  const due = Date.parse(lobby.incident!.nextStepAt!.at) - Date.now();
  assert.ok(due > 4 * 60_000 && due <= 5 * 60_000, `the lobby's step 2 comes in its 5 minutes (${due} ms)`);
  const lobbyLong = await press(button, 'lobby', 'pressed-long');
  assert.equal(lobbyLong.body.step, 2, 'the lobby\'s long press runs the next step, as settings.yaml leaves it');
});

test('an SMS reply takes the escalation that texted the number last, and only that one', async () => {
  const button = await publicBot();
  await press(button, 'lobby');
  await press(button, 'lab');
  await until(() => twilio.messages.length === 2, 'both SMS sent');
  const answer = await twilio.inboundSms(`${button.publicUrl}/twilio/sms`, ON_CALL, 'ACK');
  assert.match(answer.body, /Thank you/);
  assert.equal((await status(button, 'lab')).incident?.status, 'acknowledged');
  assert.equal((await status(button, 'lobby')).incident?.status, 'escalating');
});

test('a lost answer from Twilio is checked in its list without taking the other button\'s SMS of the same words', async () => {
  const button = await publicBot();
  await press(button, 'lobby');
  twilio.fail({ method: 'POST', path: /Messages\.json$/ }, { kind: 'status', status: 503 });
  const lab = await press(button, 'lab');
  assert.equal(lab.body.actions!.find((action) => action.action === `SMS to ${ON_CALL}`)?.status, 'delivered');
  assert.equal(twilio.messages.filter((message) => message.to === ON_CALL).length, 2, 'the person hears from each button once');
  assert.ok(twilio.requests.some((request) => request.method === 'GET'), 'the list was looked up');
});

test('each button\'s state survives a kill -9, and a restart goes on with each where it was', async () => {
  const button = await publicBot();
  await press(button, 'lobby');
  await press(button, 'lobby');
  await press(button, 'lab');
  await button.kill();
  const restarted = await bot(FOLDER, QUICK, button.stateDirectory);
  assert.equal((await press(restarted, 'lab')).body.step, 2);
  assert.equal((await status(restarted, 'lobby')).stepReached, 2);
});

test('a command in one button\'s room acts on that button alone; a room no button owns gets no answer', async () => {
  const button = await publicBot();
  await press(button, 'lobby');
  await press(button, 'lab');
  const labRoom = webex.rooms.find((room) => room.title === 'Lab')!.id;
  const ann = { displayName: 'Ann Example', email: 'ann@example.com' };
  const { message, statuses } = await webex.say(labRoom, 'on it', ann);
  assert.deepEqual(statuses, [200]);
  await until(() => webex.messages.some((reply) => reply.parentId === message.id), 'the answer in the thread');
  assert.equal((await status(button, 'lab')).incident?.acknowledged?.name, 'Ann Example');
  assert.equal((await status(button, 'lobby')).incident?.status, 'escalating');
  assert.deepEqual((await webex.say(labRoom, 'ack', ann, { signature: 'forged' })).statuses, [403]);
  const elsewhere = webex.addRoom('Elsewhere');
  const outside = await webex.say(elsewhere.id, 'resolve', ann);
  assert.deepEqual(outside.statuses, [200]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(!webex.messages.some((reply) => reply.parentId === outside.message.id), 'no answer outside the buttons\' rooms');
  assert.equal((await status(button, 'lab')).incident?.status, 'acknowledged', 'nothing resolved from elsewhere');
});

test('without BTTN_TOKEN, the bot prints each button\'s own URLs and the index at start', async () => {
  const button = await bot(FOLDER, { BTTN_TOKEN: '' });
  await until(() => button.output().includes('All buttons:'), 'the URLs printed');
  const output = button.output();
  const lobby = /lobby: (http\S+\/press\/(\S+))\s+status: \S+\/status\/(\S+)/.exec(output);
  const lab = /lab: http\S+\/press\/(\S+)/.exec(output);
  assert.ok(lobby && lab, output);
  assert.equal(lobby[2], lobby[3], 'the press URL and the status page share the button\'s token');
  assert.notEqual(lobby[2], lab[1]);
  assert.match(output, /All buttons: http\S+\/buttons\/\S+/);
  assert.equal((await fetch(lobby[1]!, { method: 'POST' })).status, 200);
});
