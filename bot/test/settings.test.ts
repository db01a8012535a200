import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadSettings, SettingsError } from '../src/settings/load.ts';
import { SCHEMAS, schemaText, settingsSchema } from '../src/settings/schema.ts';
import { CALL, ESCALATE_AFTER, SERVER, SETTINGS, SMS, STEP, TWILIO, WEBEX, type Mapping, type NumberRange } from '../src/settings/shape.ts';
import { repoRoot, seedSettings, workspace } from './support/bot-process.ts';

const folder = workspace();
const seed = readFileSync(seedSettings, 'utf8');

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  const file = path.join(folder, 'broken.yaml');
  writeFileSync(file, yaml);
  try {
    loadSettings(file, env);
  } catch (error) {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
  }
  return [];
}

const minimal = 'webex:\n  room: "Demo"\nbt.tn:\n  - text: "hello"\n';

test('the 2016 seed sample loads unchanged, numbers in E.164', () => {
  const settings = loadSettings(path.join(folder, 'settings.yaml'), {});
  assert.equal(settings.steps.length, 5);
  assert.equal(settings.webex.room, 'Green Power Demonstration');
  assert.deepEqual(settings.webex.moderators, ['bernard.paques@dimensiondata.com', 'nemo.verbist@dimensiondata.com']);
  assert.equal(settings.twilio.from, '+33644606827');
  assert.deepEqual(settings.steps[1]?.sms, { body: 'Check Cisco Spark', to: ['+352691496401'], from: undefined });
  assert.deepEqual(settings.steps[2]?.call, { say: 'Hello, please check Cisco Spark. There is an on-going escalation', to: ['+352691496401'], from: undefined, voice: undefined });
  assert.equal(settings.steps[0]?.file?.contentType, 'image/png');
  assert.equal(settings.steps[0]?.file?.label, 'Current status of the server');
  assert.equal(settings.server.port, 8080);
  assert.equal(settings.server.debounceMs, 2000);
  assert.equal(settings.server.pressTimeoutMs, 8_000);
  assert.equal(settings.server.deliverWithinMs, 15 * 60_000);
  assert.equal(settings.webex.token, undefined);
});

test('the test copy of the seed is the seed itself', (t) => {
  const shared = path.resolve(repoRoot, '../shared/seed/settings.yaml');
  let original: string;
  try {
    original = readFileSync(shared, 'utf8');
  } catch {
    t.skip(`no ${shared} beside the repository`);
    return;
  }
  assert.equal(seed, original);
});

test("today's names load: webex, text, sms and call as mappings, voice, reset, debounce, press_timeout, deliver_within", () => {
  writeFileSync(path.join(folder, 'modern.yaml'), `
webex:
  room: "Ops"
  participants: [ann@example.com]
twilio:
  from: "+1 415 555 0100"
server:
  debounce: 0.5
  press_timeout: 40
  deliver_within: 60
reset: 30
bt.tn:
  - text: "plain words"
  - sms: { message: "Check Webex", to: ["+352 691 49 64 01", "0033644606827"] }
    call: { to: "+14155550123", say: "Please check Webex", voice: "alice" }
  - call: { to: "+1 415-555.0123", say: "Second call", voice: "Polly.Joanna-Neural" }
  - call: { to: "00 33 6 44 60 68 27", say: "Third call", voice: "Google.en-US-Standard-C" }
`);
  const settings = loadSettings(path.join(folder, 'modern.yaml'), {});
  assert.deepEqual(settings.steps[0]?.message, { format: 'text', body: 'plain words' });
  assert.deepEqual(settings.steps[1]?.sms?.to, ['+352691496401', '+33644606827']);
  assert.deepEqual(settings.steps[1]?.call, { say: 'Please check Webex', to: ['+14155550123'], from: undefined, voice: 'alice' });
  assert.equal(settings.twilio.from, '+14155550100');
  assert.equal(settings.resetAfterMs, 30 * 60_000);
  assert.equal(settings.server.debounceMs, 500);
  assert.equal(settings.server.pressTimeoutMs, 40_000);
  assert.equal(settings.server.deliverWithinMs, 60 * 60_000);
  assert.deepEqual(settings.steps.slice(2).map((step) => [step.call?.to, step.call?.voice]),
    [[['+14155550123'], 'Polly.Joanna-Neural'], [['+33644606827'], 'Google.en-US-Standard-C']]);
});

