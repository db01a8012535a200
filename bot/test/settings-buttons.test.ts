// Several buttons in the settings: a buttons/ folder beside settings.yaml, one file per button, each read with
// what settings.yaml shares; every refusal at its own file and line, and settings.yaml alone as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadBot, loadSettings, SettingsError } from '../src/settings/load.ts';
import { BUTTON_SCHEMA_FILE, SCHEMA_FILE } from '../src/settings/schema.ts';
import { LEGACY_BUTTON } from '../src/settings/types.ts';
import { repoRoot, workspace } from './support/bot-process.ts';

/** A fresh folder with settings.yaml, files/ and the given button files (`buttons/<file>`); returns settings.yaml's path. */
function project(settings: string, buttons: Record<string, string>): string {
  const folder = workspace(settings);
  mkdirSync(path.join(folder, 'buttons'));
  for (const [name, text] of Object.entries(buttons)) writeFileSync(path.join(folder, 'buttons', name), text);
  return path.join(folder, 'settings.yaml');
}

/** Every problem loadBot finds, as `file:line:column path: message`, the file relative to settings.yaml's folder. */
function problems(settings: string, buttons: Record<string, string>, env: Record<string, string> = {}): string[] {
  const file = project(settings, buttons);
  try {
    loadBot(file, env);
  } catch (error) {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    return error.issues.map((issue) => `${path.relative(path.dirname(file), issue.file)}:${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
  }
  return [];
}

const shared = 'webex: { token: "shared-token" }\ntwilio: { from: "+33644606827" }\nserver: { port: 9090 }\n';
const lobby = 'webex: { room: "Lobby" }\nbt.tn:\n  - text: "hello"\n';
const ops = 'webex: { room: "Ops" }\nbt.tn:\n  - text: "ops"\n';

test('two button files load as two buttons, each with its own room, sequence and timers, in the order of their names', () => {
  const file = project(`${shared}reset: 30\nescalate_after: 5\nack_timeout: 20\nlong_press: acknowledge\n`, {
    'ops.yml': `webex:\n  room: "Ops"\n  moderators: [ann@example.com]\nescalate_after: never\ndouble_press: resolve\nbt.tn:
  - markdown: "**ops**"
    file: ../files/spark.png
  - sms: { message: "Check Webex", to: "+352691496401" }
    escalate_after: 1
`,
    'lobby.yaml': `webex: { room: "Lobby", participants: [bob@example.com] }\nreset: 10\nlong_press: next\nbt.tn:\n  - text: "hello"\n  - call: { to: "+352691496401", say: "Please check Webex" }\n`,
  });
  const bot = loadBot(file, {});
  assert.equal(bot.folder, true);
  assert.equal(bot.sourcePath, file);
  assert.deepEqual(bot.buttons.map((button) => button.name), ['lobby', 'ops']);
  const [first, second] = bot.buttons;
  assert.equal(first?.sourcePath, path.join(path.dirname(file), 'buttons/lobby.yaml'));
  assert.deepEqual(first?.webex, { room: 'Lobby', moderators: [], participants: ['bob@example.com'], token: 'shared-token' });
  assert.deepEqual(second?.webex, { room: 'Ops', moderators: ['ann@example.com'], participants: [], token: 'shared-token' });
  assert.deepEqual(first?.steps.map((step) => [step.message?.body, step.call?.say]), [['hello', undefined], [undefined, 'Please check Webex']]);
  assert.equal(second?.steps[0]?.file?.path, path.join(path.dirname(file), 'files/spark.png'), 'a file is found beside its button file');
  // Its own values win; settings.yaml's fill what it leaves out.
  assert.equal(first?.resetAfterMs, 10 * 60_000);
  assert.equal(second?.resetAfterMs, 30 * 60_000);
  assert.deepEqual(first?.steps.map((step) => [step.escalateAfterMs, step.ackTimeoutMs]), [[5 * 60_000, 20 * 60_000], [5 * 60_000, 20 * 60_000]]);
  assert.deepEqual(second?.steps.map((step) => [step.escalateAfterMs, step.ackTimeoutMs]), [[undefined, 20 * 60_000], [60_000, 20 * 60_000]]);
  assert.deepEqual(first?.gestures, { 'long press': 'next', 'double press': 'next' });
  assert.deepEqual(second?.gestures, { 'long press': 'acknowledge', 'double press': 'resolve' });
  for (const button of bot.buttons) {
    assert.equal(button.twilio.from, '+33644606827');
    assert.equal(button.server.port, 9090);
  }
});

test('the Webex token may come from the environment, with no webex: in settings.yaml', () => {
  const bot = loadBot(project('twilio: { from: "+33644606827" }\n', { 'lobby.yaml': lobby }), { WEBEX_BOT_TOKEN: 'from-env' });
  assert.equal(bot.buttons[0]?.webex.token, 'from-env');
});

test('settings.yaml with its own sequence and no buttons/ folder loads as today, as the one button', () => {
  const folder = workspace();
  const file = path.join(folder, 'settings.yaml');
  const bot = loadBot(file, {});
  assert.equal(bot.folder, false);
  assert.deepEqual(bot.buttons, [loadSettings(file, {})]);
  assert.equal(bot.buttons[0]?.name, LEGACY_BUTTON);
  assert.equal(bot.buttons[0]?.steps.length, 5);
});

test('an empty buttons/ folder, or one without YAML files, is no folder: settings.yaml keeps its sequence', () => {
  const file = project(`twilio: { from: "+33644606827" }\n${lobby}`, { 'README.md': '# notes', 'lobby.yaml.bak': 'not a button' });
  const bot = loadBot(file, {});
  assert.equal(bot.folder, false);
  assert.deepEqual(bot.buttons.map((button) => [button.name, button.webex.room]), [['button', 'Lobby']]);
});

test('files other than .yaml and .yml beside the buttons are not buttons', () => {
  const bot = loadBot(project(shared, { 'lobby.yaml': lobby, 'notes.txt': 'x', 'ops.yaml~': 'x' }), {});
  assert.deepEqual(bot.buttons.map((button) => button.name), ['lobby']);
});

const refused: [string, string, Record<string, string>, string[]][] = [
  ['a button file whose name is not a button name', shared, { 'Front Door.yaml': lobby },
    ['buttons/Front Door.yaml:1:1 : "Front Door" cannot name a button: a name is 1 to 40 lower-case letters, digits, `-` and `_`, starting with a letter or a digit (it goes in web addresses); rename the file']],
  ['a button name over 40 characters', shared, { [`${'a'.repeat(41)}.yaml`]: lobby },
    [`buttons/${'a'.repeat(41)}.yaml:1:1 : "${'a'.repeat(41)}" cannot name a button: a name is 1 to 40 lower-case letters, digits, \`-\` and \`_\`, starting with a letter or a digit (it goes in web addresses); rename the file`]],
  ['two files for one name', shared, { 'lobby.yaml': lobby, 'lobby.yml': lobby },
    ['buttons/lobby.yml:1:1 : names the button "lobby", as lobby.yaml does; keep one of the two files']],
  ['a token in a button file', shared, { 'lobby.yaml': 'webex:\n  room: "Lobby"\n  token: "abc"\nbt.tn:\n  - text: "hi"\n' },
    ['buttons/lobby.yaml:3:3 webex.token: `token` is a secret: it stays in settings.yaml (`webex: token:`) or the environment (CISCO_SPARK_BTTN_BOT), for every button']],
  ['a token under its 2016 name in a button file', shared, { 'lobby.yaml': 'spark:\n  room: "Lobby"\n  CISCO_SPARK_BTTN_BOT: "abc"\nbt.tn:\n  - text: "hi"\n' },
    ['buttons/lobby.yaml:3:3 spark.CISCO_SPARK_BTTN_BOT: `CISCO_SPARK_BTTN_BOT` is a secret: it stays in settings.yaml (`webex: token:`) or the environment (CISCO_SPARK_BTTN_BOT), for every button']],
  ['twilio and server in a button file', shared, { 'lobby.yaml': `${lobby}twilio:\n  from: "+33644606827"\nserver: { port: 80 }\n` },
    ['buttons/lobby.yaml:4:1 twilio: `twilio` belongs in settings.yaml: every button shares it',
      'buttons/lobby.yaml:6:1 server: `server` belongs in settings.yaml: every button shares it']],
  ['a room in settings.yaml beside buttons/', 'webex:\n  token: "abc"\n  room: "Lobby"\n  participants: [ann@example.com]\n', { 'lobby.yaml': lobby },
    ['settings.yaml:3:3 webex.room: `room` is per button beside a buttons/ folder: each button has its own room in buttons/<name>.yaml',
      'settings.yaml:4:3 webex.participants: `participants` is per button beside a buttons/ folder: each button has its own room in buttons/<name>.yaml']],
  ['a sequence in settings.yaml beside buttons/', `${shared}bt.tn:\n  - text: "hi"\n`, { 'lobby.yaml': lobby },
    ['settings.yaml:4:1 bt.tn: `bt.tn` is per button beside a buttons/ folder: move it into buttons/<name>.yaml']],
  ['two buttons in one room', shared, { 'lobby.yaml': lobby, 'main.yaml': '\nbt.tn:\n  - text: "hi"\nwebex:\n  room: "Lobby"\n' },
    ['buttons/main.yaml:5:9 webex.room: the room "Lobby" is already button "lobby"\'s; a command typed in a room finds its button by the room, so give each button a room of its own']],
  ['a button file without a room or a sequence', shared, { 'lobby.yaml': 'webex: {}\nreset: 5\n' },
    ['buttons/lobby.yaml:1:1 : missing `bt.tn:`, the list of what each press does (one `- ` item per press)',
      'buttons/lobby.yaml:1:8 webex: missing `room`: the title of the Webex room, e.g. `room: "Green Power Demonstration"`']],
  ['a button file that is not a mapping', shared, { 'lobby.yaml': '- text: "hi"\n' },
    ['buttons/lobby.yaml:1:1 : expected a button: keys such as `bt.tn:` and `webex:`']],
  ['a misspelt key in a button file, with the keys a button file knows', shared, { 'lobby.yaml': `${lobby}escalate_afer: 5\n` },
    ['buttons/lobby.yaml:4:1 escalate_afer: unknown key `escalate_afer`; did you mean `escalate_after`? (known here: bt.tn, webex, reset, escalate_after, ack_timeout, long_press, double_press)']],
  ['a file beside settings.yaml, written as if the button file were there', shared, { 'lobby.yaml': 'webex: { room: "Lobby" }\nbt.tn:\n  - file: files/spark.png\n' },
    ['buttons/lobby.yaml:3:11 bt.tn[0].file: no file at files/spark.png (looked in BUTTONS/files); the path is relative to the folder of the settings file']],
  ['an SMS in a button when settings.yaml names no sender', 'webex: { token: "abc" }\n', { 'lobby.yaml': `${lobby}  - sms: { message: "x", to: "+352691496401" }\n` },
    ['buttons/lobby.yaml:4:5 bt.tn[1].sms: no number to send from: set `twilio:` `customer_service_number:` (your Twilio number) in settings.yaml or `from:` here']],
  ['a TwiML over the limit once settings.yaml\'s public URL asks "Press 1"', `${shared}server: { url: "https://${'b'.repeat(200)}.example.com" }\n`.replace('server: { port: 9090 }\n', ''),
    { 'lobby.yaml': `${lobby}  - call: { to: "+352691496401", say: "${'x'.repeat(3780)}" }\n` },
    [`buttons/lobby.yaml:4:39 bt.tn[1].call.say: the call's TwiML (this sentence in <Say>, then "Press 1" answered at https://${'b'.repeat(200)}.example.com, with & < > escaped) is 4205 characters long; Twilio accepts at most 4000: shorten it`]],
  ['a problem in settings.yaml and in two buttons, each at its own line', `${shared}long_press: ack\n`,
    { 'lobby.yaml': `${lobby}reset: 0\n`, 'ops.yaml': `${ops}  - {}\n` },
    ['settings.yaml:4:13 long_press: "ack" is not one of: next, acknowledge, resolve, reset, nothing; did you mean "acknowledge"?',
      'buttons/lobby.yaml:4:8 reset: expected a number 1 or more (minutes)',
      'buttons/ops.yaml:4:5 bt.tn[1]: this step does nothing; give it `markdown`, `text`, `file`, `sms` or `call`']],
  ['settings.yaml that is not valid YAML, and a broken button', 'webex:\n\ttoken: "abc"\n', { 'lobby.yaml': 'webex: { room: "" }\nbt.tn:\n  - sms: { message: "x", to: "+352691496401" }\n' },
    ['settings.yaml:2:1 : not valid YAML: Tabs are not allowed as indentation (indent with spaces)',
      'buttons/lobby.yaml:1:16 webex.room: is empty']],
];

