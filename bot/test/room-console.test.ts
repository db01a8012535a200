// The room as a console: people mention the bot in its Webex room with a command, Webex delivers the
// message's id to the bot's own webhook (signed), the bot reads the message and answers in its thread.

import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeWorld } from './support/fake-world.ts';
import { freePort, TEST_TOKENS, until, type BotProcess } from './support/bot-process.ts';
import { savedButton } from './support/saved.ts';
import type { WebexMessage } from './fakes/webex.ts';

const settings = `
escalate_after: 5
webex:
  room: "Console"
bt.tn:
  - text: "one"
  - text: "two"
  - text: "three"
server:
  debounce: 0
`;
const { webex, bot } = await fakeWorld(settings);
const ann = { displayName: 'Ann Example', email: 'ann@example.com' };

/** The bot with a public URL (so Webex delivers to it), its webhooks registered, and step 1 run (the room exists). */
async function withConsole(): Promise<{ button: BotProcess; room: string }> {
  const port = await freePort();
  const button = await bot(settings, { PORT: String(port), BTTN_PUBLIC_URL: `http://127.0.0.1:${port}` });
  await until(() => webex.webhooks.some((hook) => hook.resource === 'messages'), 'the messages webhook registered');
  await button.press();
  return { button, room: webex.rooms[0]!.id };
}

/** The bot's answer in the thread of `command`, once it came. */
async function replyTo(command: WebexMessage): Promise<string> {
  await until(() => webex.messages.some((message) => message.parentId === command.id), `an answer to "${command.text}"`);
  return webex.messages.filter((message) => message.parentId === command.id).map((message) => message.text ?? message.markdown ?? '').join('\n');
}