test('a number written with + or 00 and separators, or as digits alone (the 2016 form), becomes E.164', () => {
  writeFileSync(path.join(folder, 'numbers.yaml'), `${minimal}  - sms:
      message: "x"
      to: ["33644606827", 33644606827, "0033 6 44 60 68 27", 0033644606827, "+1 212-555.1234", "+352 691 49 64 01"]
twilio: { from: "+33644606827" }
`);
  assert.deepEqual(loadSettings(path.join(folder, 'numbers.yaml'), {}).steps[1]?.sms?.to,
    ['+33644606827', '+33644606827', '+33644606827', '+33644606827', '+12125551234', '+352691496401']);
});

test('an SMS of 1,600 characters loads: Twilio counts an emoji as one', () => {
  writeFileSync(path.join(folder, 'sms.yaml'), `${minimal}  - sms: { message: "${'😀'.repeat(1600)}", to: "+352691496401", from: "+33644606827" }\n`);
  assert.equal(loadSettings(path.join(folder, 'sms.yaml'), {}).steps[1]?.sms?.body.length, 3200);
});

test('a sequence of 100 steps loads', () => {
  writeFileSync(path.join(folder, 'hundred.yaml'), `webex: { room: "Demo" }\nbt.tn:\n${'  - text: "hi"\n'.repeat(100)}`);
  assert.equal(loadSettings(path.join(folder, 'hundred.yaml'), {}).steps.length, 100);
});

test('secrets come from the environment, and a value in the file overrides it', () => {
  const env = { CISCO_SPARK_BTTN_BOT: 'from-env', TWILIO_ACCOUNT_SID: 'ACenv', TWILIO_AUTH_TOKEN: 'secret' };
  writeFileSync(path.join(folder, 'env.yaml'), minimal);
  assert.equal(loadSettings(path.join(folder, 'env.yaml'), env).webex.token, 'from-env');
  assert.equal(loadSettings(path.join(folder, 'env.yaml'), { WEBEX_BOT_TOKEN: 'alias' }).webex.token, 'alias');
  writeFileSync(path.join(folder, 'env.yaml'), 'spark:\n  room: "Demo"\n  CISCO_SPARK_BTTN_BOT: "from-file"\nbt.tn:\n  - text: "hello"\n');
  const settings = loadSettings(path.join(folder, 'env.yaml'), env);
  assert.equal(settings.webex.token, 'from-file');
  assert.equal(settings.twilio.authToken, 'secret');
});

