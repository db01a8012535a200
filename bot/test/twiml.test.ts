import { test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { sayTwiml } from '../src/core/twiml.ts';

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
