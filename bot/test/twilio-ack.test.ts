// Acknowledging an escalation from the phone: a call that asks "Press 1", and an SMS that says ACK. The
// callback routes run in a small Express app on loopback while their public URL is https://bot.example.com,
// as behind Caddy; the fake Twilio places the call, then presses the key or sends the SMS, signed as Twilio signs.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { gatherActionUrl, messageTwiml, sayTwiml } from '../src/core/twiml.ts';
import { newCall } from '../src/http/transport.ts';
import { loadSettings, SettingsError } from '../src/settings/load.ts';
import { UndiciTransport } from '../src/http/undici-transport.ts';
import { NOT_DONE, NOT_RECORDED, NOTHING_RECORDED, SMS_HELP, twilioCallbackRoutes, type PhoneTake } from '../src/server/twilio-callbacks.ts';
import { TwilioClient } from '../src/twilio/client.ts';
import { startFakeTwilio, twilioSignature, type FakeTwilio } from './fakes/twilio.ts';
import { TEST_TOKENS, workspace } from './support/bot-process.ts';

const PUBLIC_URL = 'https://bot.example.com';
const BOT_NUMBER = '+15005550006';
const ON_CALL = '+41791234567';
const SECOND = '+33612345678';
const STRANGER = '+12025550123';
const THANKS = 'Thanks, it is yours.';
/** The escalation the calls belong to, as the bot names them. */
const ESCALATION = 'Zq3v9T1xKcW0bLmN4rPy7A';

let twilio: FakeTwilio;
let server: Server;
let origin: string;
let transport: UndiciTransport;
let client: TwilioClient;
const acknowledged: PhoneTake[] = [];
const logged: string[] = [];
let failAcknowledgement = false;

before(async () => {
  twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
  const app = express();
  app.use(twilioCallbackRoutes({
    publicUrl: `${PUBLIC_URL}/`,
    authToken: TEST_TOKENS.authToken,
    numbers: () => [ON_CALL, SECOND],
    // The escalation's rules (core/claims.ts) are the bot's; here the stranger is refused, as they would be.
    acknowledge: async (take) => {
      if (failAcknowledgement) throw new Error('the state file cannot be written');
      if (take.number === STRANGER) return take.via === 'SMS' ? undefined : NOTHING_RECORDED;
      acknowledged.push(take);
      return THANKS;
    },
    status: async () => undefined,
    log: (event, fields) => logged.push(`${event} ${JSON.stringify(fields ?? {})}`),
  }));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  twilio.proxy = origin;
  transport = new UndiciTransport();
  client = new TwilioClient({ base: twilio.url, accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken, transport });
});

after(async () => {
  await transport.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await twilio.close();
});

beforeEach(() => {
  acknowledged.length = 0;
  logged.length = 0;
  failAcknowledgement = false;
  twilio.reset();
});

/** The bot calls ON_CALL for ESCALATION, asking for "1" at its public URL. */
async function callWithGather(): Promise<string> {
  return client.placeCall(BOT_NUMBER, ON_CALL, 'The build is broken', 'alice', newCall(), { actionUrl: gatherActionUrl(PUBLIC_URL, ESCALATION) });
}