const broken: [string, string, string[]][] = [
  ['a misspelt section', `${minimal}twilo:\n  from: "+33644606827"\n`,
    ['5:1 twilo: unknown key `twilo`; did you mean `twilio`? (known here: bt.tn, webex, twilio, server, reset, escalate_after, ack_timeout, long_press, double_press)']],
  ['a missing room', 'bt.tn:\n  - text: "hi"\n',
    ['1:1 : missing `webex:` (or `spark:`), the section with the `room:` to use, e.g. `webex: { room: "My demo room" }`']],
  ['a port that is not a number', `${minimal}server:\n  port: eighty\n`,
    ['6:9 server.port: expected a whole number from 1 to 65535']],
  ['a file that is not there', 'webex:\n  room: "Demo"\nbt.tn:\n  - file: files/nope.png\n',
    [`4:11 bt.tn[0].file: no file at files/nope.png (looked in ${path.join(folder, 'files')}); the path is relative to the folder of the settings file`]],
  ['a phone number too short', `${minimal}  - sms:\n      - message: "Check"\n      - number: "12"\ntwilio:\n  customer_service_number: "33644606827"\n`,
    ['7:17 bt.tn[1].sms[1].number: "12" is not a phone number in international format; expected a country code and number, e.g. "+352691496401"']],
  ['an SMS with no number to send from', `${minimal}  - sms: { message: "Check", to: "+352691496401" }\n`,
    ['5:5 bt.tn[1].sms: no number to send from: set `twilio:` `customer_service_number:` (your Twilio number) or `from:` here']],
  ['a call with a misspelt key', `${minimal}  - call: { to: "+352691496401", sya: "hi", from: "+33644606827" }\n`,
    ['5:34 bt.tn[1].call.sya: unknown key `sya`; did you mean `say`? (known here: say, to, from, voice)']],
  ['a moderator that is not an e-mail address', 'webex:\n  room: "Demo"\n  moderators:\n    - bernard.example.com\nbt.tn:\n  - text: "hi"\n',
    ['4:7 webex.moderators[0]: "bernard.example.com" is not an e-mail address; expected something like name@example.com']],
  ['markdown over the Webex limit', `webex:\n  room: "Demo"\nbt.tn:\n  - markdown: "${'x'.repeat(7440)}"\n`,
    ['4:15 bt.tn[0].markdown: the message is 7440 bytes long; Webex accepts at most 7439: shorten it or split it over two steps']],
  ['markdown beside a file over the limit once its line breaks are sent as CRLF', `webex:\n  room: "Demo"\nbt.tn:\n  - markdown: "${'x\\n'.repeat(3700)}"\n    file: files/spark.png\n`,
    ['4:15 bt.tn[0].markdown: the message is 11100 bytes long (with the file label); Webex accepts at most 7439: shorten it or split it over two steps']],
  ['a label without a file', `${minimal}    label: "Look"\n`,
    ['5:5 bt.tn[0].label: `type` and `label` describe a `file`, and this step has no `file`']],
  ['a content type without a file', `${minimal}    content_type: "image/png"\n`,
    ['5:5 bt.tn[0].content_type: `type` and `label` describe a `file`, and this step has no `file`']],
  ['an empty step', `${minimal}  - {}\n`, ['5:5 bt.tn[1]: this step does nothing; give it `markdown`, `text`, `file`, `sms` or `call`']],
  ['text and markdown together', `${minimal}    markdown: "**hi**"\n`, ['4:5 bt.tn[0].text: a step posts either `markdown` or `text`, not both']],
  ['a long press that does something the bot does not know', `${minimal}long_press: ack\n`,
    ['5:13 long_press: "ack" is not one of: next, acknowledge, resolve, reset, nothing; did you mean "acknowledge"?']],
  ['a double press given a number', `${minimal}double_press: 2\n`, ['5:15 double_press: "2" is not one of: next, acknowledge, resolve, reset, nothing']],
  ['an empty list of steps', 'webex:\n  room: "Demo"\nbt.tn: []\n', ['3:8 bt.tn: the list is empty; add at least one step, e.g. `- text: "Hello"`']],
  ['a reset of zero minutes', `${minimal}reset: 0\n`, ['5:8 reset: expected a number 1 or more (minutes)']],
  ['an escalate_after below one second, which would run every step in one press', `${minimal}escalate_after: 0.000001\n`,
    ['5:17 escalate_after: 0.000001 minutes is less than a millisecond; the shortest is one second (0.0167 minutes)']],
  ['a step\'s ack_timeout below one second', `${minimal}    ack_timeout: 0.01\n`,
    ['5:18 bt.tn[0].ack_timeout: 0.01 minutes is 600 ms; the shortest is one second (0.0167 minutes)']],
  ['a key given twice under two names', 'webex:\n  room: "Demo"\nspark:\n  room: "Other"\nbt.tn:\n  - text: "hi"\n',
    ['3:1 spark: `spark` repeats `webex`; keep one of them']],
  ['several problems at once, in file order', 'webex:\n  room: ""\nbt.tn:\n  - call: { to: "+1", say: "x" }\n',
    ['2:9 webex.room: is empty',
      '4:5 bt.tn[0].call: no number to send from: set `twilio:` `customer_service_number:` (your Twilio number) or `from:` here',
      '4:17 bt.tn[0].call.to: "+1" is not a phone number in international format; expected a country code and number, e.g. "+352691496401"']],
  ['a sender number too short, used by an SMS and a call', `${minimal}  - sms: { message: "x", to: "+352691496401" }\n    call: { say: "x", to: "+352691496401" }\ntwilio:\n  from: "12"\n`,
    ['8:9 twilio.from: "12" is not a phone number in international format; expected a country code and number, e.g. "+352691496401"']],
  ['a misspelt sender key', `${minimal}  - sms: { message: "x", to: "+352691496401" }\ntwilio:\n  customer_service_numbr: "+33644606827"\n`,
    ['7:3 twilio.customer_service_numbr: unknown key `customer_service_numbr`; did you mean `customer_service_number`? (known here: customer_service_number, account_sid, auth_token)']],
  ['three SMS and calls with no number to send from', `${minimal}  - sms: { message: "x", to: "+352691496401" }\n    call: { say: "x", to: "+352691496401" }\n  - sms: { message: "x", to: "+352691496401" }\n`,
    ['5:5 bt.tn[1].sms: no number to send from: set `twilio:` `customer_service_number:` (your Twilio number) or `from:` here (2 more SMS or calls below have none either)']],
  ['a misspelt section that is also required', 'webx:\n  room: "Demo"\nbt.tn:\n  - text: "hi"\n',
    ['1:1 webx: unknown key `webx`; did you mean `webex`? (known here: bt.tn, webex, twilio, server, reset, escalate_after, ack_timeout, long_press, double_press)']],
  ['a webex section that is a name, not keys', 'webex: "Demo"\nbt.tn:\n  - text: "hi"\n',
    ['1:8 webex: expected keys such as `room`, `moderators`, `participants`, `token`']],
  ['an SMS that is only its text', `${minimal}  - sms: "Check"\ntwilio: { from: "+33644606827" }\n`,
    ['5:10 bt.tn[1].sms: expected keys such as `message`, `to`, `from`']],
  ['a misspelt SMS number in the 2016 list form', `${minimal}  - sms:\n      - message: "Check"\n      - numbr: "+352691496401"\ntwilio: { from: "+33644606827" }\n`,
    ['7:9 bt.tn[1].sms[1].numbr: unknown key `numbr`; did you mean `number`? (known here: message, to, from)']],
  ['a file that is not there and has no extension', 'webex:\n  room: "Demo"\nbt.tn:\n  - file: files/nope\n',
    [`4:11 bt.tn[0].file: no file at files/nope (looked in ${path.join(folder, 'files')}); the path is relative to the folder of the settings file`]],
  ['an SMS over 1,600 characters (emoji count as one)', `${minimal}  - sms: { message: "${'😀'.repeat(1601)}", to: "+352691496401", from: "+33644606827" }\n`,
    ['5:21 bt.tn[1].sms.message: the SMS is 1601 characters long; Twilio accepts at most 1600: shorten it']],
  ['a call whose TwiML is over 4,000 characters once escaped', `${minimal}  - call: { say: "${'&'.repeat(800)}", to: "+352691496401", from: "+33644606827" }\n`,
    ["5:18 bt.tn[1].call.say: the call's TwiML (this sentence in <Say>, with & < > escaped) is 4070 characters long; Twilio accepts at most 4000: shorten it"]],
  ['a call that says a control character', `${minimal}  - call: { say: "bell \\x07", to: "+352691496401", from: "+33644606827" }\n`,
    ['5:18 bt.tn[1].call.say: contains the character U+0007, which a call cannot carry (TwiML is XML); remove it']],
  ['a voice in the wrong case', `${minimal}  - call: { say: "x", to: "+352691496401", from: "+33644606827", voice: "Alice" }\n`,
    ["5:73 bt.tn[1].call.voice: \"Alice\" is not a Twilio voice; did you mean \"alice\"? (Twilio's voices: man, woman, alice, Polly.<name> such as Polly.Joanna, Google.<name> such as Google.en-US-Standard-C)"]],
  ['a Polly voice with a lower-case prefix', `${minimal}  - call: { say: "x", to: "+352691496401", from: "+33644606827", voice: "polly.Joanna" }\n`,
    ["5:73 bt.tn[1].call.voice: \"polly.Joanna\" is not a Twilio voice; did you mean \"Polly.Joanna\"? (Twilio's voices: man, woman, alice, Polly.<name> such as Polly.Joanna, Google.<name> such as Google.en-US-Standard-C)"]],
  ['a voice Twilio does not have', `${minimal}  - call: { say: "x", to: "+352691496401", from: "+33644606827", voice: "robot" }\n`,
    ["5:73 bt.tn[1].call.voice: \"robot\" is not a Twilio voice (Twilio's voices: man, woman, alice, Polly.<name> such as Polly.Joanna, Google.<name> such as Google.en-US-Standard-C)"]],
  ['a press_timeout of zero', `${minimal}server:\n  press_timeout: 0\n`, ['6:18 server.press_timeout: expected a number above 0 and at most 120 (seconds)']],
  ['a press_timeout over two minutes', `${minimal}server:\n  press_timeout: 121\n`, ['6:18 server.press_timeout: expected a number above 0 and at most 120 (seconds)']],
  ['a press_timeout with its unit written', `${minimal}server:\n  press_timeout: 25s\n`, ['6:18 server.press_timeout: expected a number above 0 and at most 120 (seconds)']],
  ['a deliver_within over a day', `${minimal}server:\n  deliver_within: 1441\n`, ['6:19 server.deliver_within: expected a number above 0 and at most 1440 (minutes)']],
  ['a negative deliver_within', `${minimal}server:\n  deliver_within: -5\n`, ['6:19 server.deliver_within: expected a number above 0 and at most 1440 (minutes)']],
  ['a misspelt press_timeout', `${minimal}server:\n  press_timeuot: 30\n`,
    ['6:3 server.press_timeuot: unknown key `press_timeuot`; did you mean `press_timeout`? (known here: port, url, debounce, press_timeout, deliver_within)']],
  ['an SMS without its text', `${minimal}  - sms: { to: "+352691496401", from: "+33644606827" }\n`,
    ['5:10 bt.tn[1].sms: missing `message`: the text of the SMS, e.g. `message: "Check Webex"`']],
  ['a call in the 2016 list form without a number', `${minimal}  - call:\n      - say: "hi"\ntwilio: { from: "+33644606827" }\n`,
    ['6:7 bt.tn[1].call: missing `to`: the phone numbers to reach, e.g. `to: ["+352691496401"]`']],
  ['a call to an empty list of numbers', `${minimal}  - call: { say: "hi", to: [], from: "+33644606827" }\n`,
    ['5:28 bt.tn[1].call.to: the list is empty; expected the phone numbers to reach, e.g. `to: ["+352691496401"]`']],
  ['a server url that is not a web address', `${minimal}server:\n  url: "bot.example.com"\n`,
    ['6:8 server.url: "bot.example.com" is not a web address; expected something like https://bot.example.com/']],
  ['a file type that is not a content type', 'webex:\n  room: "Demo"\nbt.tn:\n  - file: files/spark.png\n    type: "png"\n',
    ['5:11 bt.tn[0].type: "png" is not a content type; expected something like "image/png" or "application/pdf"']],
  ['a webex section without a room', 'webex:\n  moderators: [ann@example.com]\nbt.tn:\n  - text: "hi"\n',
    ['2:3 webex: missing `room`: the title of the Webex room, e.g. `room: "Green Power Demonstration"`']],
  ['no sequence', 'webex:\n  room: "Demo"\n', ['1:1 : missing `bt.tn:`, the list of what each press does (one `- ` item per press)']],
  ['steps over the cap of 100', `webex: { room: "Demo" }\nbt.tn:\n${'  - text: "hi"\n'.repeat(101)}`,
    ['3:3 bt.tn: the list has 101 steps; a sequence has at most 100']],
];

