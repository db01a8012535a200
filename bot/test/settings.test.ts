import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadSettings, SettingsError } from '../src/settings/load.ts';
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

test("today's names load: webex, text, sms and call as mappings, voice, reset, debounce", () => {
  writeFileSync(path.join(folder, 'modern.yaml'), `
webex:
  room: "Ops"
  participants: [ann@example.com]
twilio:
  from: "+1 415 555 0100"
server:
  debounce: 0.5
reset: 30
bt.tn:
  - text: "plain words"
  - sms: { message: "Check Webex", to: ["+352 691 49 64 01", "0033644606827"] }
    call: { to: "+14155550123", say: "Please check Webex", voice: "alice" }
`);
  const settings = loadSettings(path.join(folder, 'modern.yaml'), {});
  assert.deepEqual(settings.steps[0]?.message, { format: 'text', body: 'plain words' });
  assert.deepEqual(settings.steps[1]?.sms?.to, ['+352691496401', '+33644606827']);
  assert.deepEqual(settings.steps[1]?.call, { say: 'Please check Webex', to: ['+14155550123'], from: undefined, voice: 'alice' });
  assert.equal(settings.twilio.from, '+14155550100');
  assert.equal(settings.resetAfterMs, 30 * 60_000);
  assert.equal(settings.server.debounceMs, 500);
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
    ['5:1 twilo: unknown key `twilo`; did you mean `twilio`? (known here: bt.tn, webex, twilio, server, reset)']],
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
  ['an empty step', `${minimal}  - {}\n`, ['5:5 bt.tn[1]: this step does nothing; give it `markdown`, `text`, `file`, `sms` or `call`']],
  ['text and markdown together', `${minimal}    markdown: "**hi**"\n`, ['4:5 bt.tn[0].text: a step posts either `markdown` or `text`, not both']],
  ['an empty list of steps', 'webex:\n  room: "Demo"\nbt.tn: []\n', ['3:8 bt.tn: the list is empty; add at least one step, e.g. `- text: "Hello"`']],
  ['a reset of zero minutes', `${minimal}reset: 0\n`, ['5:8 reset: expected a number 1 or more (minutes)']],
  ['a key given twice under two names', 'webex:\n  room: "Demo"\nspark:\n  room: "Other"\nbt.tn:\n  - text: "hi"\n',
    ['3:1 spark: `spark` repeats `webex`; keep one of them']],
  ['several problems at once, in file order', 'webex:\n  room: ""\nbt.tn:\n  - call: { to: "+1", say: "x" }\n',
    ['2:9 webex.room: is empty',
      '4:5 bt.tn[0].call: no number to send from: set `twilio:` `customer_service_number:` (your Twilio number) or `from:` here',
      '4:17 bt.tn[0].call.to: "+1" is not a phone number in international format; expected a country code and number, e.g. "+352691496401"']],
];

for (const [name, yaml, expected] of broken) {
  test(`a settings file with ${name} is refused with the exact message`, () => {
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
  assert.equal(failure.stderr, `${file} has 1 problem; fix it and try again:\n${file}:5:1  twilo: unknown key \`twilo\`; did you mean \`twilio\`? (known here: bt.tn, webex, twilio, server, reset)\n`);
});

test('npm run check accepts the seed sample', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bot/src/settings/check-cli.ts'), path.join(folder, 'settings.yaml')]);
  assert.equal(stdout, `${path.join(folder, 'settings.yaml')} is valid: 5 steps, Webex room "Green Power Demonstration".\n`);
});

test('the JSON Schema for editors accepts what the bot accepts and flags what it refuses', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(repoRoot, 'settings.schema.json'), 'utf8')));
  const valid = (yaml: string) => validate(parse(yaml)) as boolean;
  for (const file of [seedSettings, path.join(repoRoot, 'settings.yaml'), path.join(folder, 'modern.yaml')]) {
    assert.ok(valid(readFileSync(file, 'utf8')), `${file}: ${JSON.stringify(validate.errors)}`);
  }
  for (const [name, yaml] of broken.filter(([name]) => /misspelt|missing room|port|empty|label without|repeats|twice|together|reset/.test(name))) {
    assert.equal(valid(yaml), false, `the schema should refuse a settings file with ${name}`);
  }
});
