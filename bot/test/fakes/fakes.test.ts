// The fakes' own checks: each test sends what a buggy (or correct) bot could send and looks at the answer.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import twilio from 'twilio';
import { startRecorder } from './recorder.ts';
import { startFakeTwilio } from './twilio.ts';
import type { FakeTwilio } from './twilio.ts';
import { loadTwilioListContract } from './twilio-contract.ts';
import { startFakeWebex, MAX_MESSAGE_BYTES } from './webex.ts';
import type { FakeWebex } from './webex.ts';
import { loadWebexContract } from './webex-contract.ts';

const TOKEN = 'webex-test-token';
const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-test-token';
const WEBEX_CONTRACT = loadWebexContract();
const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/** What a failed fetch saw of the connection, e.g. 'ECONNRESET'. */
const networkError = (error: unknown): string =>
  String(((error as { cause?: { code?: unknown } }).cause ?? {}).code ?? error);
/** Names the body has that the schema does not declare. */
const undeclared = (body: object, declared: readonly string[]): string[] => Object.keys(body).filter((name) => !declared.includes(name));

describe('fake Webex', () => {
  let webex: FakeWebex;
  before(async () => { webex = await startFakeWebex({ token: TOKEN, pageSize: 2 }); });
  beforeEach(() => webex.reset());
  after(() => webex.close());

  const send = (path: string, init: RequestInit = {}, token = TOKEN): Promise<Response> =>
    fetch(webex.url + path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const postJson = (path: string, body: unknown): Promise<Response> =>
    send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('a request with the wrong token is 401 with a Webex error body, and is recorded', async () => {
    const response = await send('/rooms', {}, 'not-the-token');
    assert.equal(response.status, 401);
    const body = await response.json() as { message: string; errors: { description: string }[]; trackingId: string };
    assert.match(body.message, /access token/);
    assert.equal(body.errors[0]?.description, body.message);
    assert.match(body.trackingId, /\S/);
    assert.deepEqual(webex.requests.map(({ method, path, status }) => ({ method, path, status })), [{ method: 'GET', path: '/v1/rooms', status: 401 }]);
  });

  test('creating a room without a title is 400 naming the field', async () => {
    const response = await postJson('/rooms', { name: 'Escalation' });
    assert.equal(response.status, 400);
    assert.match((await response.json() as { message: string }).message, /title is required/);
    assert.equal(webex.rooms.length, 0);
  });

  test('listing rooms follows Link headers through every page', async () => {
    for (const title of ['a', 'b', 'c', 'd', 'e']) webex.addRoom(title);
    const titles: string[] = [];
    let next: string | undefined = `${webex.url}/rooms?max=100`;
    while (next !== undefined) {
      const response = await send(next.slice(webex.url.length));
      assert.equal(response.status, 200);
      titles.push(...(await response.json() as { items: { title: string }[] }).items.map((room) => room.title));
      next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    }
    assert.deepEqual(titles, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(webex.requests.length, 3);
  });

  test('adding the same person to a room twice is 409, and a non-address is 400', async () => {
    const room = webex.addRoom('Escalation');
    const member = { roomId: room.id, personEmail: 'ops@example.com', isModerator: true };
    assert.equal((await postJson('/memberships', member)).status, 200);
    assert.equal((await postJson('/memberships', { ...member, personEmail: 'OPS@example.com' })).status, 409);
    assert.equal((await postJson('/memberships', { roomId: room.id, personEmail: 'ops' })).status, 400);
    assert.deepEqual(webex.memberships.map(({ personEmail, isModerator }) => ({ personEmail, isModerator })), [{ personEmail: 'ops@example.com', isModerator: true }]);
  });

  test('a multipart message records the file name, type and bytes', async () => {
    const room = webex.addRoom('Escalation');
    const form = new FormData();
    form.append('roomId', room.id);
    form.append('markdown', '**Step 2**');
    form.append('files', new Blob([Buffer.from([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }), 'plan.png');
    const response = await send('/messages', { method: 'POST', body: form });
    assert.equal(response.status, 200);
    const body = await response.json() as { roomId: string; markdown: string; files: string[] };
    assert.equal(body.roomId, room.id);
    assert.equal(body.files.length, 1);
    const [message] = webex.messages;
    assert.equal(message?.markdown, '**Step 2**');
    assert.deepEqual(message?.files, [{ name: 'plan.png', type: 'image/png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }]);
    assert.equal(webex.requests[0]?.contentType, 'multipart/form-data');
  });

  test('a message is refused when it has two files, markdown over the limit, or an unknown room', async () => {
    const room = webex.addRoom('Escalation');
    const twoFiles = new FormData();
    twoFiles.append('roomId', room.id);
    twoFiles.append('files', new Blob(['a'], { type: 'text/plain' }), 'a.txt');
    twoFiles.append('files', new Blob(['b'], { type: 'text/plain' }), 'b.txt');
    assert.equal((await send('/messages', { method: 'POST', body: twoFiles })).status, 400);
    assert.equal((await postJson('/messages', { roomId: room.id, markdown: 'x'.repeat(MAX_MESSAGE_BYTES + 1) })).status, 400);
    assert.equal((await postJson('/messages', { roomId: room.id, markdown: 'x'.repeat(MAX_MESSAGE_BYTES) })).status, 200);
    assert.equal((await postJson('/messages', { roomId: 'no-such-room', text: 'hi' })).status, 404);
    assert.equal(webex.messages.length, 1);
  });

  test('a queued 429 carries Retry-After, then the next request is answered normally', async () => {
    webex.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'status', status: 429, retryAfterSeconds: 3 });
    const limited = await postJson('/rooms', { title: 'Escalation' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal((await postJson('/rooms', { title: 'Escalation' })).status, 200);
    assert.deepEqual(webex.requests.map((request) => request.status), [429, 200]);
    assert.equal(webex.rooms.length, 1);
  });

  test('a hanging request stays open until the server closes', async () => {
    const hanging = await startFakeWebex({ token: TOKEN });
    hanging.fail({ path: /^\/v1\/rooms/ }, { kind: 'hang' });
    const outcome = fetch(`${hanging.url}/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(
      (response) => `answered ${response.status}`, () => 'connection ended');
    while (hanging.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await hanging.close();
    assert.equal(await outcome, 'connection ended');
    assert.equal(hanging.requests[0]?.status, 0);
  });
  test('a 500 after the work: the room exists though the client never learns it', async () => {
    webex.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'status', status: 500, afterWork: true });
    const response = await postJson('/rooms', { title: 'Escalation' });
    assert.equal(response.status, 500);
    assert.deepEqual(webex.rooms.map((room) => room.title), ['Escalation']);
    assert.deepEqual(webex.requests.map(({ status, fault, workStatus }) => ({ status, fault, workStatus })), [{ status: 500, fault: 'status', workStatus: 200 }]);
  });

  test('a 200 of the wrong shape, after the work: the body is the injected one and the room exists', async () => {
    webex.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'status', status: 200, body: {}, afterWork: true });
    const response = await postJson('/rooms', { title: 'Escalation' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    assert.equal(webex.rooms.length, 1);
  });

  test('a reset ends the connection without an answer; with afterWork the message was posted', async () => {
    const room = webex.addRoom('Escalation');
    webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'reset' });
    webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'reset', afterWork: true });
    for (const text of ['before the work', 'after the work']) {
      assert.equal(await postJson('/messages', { roomId: room.id, text }).then((r) => `answered ${r.status}`, networkError), 'ECONNRESET');
    }
    assert.deepEqual(webex.messages.map((message) => message.text), ['after the work']);
    assert.deepEqual(webex.requests.map(({ status, fault }) => ({ status, fault })), [{ status: 0, fault: 'reset' }, { status: 0, fault: 'reset' }]);
  });

  test('a hang after the work: the room exists and no answer comes before close()', async () => {
    const hanging = await startFakeWebex({ token: TOKEN });
    hanging.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'hang', afterWork: true });
    const outcome = fetch(`${hanging.url}/rooms`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Escalation' }),
    }).then((response) => `answered ${response.status}`, () => 'connection ended');
    while (hanging.rooms.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(hanging.requests[0]?.workStatus, 200);
    await hanging.close();
    assert.equal(await outcome, 'connection ended');
  });

  test('a delay fault does the work at once and answers late', async () => {
    const delayed = await startFakeWebex({ token: TOKEN });
    delayed.fail({ method: 'POST', path: '/v1/rooms' }, { kind: 'delay', ms: 60_000 });
    const answer = fetch(`${delayed.url}/rooms`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Escalation' }),
    }).then((response) => `answered ${response.status}`, () => 'connection ended');
    while (delayed.rooms.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(delayed.requests.map(({ status, fault }) => ({ status, fault })), [{ status: 0, fault: 'delay' }], 'the room exists, the answer is still to come');
    await delayed.close(); // a delayed answer gives up when the server closes
    assert.equal(await answer, 'connection ended');
  });

  test('a fault queued with times Infinity lasts until clearFaults(), which keeps rooms and requests', async () => {
    webex.fail({ path: /^\/v1\// }, { kind: 'status', status: 503 }, Infinity);
    for (let i = 0; i < 5; i += 1) assert.equal((await postJson('/rooms', { title: `try ${i}` })).status, 503);
    webex.addRoom('kept');
    webex.clearFaults();
    assert.equal((await postJson('/rooms', { title: 'Escalation' })).status, 200);
    assert.deepEqual(webex.rooms.map((room) => room.title), ['kept', 'Escalation']);
    assert.equal(webex.requests.length, 6);
  });

  test('a 429 can ask for 60 seconds and carry extra headers', async () => {
    webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'status', status: 429, retryAfterSeconds: 60, headers: { 'X-Fake': 'yes' } });
    const response = await send('/rooms');
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '60');
    assert.equal(response.headers.get('x-fake'), 'yes');
  });

  test('a headers fault answers the real rooms with a Link back to the same page, a loop', async () => {
    webex.addRoom('a');
    webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'headers', headers: { Link: `<${webex.url}/rooms?max=100>; rel="next"` } }, Infinity);
    const first = await send('/rooms?max=100');
    const second = await send('/rooms?max=100');
    for (const response of [first, second]) {
      assert.deepEqual((await response.json() as { items: { title: string }[] }).items.map((room) => room.title), ['a']);
      assert.equal(response.headers.get('link'), `<${webex.url}/rooms?max=100>; rel="next"`);
    }
  });

  test('a Link to another origin leads to a recorder that keeps what reached it, Authorization included', async () => {
    const elsewhere = await startRecorder();
    try {
      webex.fail({ method: 'GET', path: '/v1/rooms' }, { kind: 'headers', headers: { Link: `<${elsewhere.url}/v1/rooms?cursor=x>; rel="next"` } });
      const next = /<([^>]+)>/.exec((await send('/rooms')).headers.get('link') ?? '')?.[1] ?? '';
      await fetch(next, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.deepEqual(elsewhere.visits.map(({ method, url, headers }) => ({ method, url, authorization: headers.authorization })),
        [{ method: 'GET', url: '/v1/rooms?cursor=x', authorization: `Bearer ${TOKEN}` }]);
    } finally {
      await elsewhere.close();
    }
  });

  test('every answer carries a TrackingID header; an error repeats it as the body\'s trackingId', async () => {
    const ok = await send('/rooms');
    assert.match(ok.headers.get('trackingid') ?? '', /\S/);
    const refused = await postJson('/rooms', {});
    assert.equal(refused.headers.get('trackingid'), (await refused.json() as { trackingId: string }).trackingId);
  });

  test('GET /people/me is the bot: a Person of type bot with its address', async () => {
    const response = await send('/people/me');
    const me = await response.json() as { id: string; emails: string[]; displayName: string; type: string };
    assert.deepEqual({ id: me.id, emails: me.emails, displayName: me.displayName, type: me.type },
      { id: webex.bot.id, emails: [webex.bot.email], displayName: webex.bot.displayName, type: 'bot' });
    assert.deepEqual(undeclared(me, WEBEX_CONTRACT.properties('Person')), []);
  });

  test('a locked room created by the bot makes it a moderator: it adds moderators, and its DELETE removes the room', async () => {
    const created = await postJson('/rooms', { title: 'Escalation', isLocked: true });
    const room = await created.json() as { id: string; isLocked: boolean };
    assert.equal(room.isLocked, true);
    assert.equal((await postJson('/memberships', { roomId: room.id, personEmail: 'ops@example.com', isModerator: true })).status, 200);
    const members = await (await send(`/memberships?roomId=${encodeURIComponent(room.id)}`)).json() as { items: { personEmail: string; isModerator: boolean }[] };
    assert.deepEqual(members.items.map(({ personEmail, isModerator }) => ({ personEmail, isModerator })),
      [{ personEmail: webex.bot.email, isModerator: true }, { personEmail: 'ops@example.com', isModerator: true }]);
    assert.equal((await send(`/rooms/${encodeURIComponent(room.id)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual([webex.rooms.length, webex.memberships.length], [0, 0]);
  });

  test('in a locked room the bot does not moderate, adding people is 403 and DELETE only removes the bot', async () => {
    const room = webex.addRoom('Escalation', { isLocked: true, botIsModerator: false });
    const refused = await postJson('/memberships', { roomId: room.id, personEmail: 'ops@example.com' });
    assert.equal(refused.status, 403);
    assert.match((await refused.json() as { message: string }).message, /moderator/);
    assert.equal((await send(`/rooms/${encodeURIComponent(room.id)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(webex.rooms.map(({ title, botIsMember }) => ({ title, botIsMember })), [{ title: 'Escalation', botIsMember: false }]);
    assert.equal((await send(`/rooms/${encodeURIComponent(room.id)}`)).status, 404);
    const post = await postJson('/messages', { roomId: room.id, text: 'still there?' });
    assert.equal(post.status, 404);
    assert.equal((await post.json() as { message: string }).message, 'Could not find a room with provided ID.');
    assert.deepEqual((await (await send('/rooms')).json() as { items: unknown[] }).items, []);
    assert.equal(webex.messages.length, 0);
  });

  test('in a room that is not locked, the bot\'s DELETE removes the room and its memberships', async () => {
    const room = webex.addRoom('Escalation');
    assert.equal((await postJson('/memberships', { roomId: room.id, personEmail: 'ops@example.com' })).status, 200);
    assert.equal((await send(`/rooms/${encodeURIComponent(room.id)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual([webex.rooms.length, webex.memberships.length], [0, 0]);
  });

  test('addRoom refuses a moderator in a room that is not locked, and can hide a room from the bot', async () => {
    assert.throws(() => webex.addRoom('x', { botIsModerator: true }), /locked/);
    webex.addRoom('hidden', { botIsMember: false });
    webex.addRoom('seen');
    assert.deepEqual((await (await send('/rooms')).json() as { items: { title: string }[] }).items.map((room) => room.title), ['seen']);
  });

  test('GET /memberships lists the bot and the people of a room, filters by person, and pages by Link', async () => {
    const room = webex.addRoom('Escalation');
    for (const personEmail of ['a@example.com', 'b@example.com']) await postJson('/memberships', { roomId: room.id, personEmail });
    const roomId = encodeURIComponent(room.id);
    const first = await send(`/memberships?roomId=${roomId}`);
    const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';
    const second = await send(next.slice(webex.url.length));
    const emails = [...(await first.json() as { items: { personEmail: string }[] }).items, ...(await second.json() as { items: { personEmail: string }[] }).items]
      .map((m) => m.personEmail);
    assert.deepEqual(emails, [webex.bot.email, 'a@example.com', 'b@example.com']);
    const byEmail = await (await send(`/memberships?roomId=${roomId}&personEmail=B%40example.com`)).json() as { items: { personId: string }[] };
    assert.equal(byEmail.items.length, 1);
    const byId = await (await send(`/memberships?roomId=${roomId}&personId=${encodeURIComponent(byEmail.items[0]?.personId ?? '')}`)).json() as { items: { personEmail: string }[] };
    assert.deepEqual(byId.items.map((m) => m.personEmail), ['b@example.com']);
    assert.equal((await send('/memberships?personEmail=b%40example.com')).status, 400);
    assert.equal((await send('/memberships?roomId=unknown')).status, 404);
  });

  test('answers for rooms, memberships, messages and people carry only properties the contract declares', async () => {
    const room = await (await postJson('/rooms', { title: 'Escalation' })).json() as Record<string, unknown>;
    const membership = await (await postJson('/memberships', { roomId: room.id, personEmail: 'ops@example.com' })).json() as object;
    const message = await (await postJson('/messages', { roomId: room.id, markdown: '**hi**' })).json() as object;
    const rooms = await (await send('/rooms')).json() as { items: object[] };
    const members = await (await send(`/memberships?roomId=${encodeURIComponent(String(room.id))}`)).json() as { items: object[] };
    const me = await (await send('/people/me')).json() as object;
    const answers: [string, object][] = [
      ['Room', room], ['Membership', membership], ['Message', message], ['Person', me],
      ...rooms.items.map((item): [string, object] => ['Room', item]), ...members.items.map((item): [string, object] => ['Membership', item]),
    ];
    for (const [schema, body] of answers) {
      assert.deepEqual(undeclared(body, WEBEX_CONTRACT.properties(schema)), [], `${schema}: ${JSON.stringify(body)}`);
      assert.ok('id' in body && 'created' in body, `${schema} has id and created`);
    }
    assert.deepEqual(Object.keys(rooms), ['items']);
    assert.equal(WEBEX_CONTRACT.itemSchema('RoomCollectionResponse', 'items'), 'Room');
  });

  for (const [what, path, body, problem] of [
    ['an unknown property of a room', '/rooms', { title: 'Escalation', color: 'red' }, /Unknown property\(ies\) for POST \/v1\/rooms: color.*stricter than Webex/],
    ['isLocked as a string', '/rooms', { title: 'Escalation', isLocked: 'yes' }, /isLocked must be a boolean/],
    ['an unknown property of a membership', '/memberships', { roomId: 'r', personEmail: 'ops@example.com', role: 'admin' }, /Unknown property\(ies\) for POST \/v1\/memberships: role/],
    ['an unknown property of a message', '/messages', { roomId: 'r', text: 'hi', html: '<b>hi</b>' }, /Unknown property\(ies\) for POST \/v1\/messages: html/],
  ] as const) {
    test(`${what} is 400 naming it`, async () => {
      const response = await postJson(path, body);
      assert.equal(response.status, 400);
      assert.match((await response.json() as { message: string }).message, problem);
    });
  }

  test('a reply in a thread names a message of its room, and a reply cannot be answered in its turn', async () => {
    const room = webex.addRoom('Escalation');
    const first = await (await postJson('/messages', { roomId: room.id, text: 'first' })).json() as { id: string };
    const reply = await postJson('/messages', { roomId: room.id, text: 'reply', parentId: first.id });
    assert.equal(reply.status, 200);
    assert.equal(webex.messages[1]!.parentId, first.id);
    const { id } = await reply.json() as { id: string };
    const nested = await postJson('/messages', { roomId: room.id, text: 'nested', parentId: id });
    assert.equal(nested.status, 400);
    assert.match((await nested.json() as { message: string }).message, /first message of a thread/);
    assert.equal((await postJson('/messages', { roomId: room.id, text: 'x', parentId: 'nope' })).status, 400);
  });

  test('a person\'s message reaches the bot only when it mentions it: a signed delivery of ids, then GET /messages/{id}', async () => {
    const room = webex.addRoom('Escalation');
    const deliveries: { body: string; signature: string | undefined }[] = [];
    const target = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => {
        deliveries.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-spark-signature'] as string | undefined });
        res.end();
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
    const secret = 'hook-secret';
    await postJson('/webhooks', { name: 'commands', targetUrl, resource: 'messages', event: 'created', secret, filter: `roomId=${room.id}` });
    const other = webex.addRoom('Elsewhere');
    const heard = await webex.say(room.id, 'status');
    assert.deepEqual(heard.statuses, [200]);
    assert.deepEqual((await webex.say(room.id, 'just chatting', undefined, { mention: false })).statuses, []);
    assert.deepEqual((await webex.say(other.id, 'status')).statuses, [], 'the filter keeps out other rooms');
    assert.equal(deliveries.length, 1);
    const delivery = JSON.parse(deliveries[0]!.body) as { resource: string; data: Record<string, unknown> };
    assert.equal(delivery.resource, 'messages');
    assert.equal(deliveries[0]!.signature, createHmac('sha1', secret).update(deliveries[0]!.body).digest('hex'));
    assert.equal(delivery.data.id, heard.message.id);
    assert.equal('text' in delivery.data, false, 'a delivery carries ids, not the text');
    const read = await send(`/messages/${heard.message.id}`);
    assert.equal(read.status, 200);
    const message = await read.json() as Record<string, unknown>;
    assert.equal(message.text, 'Fake Bot status');
    assert.deepEqual(message.mentionedPeople, [webex.bot.id]);
    assert.deepEqual(undeclared(message, WEBEX_CONTRACT.properties('Message')), []);
    const unheard = webex.messages.find((candidate) => candidate.text === 'just chatting')!;
    assert.equal((await send(`/messages/${unheard.id}`)).status, 404, 'a bot cannot read what does not mention it');
    target.close();
  });

  test('a webhook filter this fake does not apply is refused by name', async () => {
    const response = await postJson('/webhooks', { name: 'x', targetUrl: 'https://bot.example/hook', resource: 'messages', event: 'created', filter: 'hasFiles=true' });
    assert.equal(response.status, 400);
    assert.match((await response.json() as { message: string }).message, /filter hasFiles/);
  });

  test('a multipart message with a field the contract does not list is 400', async () => {
    const room = webex.addRoom('Escalation');
    const form = new FormData();
    form.append('roomId', room.id);
    form.append('title', 'Step 2');
    assert.equal((await send('/messages', { method: 'POST', body: form })).status, 400);
  });

  test('GET /rooms has no title filter: an unknown query parameter is 400', async () => {
    const response = await send('/rooms?title=Escalation');
    assert.equal(response.status, 400);
    assert.match((await response.json() as { message: string }).message, /Unknown query parameter\(s\) for GET \/v1\/rooms: title/);
    assert.equal((await send('/rooms?max=1001')).status, 400);
  });
});

describe('fake Twilio', () => {
  let fake: FakeTwilio;
  before(async () => { fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }); });
  beforeEach(() => fake.reset());
  after(() => fake.close());

  const client = (authToken = AUTH_TOKEN): twilio.Twilio => {
    const sdk = twilio(ACCOUNT_SID, authToken);
    sdk.api.baseUrl = fake.url; // what the bot does with TWILIO_API_BASE
    return sdk;
  };
  const post = (resource: 'Messages' | 'Calls', form: Record<string, string>, accountSid = ACCOUNT_SID): Promise<Response> =>
    fetch(`${fake.url}/2010-04-01/Accounts/${accountSid}/${resource}.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
      body: new URLSearchParams(form),
    });
  /** The HTTP status and Twilio's error body (which repeats the status). */
  const errorOf = async (response: Response): Promise<{ status: number; code: number; message: string; more_info: string }> =>
    ({ ...await response.json() as { code: number; message: string; more_info: string }, status: response.status });

  test('with echoCredentials, a refusal and an injected fault, JSON or text, end with the credentials received', async () => {
    fake.echoCredentials = true;
    const refused = await errorOf(await post('Messages', { From: '+14155552671', Body: 'hi' }));
    assert.equal(refused.message, `A 'To' phone number is required. (credentials sent: ${ACCOUNT_SID}:${AUTH_TOKEN})`);
    fake.fail({ method: 'POST' }, { kind: 'status', status: 502, text: true });
    const page = await post('Messages', { To: '+41791234567', From: '+14155552671', Body: 'hi' });
    assert.equal(page.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await page.text(), `injected fault: HTTP 502 (credentials sent: ${ACCOUNT_SID}:${AUTH_TOKEN})`);
    fake.reset();
    assert.equal((await errorOf(await post('Messages', { From: '+14155552671', Body: 'hi' }))).message, "A 'To' phone number is required.", 'reset() stops the echo');
  });

  test('an SMS and a call sent with the official SDK are accepted and recorded', async () => {
    const twiml = '<Response><Say voice="alice">Step 3: the server room is on fire &amp; the pager is silent.</Say></Response>';
    const message = await client().messages.create({ to: '+41791234567', from: '+14155552671', body: 'Step 3' });
    const call = await client().calls.create({ to: '+41791234567', from: '+14155552671', twiml });
    assert.match(message.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(message.status, 'queued');
    assert.match(call.sid, /^CA[0-9a-f]{32}$/);
    assert.deepEqual(fake.messages.map(({ to, from, body }) => ({ to, from, body })), [{ to: '+41791234567', from: '+14155552671', body: 'Step 3' }]);
    assert.deepEqual(fake.calls.map(({ to, from, twiml }) => ({ to, from, twiml })), [{ to: '+41791234567', from: '+14155552671', twiml }]);
    assert.deepEqual(fake.requests.map((request) => request.status), [201, 201]);
  });

  test('wrong credentials are 401 code 20003, another account in the path is 404 code 20404', async () => {
    await assert.rejects(client('wrong').messages.create({ to: '+41791234567', from: '+14155552671', body: 'x' }),
      { status: 401, code: 20003 });
    const elsewhere = await post('Messages', { To: '+41791234567', From: '+14155552671', Body: 'x' }, `AC${'1'.repeat(32)}`);
    assert.deepEqual(await errorOf(elsewhere), {
      status: 404, code: 20404, message: `The requested resource ${new URL(elsewhere.url).pathname} was not found`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
    });
  });

  test('a request missing To is 400 with Twilio\'s code', async () => {
    assert.deepEqual(await errorOf(await post('Messages', { From: '+14155552671', Body: 'x' })),
      { status: 400, code: 21604, message: "A 'To' phone number is required.", more_info: 'https://www.twilio.com/docs/errors/21604' });
    assert.equal((await errorOf(await post('Calls', { From: '+14155552671', Twiml: '<Response/>' }))).code, 21201);
    assert.equal(fake.messages.length + fake.calls.length, 0);
  });

  for (const to of ['0791234567', '+0791234567', '+41 79 123 45 67', '41791234567', '+4179123456789012']) {
    test(`a To of "${to}" is rejected as not E.164 (21211)`, async () => {
      const { status, code } = await errorOf(await post('Messages', { To: to, From: '+14155552671', Body: 'x' }));
      assert.deepEqual({ status, code }, { status: 400, code: 21211 });
    });
  }

  test('a parameter the contract does not list is rejected by name', async () => {
    const { status, message } = await errorOf(await post('Messages', { To: '+41791234567', From: '+14155552671', body: 'x' }));
    assert.equal(status, 400);
    assert.match(message, /Unknown parameter\(s\) for CreateMessage: body/);
  });

  test('a call needs exactly one of Url, Twiml and ApplicationSid', async () => {
    const base = { To: '+41791234567', From: '+14155552671' };
    assert.equal((await errorOf(await post('Calls', base))).code, 21205);
    assert.equal((await post('Calls', { ...base, Url: 'https://example.com/twiml', Twiml: '<Response/>' })).status, 400);
    assert.equal((await post('Calls', { ...base, Url: 'https://example.com/twiml' })).status, 201);
  });

  for (const [twiml, problem] of [
    ['<Say>hello</Say>', /root element is <Say>/],
    ['<Response><Say>R&D is down</Say></Response>', /unescaped "&"/],
    ['<Response><Say>hello</Response>', /closes <Say>/],
    ['<Response><Say>hello</Say>', /not closed/],
    ['<Response><Say>1 < 2</Say></Response>', /malformed markup/],
  ] as const) {
    test(`Twiml ${twiml} is rejected as not well-formed`, async () => {
      const { status, code, message } = await errorOf(await post('Calls', { To: '+41791234567', From: '+14155552671', Twiml: twiml }));
      assert.deepEqual({ status, code }, { status: 400, code: 12100 });
      assert.match(message, problem);
    });
  }
  const list = (resource: 'Messages' | 'Calls', query = ''): Promise<Response> =>
    fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/${resource}.json${query}`, {
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
    });
  const day = (text: string): Date => new Date(`${text}Z`);

  test('an SMS whose answer was lost after the work (reset) is there when the messages are listed', async () => {
    fake.fail({ method: 'POST', path: /Messages\.json$/ }, { kind: 'reset', afterWork: true });
    await assert.rejects(client().messages.create({ to: '+41791234567', from: '+14155552671', body: 'Step 3' }));
    const listed = await client().messages.list({ to: '+41791234567' });
    assert.deepEqual(listed.map(({ body, status, dateSent }) => ({ body, status, dateSent })), [{ body: 'Step 3', status: 'queued', dateSent: null }]);
  });

  test('a list of messages is newest first, with every property of the contract\'s page and message schemas', async () => {
    for (const body of ['first', 'second']) await post('Messages', { To: '+41791234567', From: '+14155552671', Body: body });
    const response = await list('Messages');
    assert.equal(response.status, 200);
    const page = await response.json() as Record<string, unknown> & { messages: Record<string, unknown>[] };
    const contract = loadTwilioListContract().find((op) => op.operationId === 'ListMessage');
    assert.deepEqual(Object.keys(page).sort(), [...contract?.pageProperties ?? []].sort());
    for (const message of page.messages) assert.deepEqual(Object.keys(message).sort(), [...contract?.itemProperties ?? []].sort());
    assert.deepEqual(page.messages.map(({ body, status, to, from, date_sent }) => ({ body, status, to, from, date_sent })), [
      { body: 'second', status: 'queued', to: '+41791234567', from: '+14155552671', date_sent: null },
      { body: 'first', status: 'queued', to: '+41791234567', from: '+14155552671', date_sent: null },
    ]);
    assert.match(String(page.messages[0]?.date_created), RFC_2822);
    assert.deepEqual({ page: page.page, page_size: page.page_size, start: page.start, end: page.end, next: page.next_page_uri, previous: page.previous_page_uri },
      { page: 0, page_size: 50, start: 0, end: 1, next: null, previous: null });
    assert.equal(page.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=50&Page=0`);
  });

  test('a list of calls has every property of the contract\'s page and call schemas', async () => {
    await post('Calls', { To: '+41791234567', From: '+14155552671', Twiml: '<Response/>' });
    const page = await (await list('Calls')).json() as Record<string, unknown> & { calls: Record<string, unknown>[] };
    const contract = loadTwilioListContract().find((op) => op.operationId === 'ListCall');
    assert.deepEqual(Object.keys(page).sort(), [...contract?.pageProperties ?? []].sort());
    assert.deepEqual(Object.keys(page.calls[0] ?? {}).sort(), [...contract?.itemProperties ?? []].sort());
    assert.deepEqual([page.calls[0]?.status, page.calls[0]?.start_time, page.calls[0]?.to], ['queued', null, '+41791234567']);
  });

  test('the SDK pages through a list by next_page_uri, newest first, and the pages link back', async () => {
    for (let i = 1; i <= 5; i += 1) fake.addMessage({ to: '+41791234567', from: '+14155552671', body: `m${i}`, dateCreated: new Date(Date.UTC(2026, 10, 20, 10, i)) });
    const all = await client().messages.list({ pageSize: 2 });
    assert.deepEqual(all.map((message) => message.body), ['m5', 'm4', 'm3', 'm2', 'm1']);
    assert.deepEqual(fake.requests.map((request) => [request.query.Page, request.query.PageToken?.slice(0, 2)]), [[undefined, undefined], ['1', 'PA'], ['2', 'PA']]);
    const second = await (await list('Messages', `?${new URLSearchParams(fake.requests[1]?.query).toString()}`)).json() as { start: number; end: number; previous_page_uri: string; messages: { body: string }[] };
    assert.deepEqual([second.start, second.end, second.messages.map((m) => m.body)], [2, 3, ['m3', 'm2']]);
    const previous = await (await list('Messages', second.previous_page_uri.slice(second.previous_page_uri.indexOf('?')))).json() as { messages: { body: string }[] };
    assert.deepEqual(previous.messages.map((m) => m.body), ['m5', 'm4']);
  });

  test('DateSent filters compare UTC days: = that day, > on or after, < on or before; a queued message matches none', async () => {
    fake.addMessage({ to: '+41791234567', body: 'monday', dateCreated: day('2026-11-23T23:59:00') });
    fake.addMessage({ to: '+41791234567', body: 'tuesday', dateCreated: day('2026-11-24T00:00:00') });
    fake.addMessage({ to: '+41791234567', body: 'wednesday', dateCreated: day('2026-11-25T12:00:00') });
    await post('Messages', { To: '+41791234567', From: '+14155552671', Body: 'queued' });
    for (const [query, bodies] of [
      ['', ['queued', 'wednesday', 'tuesday', 'monday']],
      ['DateSent=2026-11-24', ['tuesday']],
      ['DateSent%3E=2026-11-24', ['wednesday', 'tuesday']],
      ['DateSent%3C=2026-11-24', ['tuesday', 'monday']],
      ['DateSent%3E=2026-11-24T23:00:00Z', ['wednesday', 'tuesday']],
      ['To=%2B41791234567&DateSent=2026-11-25', ['wednesday']],
    ] as const) {
      const page = await (await list('Messages', `?${query}`)).json() as { messages: { body: string }[] };
      assert.deepEqual(page.messages.map((m) => m.body), bodies, query);
    }
  });

  test('calls filter by Status and StartTime; StartTime< is strictly before the day', async () => {
    fake.addCall({ to: '+41791234567', from: '+14155552671', startTime: day('2026-11-24T10:00:00') });
    fake.addCall({ to: '+41791234567', from: '+14155552671', startTime: day('2026-11-25T10:00:00'), status: 'busy' });
    for (const [query, statuses] of [
      ['Status=busy', ['busy']],
      ['StartTime=2026-11-24', ['completed']],
      ['StartTime%3C=2026-11-25', ['completed']],
      ['StartTime%3E=2026-11-24', ['busy', 'completed']],
    ] as const) {
      const page = await (await list('Calls', `?${query}`)).json() as { calls: { status: string }[] };
      assert.deepEqual(page.calls.map((c) => c.status), statuses, query);
    }
  });

  for (const [query, problem] of [
    ['?Body=x', /Unknown parameter\(s\) for ListMessage: Body/],
    ['?To=+41791234567', /not an E\.164 number; a "\+" sent unencoded/],
    ['?PageSize=1001', /PageSize must be an integer from 1 to 1000/],
    ['?DateSent=yesterday', /DateSent must be a date/],
    ['?Page=1', /needs the PageToken/],
    ['?PageToken=PAnothing', /not one this server gave out/],
  ] as const) {
    test(`a list of messages with ${query} is 400`, async () => {
      const response = await list('Messages', query);
      assert.equal(response.status, 400);
      assert.match((await errorOf(response)).message, problem);
    });
  }

  test('a call list with an unknown Status is 400 naming the contract\'s values', async () => {
    const response = await list('Calls', '?Status=done');
    assert.equal(response.status, 400);
    assert.match((await errorOf(response)).message, /Status must be one of queued, ringing/);
  });
});