/** Webex delivering the same message's event once more, as it may. */
async function redeliver(messageId: string, roomId: string): Promise<number> {
  const hook = webex.webhooks.find((candidate) => candidate.resource === 'messages')!;
  const body = JSON.stringify({ id: hook.id, resource: 'messages', event: 'created', data: { id: messageId, roomId } });
  const signature = createHmac('sha1', hook.secret!).update(body).digest('hex');
  return (await fetch(hook.targetUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spark-signature': signature }, body })).status;
}

const state = async (button: BotProcess) => await (await fetch(`${button.baseUrl}/status/${TEST_TOKENS.button}`, { headers: { accept: 'application/json' } })).json() as {
  incident?: { status: string; acknowledged?: { name: string; via: string } };
  stepReached: number;
};

test('the bot registers a webhook for the messages that mention it, signed with its secret', async () => {
  await withConsole();
  const hook = webex.webhooks.find((candidate) => candidate.resource === 'messages')!;
  assert.equal(hook.event, 'created');
  assert.equal(hook.filter, 'mentionedPeople=me');
  assert.ok(hook.secret !== undefined && hook.secret.length >= 32);
});

test('"status" is answered in its thread with the step, who took it, and what comes next and when', async () => {
  const { room } = await withConsole();
  const { message, statuses } = await webex.say(room, 'status', ann);
  assert.deepEqual(statuses, [200]);
  assert.match(await replyTo(message), /^Escalation 1: step 1 of 3 has run\. Nobody has taken it yet\. Step 2 runs by itself in 5 min, or on the next press\.$/);
  assert.deepEqual(
    webex.requests.filter((request) => request.method === 'GET' && request.path.startsWith('/v1/messages/')).map((request) => request.path),
    [`/v1/messages/${message.id}`], 'the delivery carries the id only: the bot reads the message',
  );
});

test('"on it" takes the escalation in the writer\'s name, answered in its thread; nobody is called by itself any more', async () => {
  const { button, room } = await withConsole();
  const { message } = await webex.say(room, 'on it', ann);
  assert.match(await replyTo(message), /^Acknowledged by Ann Example \(via Webex\)/);
  const view = await state(button);
  assert.equal(view.incident?.status, 'acknowledged');
  assert.deepEqual({ ...view.incident?.acknowledged, at: undefined }, { name: 'Ann Example', via: 'Webex', at: undefined });
  const again = await webex.say(room, 'ack', { displayName: 'Bob', email: 'bob@example.com' });
  assert.equal(await replyTo(again.message), 'Nothing changed: already taken by Ann Example.');
  const done = await webex.say(room, 'resolve', ann);
  assert.match(await replyTo(done.message), /^Resolved by Ann Example/);
  assert.equal((await state(button)).incident?.status, 'resolved');
});

test('"reset" starts the sequence again; "help" and anything else list the commands', async () => {
  const { button, room } = await withConsole();
  await button.press();
  const reset = await webex.say(room, 'reset', ann);
  assert.match(await replyTo(reset.message), /^Starting again: the next press runs step 1 of 3/);
  assert.equal((await state(button)).stepReached, 0);
  const help = await webex.say(room, 'help', ann);
  assert.match(await replyTo(help.message), /\*\*status\*\*.*\n.*\*\*ack\*\*/s);
  const other = await webex.say(room, 'call everyone', ann);
  assert.match(await replyTo(other.message), /^I do not know "call everyone"\. Mention me with one of these/);
});

test('an unsigned or forged delivery, a repeated delivery, the bot\'s own message and a message from another room change nothing', async () => {
  const { button, room } = await withConsole();
  assert.deepEqual((await webex.say(room, 'ack', ann, { signature: 'forged' })).statuses, [403]);
  assert.deepEqual((await webex.say(room, 'ack', ann, { signature: 'missing' })).statuses, [403]);
  assert.equal((await state(button)).incident?.status, 'escalating');

  // Another room the bot is in: Webex delivers the mention, the bot leaves it unanswered.
  const elsewhere = webex.addRoom('Elsewhere');
  const outside = await webex.say(elsewhere.id, 'ack', ann);
  assert.deepEqual(outside.statuses, [200]);
  // The bot itself (its own identity, as another process of it might write): ignored.
  const own = await webex.say(room, 'ack', { displayName: webex.bot.displayName, email: webex.bot.email });
  assert.deepEqual(own.statuses, [200]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const answered = (id: string) => webex.requests.some((request) => request.method === 'POST' && (request.json as { parentId?: string } | undefined)?.parentId === id);
  assert.equal(answered(outside.message.id), false, 'a command from another room is answered');
  assert.equal(answered(own.message.id), false, "the bot's own message is answered");
  assert.equal((await state(button)).incident?.status, 'escalating');

  // The same delivery twice (Webex may repeat one): one answer.
  const status = await webex.say(room, 'status', ann);
  await replyTo(status.message);
  assert.equal(await redeliver(status.message.id, room), 200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(webex.messages.filter((message) => message.parentId === status.message.id).length, 1);
});

test('a command given before a kill -9 is not answered twice after the restart', async () => {
  const { button, room } = await withConsole();
  const status = await webex.say(room, 'status', ann);
  await replyTo(status.message);
  // Answered and its answer journaled as delivered: a kill while the answer is on its way may post it again
  // (the README's one extra copy per fault), which is the chaos test's case, not this one.
  await until(() => savedButton(button.stateDirectory)?.outbox.every((entry) => entry.settled !== undefined) ?? false, 'the answer journaled as delivered');
  await button.kill();
  const port = Number(new URL(webex.webhooks.find((candidate) => candidate.resource === 'messages')!.targetUrl).port);
  const restarted = await bot(settings, { PORT: String(port), BTTN_PUBLIC_URL: `http://127.0.0.1:${port}` }, button.stateDirectory);
  await until(() => restarted.output().includes('webhook'), 'the webhooks checked again');
  assert.equal(await redeliver(status.message.id, room), 200);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(webex.messages.filter((message) => message.parentId === status.message.id).length, 1);
});