for (const [name, settings, buttons, expected] of refused) {
  test(`${name} is refused at its file and line`, () => {
    const found = problems(settings, buttons).map((problem) => problem.replace(/\(looked in [^)]*\/buttons\/files\)/, '(looked in BUTTONS/files)'));
    assert.deepEqual(found, expected);
  });
}

test('an SMS in a button uses settings.yaml\'s sender', () => {
  assert.deepEqual(problems(shared, { 'lobby.yaml': `${lobby}  - sms: { message: "x", to: "+352691496401" }\n` }), []);
});

test('the report of problems in several files names them, and lists each problem file by file', () => {
  const file = project(`${shared}reset: 0\n`, { 'lobby.yaml': `${lobby}twilio: {}\n`, 'ops.yaml': `${ops}reset: 0\n` });
  const buttons = path.join(path.dirname(file), 'buttons');
  assert.throws(() => loadBot(file, {}), (error: unknown) => {
    assert.ok(error instanceof SettingsError);
    assert.equal(error.message, [
      '3 problems in 3 files (settings.yaml, buttons/lobby.yaml, buttons/ops.yaml); fix them and try again:',
      `${file}:4:8  reset: expected a number 1 or more (minutes)`,
      `${path.join(buttons, 'lobby.yaml')}:4:1  twilio: \`twilio\` belongs in settings.yaml: every button shares it`,
      `${path.join(buttons, 'ops.yaml')}:4:8  reset: expected a number 1 or more (minutes)`,
    ].join('\n'));
    return true;
  });
});