/** A request to the routes that Twilio did not make as it should: `signedUrl` is what the signature covers. */
async function post(path: string, params: Record<string, string>, signature: { token?: string; signedUrl?: string } | 'none', contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (signature !== 'none') headers['X-Twilio-Signature'] = twilioSignature(signature.token ?? TEST_TOKENS.authToken, signature.signedUrl ?? `${PUBLIC_URL}${path}`, params);
  const response = await fetch(`${origin}${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: response.status, body: await response.text() };
}

const gatherForm = (digits: string): Record<string, string> => ({
  AccountSid: TEST_TOKENS.accountSid, CallSid: `CA${'a'.repeat(32)}`, From: BOT_NUMBER, To: ON_CALL, Called: ON_CALL, Caller: BOT_NUMBER, Digits: digits, Direction: 'outbound-api',
});

test('the fake signs as Twilio documents it, and as the SDK expects', () => {
  // Twilio's own example (twilio.com/docs/usage/webhooks/webhooks-security).
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
  assert.equal(twilioSignature('12345', url, params), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.equal(twilioSignature(TEST_TOKENS.authToken, url, params), getExpectedTwilioSignature(TEST_TOKENS.authToken, url, params));
});

test('a call with a Gather asks for 1 and posts it to the public URL', async () => {
  const sid = await callWithGather();
  const twiml = twilio.calls.find((call) => call.sid === sid)?.twiml ?? '';
  assert.match(twiml, /<Say voice="alice">The build is broken<\/Say><Gather numDigits="1" action="https:\/\/bot\.example\.com\/twilio\/gather\?incident=Zq3v9T1xKcW0bLmN4rPy7A" method="POST"><Say voice="alice">Press 1 if you take it\.<\/Say><\/Gather><\/Response>$/);
});

test('pressing 1 asks to acknowledge in the name of the number called, with the CallSid and the escalation of the call', async () => {
  const callSid = await callWithGather();
  const answer = await twilio.gather(callSid, '1');
  assert.equal(answer.status, 200);
  assert.match(answer.contentType ?? '', /^text\/xml/);
  assert.equal(answer.body, sayTwiml(THANKS, undefined));
  assert.deepEqual(acknowledged, [{ via: 'phone', number: ON_CALL, callSid, escalation: ESCALATION }]);
});

test('pressing 2 acknowledges nothing and says so', async () => {
  const answer = await twilio.gather(await callWithGather(), '2');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, sayTwiml(NOT_DONE, undefined));
  assert.deepEqual(acknowledged, []);
});

test('a key signed with another auth token is refused with 403 and acknowledges nothing', async () => {
  const answer = await post(`/twilio/gather?incident=${ESCALATION}`, gatherForm('1'), { token: 'not-the-auth-token' });
  assert.equal(answer.status, 403);
  assert.deepEqual(acknowledged, []);
});

test('a key without a signature is refused with 403 and acknowledges nothing', async () => {
  const answer = await post(`/twilio/gather?incident=${ESCALATION}`, gatherForm('1'), 'none');
  assert.equal(answer.status, 403);
  assert.deepEqual(acknowledged, []);
});

test('the signature is checked against the public URL, not the address the bot sees behind the proxy', async () => {
  const answer = await post(`/twilio/gather?incident=${ESCALATION}`, gatherForm('1'), { signedUrl: `${origin}/twilio/gather?incident=${ESCALATION}` });
  assert.equal(answer.status, 403);
  assert.deepEqual(acknowledged, []);
});

test('a signed key sent for another escalation than the one signed is refused', async () => {
  const answer = await post(`/twilio/gather?incident=${ESCALATION.replace('Z', 'Y')}`, gatherForm('1'), { signedUrl: `${PUBLIC_URL}/twilio/gather?incident=${ESCALATION}` });
  assert.equal(answer.status, 403);
  assert.deepEqual(acknowledged, []);
});

test('a signed key with an escalation that is not an id the bot makes is a 400', async () => {
  const answer = await post('/twilio/gather?incident=three', gatherForm('1'), {});
  assert.equal(answer.status, 400);
  assert.deepEqual(acknowledged, []);
});

test('an acknowledgement that cannot be recorded is said on the call and logged', async () => {
  failAcknowledgement = true;
  const answer = await twilio.gather(await callWithGather(), '1');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, sayTwiml(NOT_RECORDED, undefined));
  assert.ok(logged.some((line) => line.startsWith('acknowledgement failed') && line.includes('the state file cannot be written')));
});

test('an SMS saying ACK (any case, spaces around) from a number of the escalation acknowledges via SMS', async () => {
  const answer = await twilio.inboundSms(`${PUBLIC_URL}/twilio/sms`, SECOND, '  aCk \n');
  assert.equal(answer.status, 200);
  assert.match(answer.contentType ?? '', /^text\/xml/);
  assert.equal(answer.body, messageTwiml(THANKS));
  assert.equal(acknowledged.length, 1);
  const [take] = acknowledged;
  assert.ok(take?.via === 'SMS' && take.number === SECOND && /^SM[0-9a-f]{32}$/.test(take.messageSid), JSON.stringify(take));
});

test('an SMS ACK the escalation refuses (a number outside it) gets no reply at all', async () => {
  const answer = await twilio.inboundSms(`${PUBLIC_URL}/twilio/sms`, STRANGER, 'ACK');
  assert.equal(answer.status, 200);
  assert.equal(answer.body, messageTwiml(undefined));
  assert.deepEqual(acknowledged, []);
});

test('another SMS from a number of the escalation is answered with what the bot understands', async () => {
  const answer = await twilio.inboundSms(`${PUBLIC_URL}/twilio/sms`, ON_CALL, 'ACK please');
  assert.equal(answer.body, messageTwiml(SMS_HELP));
  assert.deepEqual(acknowledged, []);
});

test('an SMS ACK with a forged signature is refused with 403', async () => {
  const params = { From: ON_CALL, To: BOT_NUMBER, Body: 'ACK', MessageSid: `SM${'b'.repeat(32)}` };
  const answer = await post('/twilio/sms', params, { token: 'guessed' });
  assert.equal(answer.status, 403);
  assert.deepEqual(acknowledged, []);
});

test('a callback that is not a form is refused with 415', async () => {
  const response = await fetch(`${origin}/twilio/sms`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ From: ON_CALL, Body: 'ACK' }),
  });
  assert.equal(response.status, 415);
  assert.deepEqual(acknowledged, []);
});

test('a callback larger than Twilio sends is refused with 413', async () => {
  const answer = await post(`/twilio/gather?incident=${ESCALATION}`, { ...gatherForm('1'), Padding: 'x'.repeat(200_000) }, {});
  assert.equal(answer.status, 413);
  assert.deepEqual(acknowledged, []);
});

test('refusals never show the auth token', async () => {
  const answers = [
    await post('/twilio/gather', gatherForm('1'), { token: 'wrong' }),
    await post('/twilio/gather?incident=x', gatherForm('1'), {}),
    await post('/twilio/sms', { From: ON_CALL, Body: 'ACK' }, 'none', 'text/plain'),
    await post('/twilio/sms', { From: ON_CALL, Body: 'x'.repeat(100_000) }, {}),
  ];
  assert.deepEqual(answers.map((answer) => answer.status), [403, 400, 415, 413]);
  for (const answer of answers) assert.ok(!answer.body.includes(TEST_TOKENS.authToken), answer.body);
  for (const line of logged) assert.ok(!line.includes(TEST_TOKENS.authToken), line);
});

test('with a public URL, the settings check measures the call with its "Press 1" against Twilio\'s 4,000 characters', () => {
  // 3,900 characters fit in a call that only speaks, not in one that also asks for a key.
  const folder = workspace(`webex:\n  room: "Demo"\nbt.tn:\n  - call: { say: "${'a'.repeat(3900)}", to: "${ON_CALL}", from: "${BOT_NUMBER}" }\n`);
  const file = path.join(folder, 'settings.yaml');
  assert.equal(loadSettings(file, {}).steps[0]?.call?.say.length, 3900);
  assert.throws(() => loadSettings(file, { BTTN_PUBLIC_URL: PUBLIC_URL }), (error: unknown) =>
    error instanceof SettingsError && /then "Press 1" answered at https:\/\/bot\.example\.com, with & < > escaped\) is 41\d\d characters long/.test(error.message));
});
