import { test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { ACK_PROMPT, callTwiml, gatherActionUrl, messageTwiml, sayTwiml, xmlSafe } from '../src/core/twiml.ts';

/** What Twilio's SDK builds for a call that says `say`, the way the bot used to build it. */
function sdkTwiml(say: string, voice: string | undefined): string {
  const twiml = new twilio.twiml.VoiceResponse();
  twiml.say(voice ? { voice: voice as never } : {}, say);
  return twiml.toString();
}

const cases: [string, string, string | undefined][] = [
  ['plain words', 'Hello, please check Webex', undefined],
  ['a voice', 'Hello', 'alice'],
  ['double and single quotes', 'He said "go" and it\'s fine', 'Polly.Joanna'],
  ['ampersands, including one that looks escaped', 'R&D &amp; ops', undefined],
  ['angle brackets', '<b>1 < 2 > 0</b>', 'man'],
  ['a CDATA end', 'x ]]> y', undefined],
  ['line breaks and tabs', 'one\r\ntwo\tthree\nfour', undefined],
  ['non-ASCII letters', 'Ça coûte 5 €, ß, 日本語', 'Polly.Léa'],
  ['emoji, beyond the BMP', 'Alert 🚨🔥 now', undefined],
  ['an empty sentence', '', 'woman'],
  ['an empty voice, left out as the SDK does', 'Hi', ''],
  ['a voice that needs escaping', 'Hi', 'a"b&c<d>e\tf\ng\rh'],
];

for (const [name, say, voice] of cases) {
  test(`sayTwiml matches Twilio's SDK: ${name}`, () => {
    assert.equal(sayTwiml(say, voice), sdkTwiml(say, voice));
  });
}

const refused: [string, string, string][] = [
  ['a control character', 'bell \u0007', 'U+0007'],
  ['a lone surrogate', 'half \uD83D emoji', 'U+D83D'],
  ['U+FFFF', 'not \uFFFF a character', 'U+FFFF'],
];

for (const [name, say, code] of refused) {
  test(`sayTwiml refuses ${name}, as the SDK does`, () => {
    assert.throws(() => sdkTwiml(say, undefined), /Invalid character/);
    assert.throws(() => sayTwiml(say, undefined), new RegExp(`TwiML cannot carry ${code.replace('+', '\\+')}`));
  });
}

/** What the SDK builds for a call that says `say`, then asks for one key posted to `action`. */
function sdkGatherTwiml(say: string, voice: string | undefined, action: string): string {
  const twiml = new twilio.twiml.VoiceResponse();
  const attributes = voice ? { voice: voice as never } : {};
  twiml.say(attributes, say);
  twiml.gather({ numDigits: 1, action, method: 'POST' }).say(attributes, ACK_PROMPT);
  return twiml.toString();
}

const gathers: [string, string, string | undefined, string][] = [
  ['an action under the public URL', 'Please check Webex', undefined, gatherActionUrl('https://bot.example.com', 'Zq3v9T1xKcW0bLmN4rPy7A')],
  ['a public URL with a trailing slash and no incident', 'Hello', 'alice', gatherActionUrl('https://bot.example.com/', undefined)],
  ['an ampersand and quotes in the action', 'R&D "now"', 'Polly.Joanna', 'https://bot.example.com/twilio/gather?incident=3&x="y"<z>'],
  ['a public URL with a port and a path', 'Hi', '', gatherActionUrl('https://example.com:8443/bot', 'Zq3v9T1xKcW0bLmN4rPy7A')],
  ['an empty sentence', '', 'woman', gatherActionUrl('https://bot.example.com', 'Zq3v9T1xKcW0bLmN4rPy7A')],
];

for (const [name, say, voice, action] of gathers) {
  test(`callTwiml with a Gather matches Twilio's SDK: ${name}`, () => {
    assert.equal(callTwiml(say, voice, { actionUrl: action }), sdkGatherTwiml(say, voice, action));
  });
}

test('callTwiml without a Gather is sayTwiml', () => {
  for (const [, say, voice] of cases) assert.equal(callTwiml(say, voice), sayTwiml(say, voice));
});

test('the Gather action URL carries the escalation id under the public URL', () => {
  assert.equal(gatherActionUrl('https://bot.example.com//', 'Zq3v9T1xKcW0bLmN4rPy7A'), 'https://bot.example.com/twilio/gather?incident=Zq3v9T1xKcW0bLmN4rPy7A');
  assert.equal(gatherActionUrl('https://bot.example.com', undefined), 'https://bot.example.com/twilio/gather');
});

// The SDK does not check attributes and would write a document Twilio cannot parse.
test('callTwiml refuses an action URL with a character XML refuses', () => {
  assert.throws(() => callTwiml('Hi', undefined, { actionUrl: 'https://bot.example.com/\u0001' }), /TwiML cannot carry U\+0001/);
});

/** What the SDK builds for an SMS reply; no text is an empty response (no reply). */
function sdkMessageTwiml(text: string | undefined): string {
  const twiml = new twilio.twiml.MessagingResponse();
  if (text !== undefined) twiml.message(text);
  return twiml.toString();
}

const replies: [string, string | undefined][] = [
  ['no reply', undefined],
  ['plain words', 'Thanks, you took it.'],
  ['characters to escape', 'R&D <ops> "quoted" \r\n next'],
  ['an empty message', ''],
  ['emoji', 'Got it 👍'],
];

for (const [name, text] of replies) {
  test(`messageTwiml matches Twilio's SDK: ${name}`, () => {
    assert.equal(messageTwiml(text), sdkMessageTwiml(text));
  });
}

test('xmlSafe drops exactly the characters TwiML cannot carry', () => {
  assert.equal(xmlSafe('a\u0007b\uD83Dc\uFFFFd\t\n🚨'), 'abcd\t\n🚨');
});