const nationalNumbers: [string, string][] = [
  ['a US number with parentheses', '(212) 555-1234'],
  ['a French number with its trunk 0 and spaces', '06 12 34 56 78'],
  ['a number with its trunk 0 alone', '0612345678'],
  ['a number with dashes and no country', '212-555-1234'],
  ['a number with spaces and no country', '212 555 1234'],
  ['an international number that keeps its trunk 0 in parentheses', '+44 (0)20 7946 0958'],
];

for (const [name, number] of nationalNumbers) {
  test(`${name} is refused with the international form to write, never guessed`, () => {
    assert.deepEqual(problems(`${minimal}  - sms: { message: "x", to: "${number}", from: "+33644606827" }\n`),
      [`5:30 bt.tn[1].sms.to: "${number}" is written the national way; write +, the country code, then the number (no parentheses, no leading 0), e.g. \"+1 212 555 1234\" for a US number`]);
  });
}

for (const [name, yaml, expected] of broken) {
  test(`a settings file with ${name} is refused with the exact message`, () => {
    assert.deepEqual(problems(yaml), expected);
  });
}

const syntaxMistakes: [string, string, string][] = [
  ['a tab as indentation', `${minimal}\tfile: files/spark.png\n`, '5:1 : not valid YAML: Tabs are not allowed as indentation (indent with spaces)'],
  ['a list item indented further than the one above', `${minimal}   - text: "again"\n`, '5:4 : not valid YAML: All sequence items must start at the same column'],
  ['a list item indented less than the one above', `${minimal} - text: "again"\n`, '5:1 : not valid YAML: A block sequence may not be used as an implicit map key'],
  ['an unclosed quote', 'webex:\n  room: "Demo\nbt.tn:\n  - text: "hi"\n', '2:14 : not valid YAML: Missing closing "quote'],
  ['a key written twice', 'webex:\n  room: "Demo"\n  room: "Other"\nbt.tn:\n  - text: "hi"\n', '3:3 : not valid YAML: Map keys must be unique (keep one of them)'],
  ['a `: ` inside an unquoted value', `${minimal}  - text: Note: call me\n`,
    '5:11 : not valid YAML: Nested mappings are not allowed in compact mappings (put a value that contains `: ` in quotes)'],
  ['a `: ` inside an unquoted value between braces', `${minimal}  - sms: { message: Check: now, to: "+352691496401" }\n`,
    '5:21 : not valid YAML: Block collections are not allowed within flow collections (put a value that contains `: ` in quotes)'],
  ['an unclosed bracket', 'bt.tn: [\n', '2:1 : not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['a second document', `${minimal}---\nbt.tn:\n  - text: "again"\n`, '5:1 : not valid YAML: a second document starts here (after a `---` line); a settings file is one document: remove the `---` line'],
];

for (const [name, yaml, expected] of syntaxMistakes) {
  test(`YAML with ${name} is reported once, at its own line and column`, () => {
    assert.deepEqual(problems(yaml), [expected]);
  });
}

test('a tab deep in the seed sample is reported at its line, not at 1:1', () => {
  const lines = seed.split('\n');
  assert.equal(lines[70], '    room: "Green Power Demonstration"');
  lines[70] = '\troom: "Green Power Demonstration"';
  assert.deepEqual(problems(lines.join('\n')), ['71:1 : not valid YAML: Tabs are not allowed as indentation (indent with spaces)']);
});

const nestedTooDeep = 'lists and keys are nested more than 20 levels deep from here; settings need far fewer: check the brackets and the indentation';
/** "Billion laughs": each line lists the one above 9 times, 9^9 (387 million) strings once expanded. */
const bomb = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...[...'bcdefghi'].map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[index]}`).join(', ')}]`)].join('\n');
const aliasRefused = (alias: string) => `\`${alias}\` repeats a value by its anchor; settings do not use anchors and aliases (\`&name\`, \`*name\`): write the value out here`;
const caps: [string, string, string[]][] = [
  ['10,000 nested lists', `${minimal}reset: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, [`5:27 : ${nestedTooDeep}`]],
  ['10,000 unclosed nested lists', `${minimal}reset: ${'['.repeat(10_000)}\n`, [`5:27 : ${nestedTooDeep}`]],
  ['10,000 nested mappings', `${minimal}reset: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`, [`5:84 : ${nestedTooDeep}`]],
  ['10,000 nested block lists', `${minimal}reset:\n${'- '.repeat(10_000)}x\n`, [`6:39 : ${nestedTooDeep}`]],
  ['an alias bomb', `${bomb}\n${minimal}  - text: *i\n`, [
    ...[...'bcdefghi'].map((name, index) => `${index + 2}:8 ${name}[0]: ${aliasRefused(`*${'abcdefghi'[index]}`)}`),
    `14:11 bt.tn[1].text: ${aliasRefused('*i')}`,
  ]],
  ['a file over 1 MB, not even parsed', `${minimal}${'\t'.repeat(1024 * 1024)}`,
    [`1:1 : the file is ${minimal.length + 1024 * 1024} bytes; a settings file may be at most 1 MB (1048576 bytes): is it the right file?`]],
];

for (const [name, yaml, expected] of caps) {
  test(`a settings file with ${name} gets a clear error, not a crash`, () => {
    assert.deepEqual(problems(yaml), expected);
  });
}

test('a file over the Webex upload limit is refused', () => {
  const huge = path.join(folder, 'files/huge.bin');
  writeFileSync(huge, '');
  truncateSync(huge, 101 * 1024 * 1024); // sparse: no real disk used
  assert.deepEqual(problems('webex:\n  room: "Demo"\nbt.tn:\n  - file: files/huge.bin\n'), [
    '4:11 bt.tn[0].file: files/huge.bin is 101.0 MB; Webex accepts files up to 100 MB',
    '4:11 bt.tn[0].file: cannot tell the type of files/huge.bin; add `type:` beside it, e.g. type: "image/png"',
  ]);
});

test('npm run check prints the problems without a stack trace and exits non-zero', async () => {
  const file = path.join(folder, 'check.yaml');
  writeFileSync(file, `${minimal}twilo: {}\n`);
  const run = promisify(execFile)(process.execPath, [path.join(repoRoot, 'bot/src/settings/check-cli.ts'), file]);
  const failure = await run.then(() => undefined, (error: { code: number; stdout: string; stderr: string }) => error);
  assert.ok(failure, 'check should fail');
  assert.equal(failure.code, 1);
  assert.equal(failure.stderr, `${file} has 1 problem; fix it and try again:\n${file}:5:1  twilo: unknown key \`twilo\`; did you mean \`twilio\`? (known here: bt.tn, webex, twilio, server, reset, escalate_after, ack_timeout, long_press, double_press)\n`);
});

