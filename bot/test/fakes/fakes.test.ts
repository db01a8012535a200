// The fakes' own checks: each test sends what a buggy (or correct) bot could send and looks at the answer.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import twilio from 'twilio';
import { startFakeTwilio } from './twilio.ts';
import type { FakeTwilio } from './twilio.ts';
import { startFakeWebex, MAX_MESSAGE_BYTES } from './webex.ts';
import type { FakeWebex } from './webex.ts';

const TOKEN = 'webex-test-token';
const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-test-token';

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
});
