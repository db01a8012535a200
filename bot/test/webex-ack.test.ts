// Acknowledging an escalation from its Webex card: the card the bot posts, the webhook it registers for
// clicks, and the route that takes a click, through real HTTP against the fake Webex on loopback.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import express from 'express';
import { incidentCard, parseCardSubmission, type CardView } from '../src/core/card.ts';
import { newCall } from '../src/http/transport.ts';
import { UndiciTransport } from '../src/http/undici-transport.ts';
import type { LogFields } from '../src/log.ts';
import { webexWebhookRoutes, type CardClick } from '../src/server/webex-webhook.ts';
import { WebexClient } from '../src/webex/client.ts';
import { ensureWebhooks, WEBHOOK_NAME } from '../src/webex/webhook-registration.ts';
import { startFakeWebex, type FakeWebex, type WebexMessage } from './fakes/webex.ts';

const TOKEN = 'webex-test-token';
const SECRET = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
/** An escalation id as the bot makes them (22 characters of base64url). */
const ESCALATION = 'Zq3v9T1xKcW0bLmN4rPy7A';

interface Card { type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[]; actions: { type: string; title: string; data: unknown }[] }
const cardOf = (view: CardView): Card => incidentCard(view).attachments[0].content as Card;

/** JSON text with the same meaning as JSON.stringify's, other bytes. */
const DELIVERY_BYTES: readonly (readonly [string, (envelope: Record<string, unknown>) => string])[] = [
  ['spaces and new lines', (envelope) => JSON.stringify(envelope, null, 2)],
  ['its keys in another order', (envelope) => JSON.stringify(Object.fromEntries(Object.entries(envelope).reverse()))],
  ['slashes escaped as \\/', (envelope) => JSON.stringify(envelope).replaceAll('/', '\\/')],
  ['letters escaped as \\u', (envelope) => JSON.stringify(envelope).replace(/"(?:[^"\\]|\\.)*"/g, (text) => text.replaceAll('a', '\\u0061'))],
];