test('npm run check refuses deep nesting with one line and no stack trace', async () => {
  const file = path.join(folder, 'deep.yaml');
  writeFileSync(file, `${minimal}reset: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
  const run = promisify(execFile)(process.execPath, [path.join(repoRoot, 'bot/src/settings/check-cli.ts'), file]);
  const failure = await run.then(() => undefined, (error: { code: number; stdout: string; stderr: string }) => error);
  assert.ok(failure, 'check should fail');
  assert.equal(failure.code, 1);
  assert.equal(failure.stderr, `${file} has 1 problem; fix it and try again:\n${file}:5:27  ${nestedTooDeep}\n`);
});

test('npm run check accepts the seed sample and shows its escalation plan', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bot/src/settings/check-cli.ts'), path.join(folder, 'settings.yaml')]);
  const [verdict, blank, title] = stdout.split('\n');
  assert.equal(verdict, `${path.join(folder, 'settings.yaml')} is valid: 5 steps, Webex room "Green Power Demonstration".`);
  assert.deepEqual([blank, title], ['', 'The escalation, step by step:']);
  assert.match(stdout, /Step 3 \(press 3\):\n {4}- post the message\n {4}- call \+352691496401, saying "Hello, please check Cisco Spark\. There is an on-going escalation"\n/);
});

test('the JSON Schema for editors accepts what the bot accepts and flags what it refuses', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(repoRoot, 'settings.schema.json'), 'utf8')));
  const valid = (yaml: string) => validate(parse(yaml)) as boolean;
  for (const file of [seedSettings, path.join(repoRoot, 'settings.yaml'), path.join(folder, 'modern.yaml')]) {
    assert.ok(valid(readFileSync(file, 'utf8')), `${file}: ${JSON.stringify(validate.errors)}`);
  }
  const refused = /misspelt|missing room|port|empty|label without|repeats|twice|together|reset|press_timeout|deliver_within|voice|SMS over|over the cap|e-mail|web address|content type|type without|without a room|no sequence/;
  for (const [name, yaml] of broken.filter(([name]) => refused.test(name))) {
    assert.equal(valid(yaml), false, `the schema should refuse a settings file with ${name}`);
  }
  for (const [name, number] of nationalNumbers) {
    assert.equal(valid(`${minimal}  - sms: { message: "x", to: "${number}" }\n`), false, `the schema should refuse ${name}`);
  }
  assert.ok(valid(readFileSync(path.join(folder, 'numbers.yaml'), 'utf8')), JSON.stringify(validate.errors));
});

for (const [file, schema] of Object.entries(SCHEMAS)) {
  test(`the committed ${file} is the one shape.ts declares`, () => {
    const committed = readFileSync(path.join(repoRoot, file), 'utf8');
    assert.ok(committed === schemaText(schema()), `${file} differs from bot/src/settings/shape.ts: run \`npm run schema\` and commit the result`);
  });
}

