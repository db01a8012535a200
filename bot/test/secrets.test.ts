// Error texts never carry an account SID or a token: here Webex and Twilio echo the credentials they received
// in every kind of error body (a JSON refusal, a text page from a proxy, a 5xx, a throttling answer with
// Retry-After), and none of them reaches the log, the room, the button's answer, or the status page, its JSON
// and its event stream. Every test drives the real bot against the fakes on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fault } from './fakes/fake-server.ts';
import { fakeWorld } from './support/fake-world.ts';
import { TEST_TOKENS, until, type BotProcess } from './support/bot-process.ts';
import { listen } from './support/event-stream.ts';

const NUMBER = '+352691496401';
const settings = `${JSON.stringify({
  'bt.tn': [{ text: 'Something is wrong' }, { sms: { message: 'Check Webex', to: NUMBER } }],
  webex: { room: 'Secrets stay secret', moderators: ['mod@example.com'] },
  twilio: { customer_service_number: '+15005550006' },
  // Short enough that what keeps failing is given up, and the room told, within the test.
  server: { debounce: 0, press_timeout: 1, deliver_within: 0.02 },
}, null, 2)}\n`;
const QUICK = { BTTN_HTTP_TIMEOUT_MS: '300', BTTN_RETRY_DEADLINE_MS: '500' };
const SECRETS = { 'the Webex token': TEST_TOKENS.webex, 'the Twilio auth token': TEST_TOKENS.authToken, 'the Twilio account SID': TEST_TOKENS.accountSid };
/** What the fakes add to an error message when they echo credentials; the masked echo must still be shown. */
const ECHO = 'credentials sent:';

const { webex, twilio, bot } = await fakeWorld(settings);

const statusUrl = (button: BotProcess) => `${button.baseUrl}/status/${TEST_TOKENS.button}`;
const roomText = () => webex.messages.map((message) => message.text ?? message.markdown ?? '').join('\n');

for (const { name, fault } of [
  { name: 'a 4xx with a JSON body', fault: { kind: 'status', status: 400 } },
  { name: 'a 4xx with a text body', fault: { kind: 'status', status: 403, text: true } },
  { name: 'a 5xx with a text body', fault: { kind: 'status', status: 502, text: true } },
  { name: 'a 429 with Retry-After', fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } },
] as const satisfies readonly { name: string; fault: Fault }[]) {
  test(`credentials Webex and Twilio echo in ${name} reach neither the log, the room, the answer nor the status page`, async () => {
    webex.echoCredentials = true;
    twilio.echoCredentials = true;
    webex.fail({ method: 'POST', path: '/v1/memberships' }, fault, Infinity);
    twilio.fail({ method: 'POST', path: /Messages\.json$/ }, fault, Infinity);
    const button = await bot(settings, QUICK);
    const events = await listen(`${statusUrl(button)}/events`);
    try {
      const answers = [await button.press(), await button.press()].map((answer) => JSON.stringify(answer.body));
      await until(() => roomText().includes(`SMS to ${NUMBER} failed`), 'the room told that the SMS failed', 10_000);
      await until(() => roomText().includes('invite mod@example.com as moderator: '), 'the room told that the invitation failed', 10_000);
      const page = await (await fetch(statusUrl(button))).text();
      const json = await (await fetch(statusUrl(button), { headers: { accept: 'application/json' } })).text();
      await button.stop();
      const surfaces = {
        'the log': button.output(), 'the room': roomText(), 'the answers': answers.join('\n'),
        'the status page': page, 'its JSON': json, 'its event stream': events.text(),
      };
      for (const [where, text] of Object.entries(surfaces)) {
        assert.ok(text.includes(ECHO), `${where} shows the provider's error, masked: ${text.slice(0, 2000)}`);
        for (const [what, secret] of Object.entries(SECRETS)) assert.ok(!text.includes(secret), `${where} holds ${what}`);
      }
    } finally {
      events.close();
    }
  });
}

test('a webhook registration refused with the Webex token echoed is logged with the token masked', async () => {
  webex.echoCredentials = true;
  webex.fail({ method: 'GET', path: '/v1/webhooks' }, { kind: 'status', status: 401, text: true });
  const button = await bot(settings, { ...QUICK, BTTN_PUBLIC_URL: 'https://bttn.example.com' });
  await until(() => button.output().includes('webhook failed'), 'the failed registration logged');
  assert.match(button.output(), /webhook failed .*answered 401: injected fault: HTTP 401 \(credentials sent: …\)/);
  assert.ok(!button.output().includes(TEST_TOKENS.webex));
});

test('a room deletion refused with the Webex token echoed answers the reset with the token masked', async () => {
  const button = await bot(settings, QUICK);
  await button.press();
  webex.echoCredentials = true;
  webex.fail({ method: 'DELETE', path: /^\/v1\/rooms\// }, { kind: 'status', status: 403, text: true });
  const response = await fetch(`${statusUrl(button)}/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deleteRoom":true}' });
  const answer = await response.text();
  assert.equal(response.status, 502);
  assert.match(answer, /deleting the room .* answered 403: injected fault: HTTP 403 \(credentials sent: …\)/);
  assert.ok(!answer.includes(TEST_TOKENS.webex), `the answer holds the Webex token: ${answer}`);
});