describe('the incident card', () => {
  test('while escalating, it shows the step and the next step time, with both buttons', () => {
    const card = incidentCard({ incident: 7, escalation: ESCALATION, step: 2, steps: 4, state: 'escalating', nextStepAt: '2026-11-25T17:05:00.000Z' });
    assert.equal(card.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    const content = card.attachments[0].content as Card;
    assert.equal(content.type, 'AdaptiveCard');
    assert.equal(content.version, '1.3');
    assert.equal(content.body[0]?.text, 'Escalation 7: step 2 of 4');
    assert.ok(content.body[1]?.facts?.some((fact) => fact.title === 'Next step' && fact.value === '17:05 UTC'));
    assert.deepEqual(content.actions, [
      { type: 'Action.Submit', title: "I'm on it", data: { action: 'ack', incident: ESCALATION } },
      { type: 'Action.Submit', title: 'Resolved', data: { action: 'resolve', incident: ESCALATION } },
    ]);
    assert.match(card.markdown, /\*\*Escalation 7: step 2 of 4\*\*/);
    assert.match(card.markdown, /Next step: 17:05 UTC/);
  });

  test('once acknowledged, it names who took it and only offers Resolved', () => {
    const content = cardOf({ incident: 7, escalation: ESCALATION, step: 3, steps: 4, state: 'acknowledged', nextStepAt: '2026-11-25T17:05:00.000Z', acknowledgedBy: { name: 'Nemo', via: 'Webex', at: '2026-11-25T17:01:00Z' } });
    assert.deepEqual(content.actions.map((action) => action.title), ['Resolved']);
    const facts = content.body[1]?.facts ?? [];
    assert.ok(facts.some((fact) => fact.title === 'Taken by' && fact.value === 'Nemo (Webex, 17:01 UTC)'));
    assert.ok(!facts.some((fact) => fact.title === 'Next step'), 'no next step once someone is on it');
  });

  test('once resolved, it has no buttons and says who resolved it', () => {
    const card = incidentCard({ incident: 7, escalation: ESCALATION, step: 4, steps: 4, state: 'resolved', resolvedBy: { name: 'Nemo', after: '12 min' } });
    assert.deepEqual((card.attachments[0].content as Card).actions, []);
    assert.match(card.markdown, /Resolved by: Nemo after 12 min/);
  });

  for (const [inputs, expected] of [
    [{ action: 'ack', incident: ESCALATION }, { action: 'ack', incident: ESCALATION }],
    [{ action: 'resolve', incident: ESCALATION }, { action: 'resolve', incident: ESCALATION }],
    [{ action: 'ack', incident: 3 }, undefined],
    [{ action: 'ack', incident: '3' }, undefined],
    [{ action: 'delete', incident: ESCALATION }, undefined],
    [{ action: 'ack', incident: `${ESCALATION}/` }, undefined],
    [{ action: 'ack', incident: ESCALATION, vote: 'yes' }, undefined],
    [{ vote: 'yes' }, undefined],
    [null, undefined],
    [[], undefined],
  ] as const) {
    test(`the inputs ${JSON.stringify(inputs)} are ${expected === undefined ? 'not one of our clicks' : `our '${expected.action}' click`}`, () => {
      assert.deepEqual(parseCardSubmission(inputs), expected);
    });
  }
});

describe('with the fake Webex', () => {
  let webex: FakeWebex;
  let client: WebexClient;
  let transport: UndiciTransport;
  before(async () => {
    webex = await startFakeWebex({ token: TOKEN });
    transport = new UndiciTransport({ deadlineMs: 2000, attemptTimeoutMs: 1000, firstPauseMs: 10 });
    client = new WebexClient({ base: webex.url, token: TOKEN, transport });
  });
  beforeEach(() => webex.reset());
  after(async () => {
    await transport.close();
    await webex.close();
  });

  const logs: string[] = [];
  const log = (event: string, fields: LogFields = {}) => { logs.push(`${event} ${JSON.stringify(fields)}`); };
  const ensure = (publicUrl: string, secret = SECRET) => ensureWebhooks({ webex: client, publicUrl, secret, log }, newCall());
  const mentions = { name: WEBHOOK_NAME, resource: 'messages', event: 'created', filter: 'mentionedPeople=me' } as const;
  const calls = () => webex.requests.map(({ method, path }) => `${method} ${path.replace(/\/v1\/webhooks\/.+/, '/v1/webhooks/{id}')}`);

  describe('registering the webhook', () => {
    test('with none of ours, it creates one for card clicks and one for the messages that mention it, at the public URL, with the secret', async () => {
      webex.addWebhook({ name: 'someone else', targetUrl: 'https://other.example.com/hook', resource: 'messages', event: 'created' });
      const registrations = await ensure('https://bttn.example.com/');
      assert.deepEqual(registrations.map((registration) => registration.action), ['created', 'created']);
      const ours = registrations.map(({ id }) => webex.webhooks.find((hook) => hook.id === id)!)
        .map(({ name, targetUrl, resource, event, secret, filter }) => ({ name, targetUrl, resource, event, secret, filter }));
      assert.deepEqual(ours, [
        { name: WEBHOOK_NAME, targetUrl: 'https://bttn.example.com/webex/events', resource: 'attachmentActions', event: 'created', secret: SECRET, filter: undefined },
        { name: WEBHOOK_NAME, targetUrl: 'https://bttn.example.com/webex/events', resource: 'messages', event: 'created', secret: SECRET, filter: 'mentionedPeople=me' },
      ]);
      assert.equal(webex.webhooks.length, 3, "another app's webhook is left alone");
    });

    test('ours at this address are reused, their secret set again since Webex never shows it', async () => {
      const old = webex.addWebhook({ name: WEBHOOK_NAME, targetUrl: 'https://bttn.example.com/webex/events', resource: 'attachmentActions', event: 'created', secret: 'an older secret' });
      const oldMentions = webex.addWebhook({ ...mentions, targetUrl: 'https://bttn.example.com/webex/events', secret: 'an older secret' });
      const registrations = await ensure('https://bttn.example.com');
      assert.deepEqual(registrations, [{ id: old.id, action: 'reused' }, { id: oldMentions.id, action: 'reused' }]);
      assert.deepEqual([old.secret, oldMentions.secret], [SECRET, SECRET]);
      assert.deepEqual(calls(), ['GET /v1/webhooks', 'PUT /v1/webhooks/{id}', 'PUT /v1/webhooks/{id}']);
    });

    test('one of ours at an older address is pointed here; a deactivated one is revived', async () => {
      const old = webex.addWebhook({ name: WEBHOOK_NAME, targetUrl: 'https://old.example.com/webex/events', resource: 'attachmentActions', event: 'created', status: 'inactive' });
      const [registration] = await ensure('https://bttn.example.com');
      assert.deepEqual(registration, { id: old.id, action: 'updated' });
      assert.deepEqual({ targetUrl: old.targetUrl, status: old.status, secret: old.secret }, { targetUrl: 'https://bttn.example.com/webex/events', status: 'active', secret: SECRET });
    });

    test('copies and stale webhooks of ours (another event, another filter) are deleted, after the kept ones are right', async () => {
      const hook = { name: WEBHOOK_NAME, resource: 'attachmentActions', event: 'created' };
      webex.addWebhook({ ...hook, targetUrl: 'https://old.example.com/webex/events' });
      const kept = webex.addWebhook({ ...hook, targetUrl: 'https://bttn.example.com/webex/events' });
      webex.addWebhook({ ...hook, targetUrl: 'https://bttn.example.com/webex/events' });
      webex.addWebhook({ ...hook, targetUrl: 'https://bttn.example.com/webex/events', resource: 'messages' });
      webex.addWebhook({ name: 'someone else', targetUrl: 'https://other.example.com/hook', resource: 'attachmentActions', event: 'created' });
      const [registration, messages] = await ensure('https://bttn.example.com');
      assert.deepEqual(registration, { id: kept.id, action: 'reused' });
      assert.equal(messages?.action, 'created', 'a messages webhook without the mention filter is not kept');
      assert.deepEqual(webex.webhooks.map((item) => item.name), [WEBHOOK_NAME, 'someone else', WEBHOOK_NAME]);
      const changes = calls().filter((line) => !line.startsWith('GET')); // the list takes as many pages as the fake gives
      assert.deepEqual(changes, ['PUT /v1/webhooks/{id}', 'POST /v1/webhooks', 'DELETE /v1/webhooks/{id}', 'DELETE /v1/webhooks/{id}', 'DELETE /v1/webhooks/{id}']);
    });

    test('a public URL that is not absolute is refused before any call', async () => {
      await assert.rejects(ensure('bttn.example.com'), /not an absolute URL/);
      assert.equal(webex.requests.length, 0);
    });

    test('a second start finds its own webhooks and creates no other', async () => {
      const first = await ensure('https://bttn.example.com');
      const second = await ensure('https://bttn.example.com');
      assert.deepEqual(second, first.map(({ id }) => ({ id, action: 'reused' })));
      assert.equal(webex.webhooks.length, 2);
    });

    test('the fake, like Webex, never shows a webhook\'s secret', async () => {
      await ensure('https://bttn.example.com');
      const listed = await (await fetch(`${webex.url}/webhooks`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { items: object[] };
      assert.equal(listed.items.length, 2);
      assert.ok(!JSON.stringify(listed).includes(SECRET));
    });
  });

  describe('posting the card', () => {
    test('the card is posted with its markdown fallback, and cannot be edited in place', async () => {
      const room = webex.addRoom('Escalation');
      const card = incidentCard({ incident: 1, escalation: ESCALATION, step: 1, steps: 3, state: 'escalating' });
      const id = await client.postCard(room.id, card, newCall());
      const posted = webex.messages.find((message) => message.id === id);
      assert.equal(posted?.markdown, card.markdown);
      assert.deepEqual(posted?.attachments, card.attachments);
      const requests = webex.requests.length;
      assert.equal(await client.updateCard(id, room.id, incidentCard({ incident: 1, escalation: ESCALATION, step: 1, steps: 3, state: 'acknowledged' }), newCall()), 'not editable');
      assert.equal(webex.requests.length, requests, 'no PUT: Webex refuses to edit a message with attachments');
      const refused = await fetch(`${webex.url}/messages/${id}`, {
        method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ roomId: room.id, markdown: 'x' }),
      });
      assert.equal(refused.status, 400, 'the fake holds Webex to the same rule');
    });
  });

  describe('the click route', () => {
    let server: Server;
    let base: string;
    const clicks: CardClick[] = [];
    let secret: string | undefined = SECRET;
    let failHandle = false;
    let card: WebexMessage;

    before(async () => {
      const app = express();
      app.use(webexWebhookRoutes({
        secret: () => secret, webex: client, log,
        handle: async (click) => {
        if (failHandle) throw new Error('the state file cannot be written');
        clicks.push(click);
      },
        command: async () => undefined,
      }));
      server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    beforeEach(async () => {
      clicks.length = 0;
      logs.length = 0;
      secret = SECRET;
      failHandle = false;
      webex.reset();
      const room = webex.addRoom('Escalation');
      const id = await client.postCard(room.id, incidentCard({ incident: 4, escalation: ESCALATION, step: 2, steps: 3, state: 'escalating' }), newCall());
      card = webex.messages.find((message) => message.id === id) as WebexMessage;
      await ensure(base);
      webex.requests.length = 0;
    });
    const webexCalls = () => webex.requests.map(({ method, path }) => `${method} ${path.split('/').slice(0, 3).join('/')}`);
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${base}/webex/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    test('a signed click on "I\'m on it" calls handle with the person\'s name, the incident and the card', async () => {
      assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }, { displayName: 'Nemo Verbist', email: 'nemo@example.com' }), [200]);
      assert.equal(clicks.length, 1);
      assert.deepEqual({ ...clicks[0], person: { name: clicks[0]?.person.name } }, {
        action: 'ack', incident: ESCALATION, person: { name: 'Nemo Verbist' }, messageId: card.id, roomId: card.roomId, botId: webex.bot.id,
      });
      assert.deepEqual(webexCalls().sort(), ['GET /v1/attachment', 'GET /v1/people', 'GET /v1/people']);
      assert.ok(!logs.some((line) => line.includes(SECRET)), 'the secret is never logged');
    });

    for (const signature of ['forged', 'missing'] as const) {
      test(`a ${signature} signature is 403, and neither Webex nor handle is called`, async () => {
        assert.deepEqual(await webex.clickCard(card.id, { action: 'resolve', incident: ESCALATION }, undefined, { signature }), [403]);
        assert.equal(clicks.length, 0);
        assert.deepEqual(webexCalls(), []);
      });
    }

    // Webex's bytes need not be those of JSON.stringify: the signature is checked over the bytes received,
    // never over a body parsed and written again.
    for (const [name, encode] of DELIVERY_BYTES) {
      test(`a delivery with ${name} is taken when signed over its bytes, refused when signed over the compact form`, async () => {
        assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }, undefined, { encode }), [200]);
        assert.equal(clicks.length, 1);
        assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }, undefined, { encode, signOver: 'compact' }), [403]);
        assert.equal(clicks.length, 1, 'the second delivery changed nothing');
      });
    }

    test('a signature of the wrong length is 403, like any other wrong one', async () => {
      const body = JSON.stringify({ resource: 'attachmentActions', event: 'created', data: { id: 'x' } });
      for (const signature of [sign(body).slice(0, 20), `${sign(body)}00`, '']) {
        assert.equal((await post(body, { 'x-spark-signature': signature })).status, 403, `"${signature}"`);
      }
      assert.equal(clicks.length, 0);
    });

    test('before the bot has a secret, every delivery is 403', async () => {
      secret = undefined;
      assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }), [403]);
      assert.equal(clicks.length, 0);
    });

    test('a click on a card that is not ours is answered 200 and ignored', async () => {
      assert.deepEqual(await webex.clickCard(card.id, { vote: 'yes' }), [200]);
      assert.equal(clicks.length, 0);
      assert.deepEqual(webexCalls(), ['GET /v1/attachment'], 'no person read for a click that is not ours');
    });

    test('a signed body that is not JSON is 400', async () => {
      const body = '{"resource": "attachmentActions",';
      const response = await post(body, { 'x-spark-signature': sign(body) });
      assert.equal(response.status, 400);
      assert.equal(clicks.length, 0);
    });

    test('a signed event of another kind is 200 and ignored', async () => {
      const body = JSON.stringify({ resource: 'memberships', event: 'created', data: { id: 'm' } });
      assert.equal((await post(body, { 'x-spark-signature': sign(body) })).status, 200);
      assert.deepEqual(webexCalls(), []);
    });

    test('a body past 64 kB is 413 and is not read as an event', async () => {
      const body = JSON.stringify({ resource: 'attachmentActions', event: 'created', data: { id: 'x' }, padding: 'x'.repeat(70_000) });
      const response = await post(body, { 'x-spark-signature': sign(body) });
      assert.equal(response.status, 413);
      assert.equal(clicks.length, 0);
      assert.deepEqual(webexCalls(), []);
    });

    test('a body that is not declared as JSON is 415', async () => {
      const response = await post('action=ack', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(response.status, 415);
    });

    test('when handle fails, the delivery is 500 and the failure is logged', async () => {
      failHandle = true;
      assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }), [500]);
      assert.ok(logs.some((line) => line.startsWith('webex click failed') && line.includes('cannot be written')));
    });

    test('when Webex cannot show the click, the delivery is 502 and handle is not called', async () => {
      webex.fail({ method: 'GET', path: /\/attachment\/actions\// }, { kind: 'status', status: 404 });
      assert.deepEqual(await webex.clickCard(card.id, { action: 'ack', incident: ESCALATION }), [502]);
      assert.equal(clicks.length, 0);
    });
  });
});

/** X-Spark-Signature as Webex computes it: hex HMAC-SHA1 of the body with the webhook's secret. */
function sign(body: string): string {
  return createHmac('sha1', SECRET).update(body).digest('hex');
}