test('problems in one button file alone are reported as for one file, under its name', () => {
  const file = project(shared, { 'lobby.yaml': `${lobby}server: {}\n` });
  const lobbyFile = path.join(path.dirname(file), 'buttons/lobby.yaml');
  assert.throws(() => loadBot(file, {}), {
    message: `${lobbyFile} has 1 problem; fix it and try again:\n${lobbyFile}:4:1  server: \`server\` belongs in settings.yaml: every button shares it`,
  });
});

const check = (file: string) => promisify(execFile)(process.execPath, [path.join(repoRoot, 'bot/src/settings/check-cli.ts'), file]);

test('npm run check prints each button\'s plan, headed by its name', async () => {
  const file = project(`${shared}escalate_after: 5\n`, { 'ops.yaml': `${ops}  - text: "again"\n`, 'lobby.yaml': lobby });
  const { stdout } = await check(file);
  const buttons = path.join(path.dirname(file), 'buttons');
  const blocks = stdout.split('\n\n');
  assert.equal(blocks[0], `${file} is valid, with 2 buttons in buttons/: lobby, ops.`);
  assert.equal(blocks[1], `Button "lobby": ${path.join(buttons, 'lobby.yaml')} is valid: 1 step, Webex room "Lobby".`);
  assert.match(blocks[2] ?? '', /^The escalation, step by step:\n {2}Step 1 \(the first press\):\n {4}- find the Webex room "Lobby" by its title, or create it\n/);
  assert.equal(blocks[3], `Button "ops": ${path.join(buttons, 'ops.yaml')} is valid: 2 steps, Webex room "Ops".`);
  assert.match(blocks[4] ?? '', /find the Webex room "Ops"[^]*Step 2 \(press 2, or by itself 5 min after step 1/);
});

test('npm run check refuses a button\'s problem with its file and line, and exits non-zero', async () => {
  const file = project(shared, { 'lobby.yaml': lobby, 'ops.yaml': 'webex: { room: "Lobby" }\nbt.tn:\n  - text: "hi"\n' });
  const failure = await check(file).then(() => undefined, (error: { code: number; stderr: string }) => error);
  const opsFile = path.join(path.dirname(file), 'buttons/ops.yaml');
  assert.equal(failure?.code, 1);
  assert.equal(failure?.stderr, `${opsFile} has 1 problem; fix it and try again:\n${opsFile}:1:16  webex.room: the room "Lobby" is already button "lobby"'s; a command typed in a room finds its button by the room, so give each button a room of its own\n`);
});

test('the JSON Schemas for editors accept settings.yaml beside buttons/ and a button file, and flag what the bot refuses there', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const settings = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, SCHEMA_FILE), 'utf8')));
  const button = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, BUTTON_SCHEMA_FILE), 'utf8')));
  assert.ok(settings(parse(`${shared}reset: 30\nlong_press: acknowledge\n`)), JSON.stringify(settings.errors));
  assert.ok(button(parse(`${lobby}  - sms: { message: "x", to: "+352691496401" }\nescalate_after: never\nreset: 10\n`)), JSON.stringify(button.errors));
  for (const [name, settingsText, buttons] of refused) {
    const valid = (schema: typeof settings, text: string) => schema(parse(text)) as boolean;
    if (/token|twilio and server|misspelt|without a room/.test(name)) {
      assert.equal(Object.values(buttons).some((text) => !valid(button, text)), true, `the button schema should refuse ${name}`);
    }
    if (/room in settings|sequence in settings/.test(name)) assert.equal(valid(settings, settingsText), false, `the settings schema should refuse ${name}`);
  }
});