/** Each mapping of the shape, a file that writes `key` in it, and where that key then is. */
const mappings: [string, Mapping, (key: string) => string, string, string][] = [
  ['the top level', SETTINGS, (key) => `${minimal}${key}: 1\n`, '5:1', ''],
  ['webex', WEBEX, (key) => `webex:\n  room: "Demo"\n  ${key}: 1\nbt.tn:\n  - text: "hi"\n`, '3:3', 'webex.'],
  ['twilio', TWILIO, (key) => `${minimal}twilio:\n  ${key}: 1\n`, '6:3', 'twilio.'],
  ['server', SERVER, (key) => `${minimal}server:\n  ${key}: 1\n`, '6:3', 'server.'],
  ['a step', STEP, (key) => `webex:\n  room: "Demo"\nbt.tn:\n  - text: "hi"\n    ${key}: 1\n`, '5:5', 'bt.tn[0].'],
  ['an sms', SMS, (key) => `${minimal}  - sms:\n      ${key}: 1\n`, '6:7', 'bt.tn[1].sms.'],
  ['an sms in the 2016 list form', SMS, (key) => `${minimal}  - sms:\n      - ${key}: 1\n`, '6:9', 'bt.tn[1].sms[0].'],
  ['a call', CALL, (key) => `${minimal}  - call:\n      ${key}: 1\n`, '6:7', 'bt.tn[1].call.'],
];

for (const [name, mapping, file, at, prefix] of mappings) {
  test(`every name shape.ts declares in ${name}, misspelt, is refused at its line and column with that name suggested`, () => {
    const known = Object.values(mapping.keys).map((key) => key.names[0]).join(', ');
    for (const key of Object.values(mapping.keys).flatMap((declared) => declared.names)) {
      const typo = `${key}x`;
      assert.deepEqual(problems(file(typo)).filter((problem) => problem.includes('unknown key')),
        [`${at} ${prefix}${typo}: unknown key \`${typo}\`; did you mean \`${key}\`? (known here: ${known})`]);
    }
  });
}

/** Every number shape.ts declares, with a file that writes `value` for it. */
const numbers: [string, NumberRange, (value: number) => string][] = [
  ...Object.entries(SERVER.keys).flatMap(([key, declared]): [string, NumberRange, (value: number) => string][] =>
    declared.value.kind === 'number' ? [[`server.${key}`, declared.value.range, (value) => `${minimal}server:\n  ${key}: ${value}\n`]] : []),
  ['reset', SETTINGS.keys.reset.value.range, (value) => `${minimal}reset: ${value}\n`],
  ['escalate_after', ESCALATE_AFTER, (value) => `${minimal}escalate_after: ${value}\n`],
  ['a step\'s escalate_after', ESCALATE_AFTER, (value) => `${minimal}    escalate_after: ${value}\n`],
  ['ack_timeout', ESCALATE_AFTER, (value) => `${minimal}ack_timeout: ${value}\n`],
  ['a step\'s ack_timeout', ESCALATE_AFTER, (value) => `${minimal}    ack_timeout: ${value}\n`],
];

test('the validator and the schema accept and refuse the same numbers at the limits shape.ts declares', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(settingsSchema());
  for (const [key, range, file] of numbers) {
    const low = 'min' in range ? range.min : range.above;
    const cases: [number, boolean][] = [[low, 'min' in range], [low - 0.5, false], [low + 1, true]];
    if (range.max !== undefined) cases.push([range.max, true], [range.max + 1, false]);
    if (range.integer) cases.push([low + 1.5, false]);
    for (const [value, accepted] of cases) {
      assert.equal(problems(file(value)).length === 0, accepted, `the validator, ${key}: ${value}`);
      assert.equal(validate(parse(file(value))), accepted, `the schema, ${key}: ${value}`);
    }
  }
});
