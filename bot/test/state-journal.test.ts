// The state on disk (state/store.ts, state/journal.ts): a snapshot and the journal of changes after it,
// read back after a clean stop, a crash that tore the last line, a compaction cut short by SIGKILL, and
// from the single state.json of the previous release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INITIAL_STATE, STATE_VERSION, withRecord, type ButtonState, type PressRecord } from '../src/core/state.ts';
import { LEGACY_BUTTON } from '../src/settings/types.ts';
import { savedState, StateStore } from '../src/state/store.ts';

const folder = () => mkdtempSync(path.join(tmpdir(), 'bttn-journal-'));
const open = (directory: string, warnings: string[] = []) => StateStore.open(directory, 'live', (message) => warnings.push(message));
/** settings.yaml's own button, as the bot opens it. */
const openButton = async (directory: string, warnings: string[] = []) => (await open(directory, warnings)).button(LEGACY_BUTTON);
const savedButton = (directory: string) => savedState(directory, 'live')?.buttons[LEGACY_BUTTON];
const record = (id: string): PressRecord => ({ id, at: '2026-11-30T12:00:00.000Z', step: 1, kind: 'step', dryRun: false, durationMs: 1, ok: true, actions: [] });
const press = (count: number) => (state: ButtonState): ButtonState => withRecord({ ...state, pressCount: count, nextStep: count + 1 }, record(`p${count}`));

test('each change is appended to the journal in its own size, and the snapshot and journal read back as the state', async () => {
  const directory = folder();
  const whole = await open(directory);
  const snapshot = readFileSync(path.join(directory, 'state.json'), 'utf8');
  const store = whole.button(LEGACY_BUTTON);
  for (let count = 1; count <= 40; count++) await store.update(press(count), 'process-crash');
  await store.update((state) => ({ ...state, room: { id: 'R1', title: 'Green Power', membersAdded: true } }));
  await store.updateWithShared((state, shared) => [{ ...state, room: undefined }, { ...shared, sent: ['SM1', ...shared.sent] }]);
  for (let sid = 2; sid <= 100; sid++) await store.updateWithShared((state, shared) => [state, { ...shared, sent: [`SM${sid}`, ...shared.sent] }], 'process-crash');
  assert.deepEqual(savedState(directory, 'live'), whole.current);
  const lines = readFileSync(path.join(directory, 'state.journal'), 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 141);
  const historyBytes = JSON.stringify(store.current.history).length;
  assert.ok(lines[39]!.length < 400, `the 40th press is one small line, not its history of ${historyBytes} bytes: ${lines[39]}`);
  assert.ok(lines[140]!.length < 100, `the 100th sent id is one small line, not the list of them: ${lines[140]}`);
  assert.equal(readFileSync(path.join(directory, 'state.json'), 'utf8'), snapshot, 'the snapshot made at the first start is not rewritten by a change');
});

test('a clean stop folds the journal into a new snapshot, and its lines are not read again', async () => {
  const directory = folder();
  const whole = await open(directory);
  const store = whole.button(LEGACY_BUTTON);
  for (let count = 1; count <= 3; count++) await store.update(press(count), 'process-crash');
  const journal = readFileSync(path.join(directory, 'state.journal'), 'utf8');
  await whole.flush();
  assert.equal(statSync(path.join(directory, 'state.journal')).size, 0);
  assert.equal(JSON.parse(readFileSync(path.join(directory, 'state.json'), 'utf8')).buttons[LEGACY_BUTTON].pressCount, 3);
  // As if SIGKILL had struck between the new snapshot's rename and the journal's emptying.
  writeFileSync(path.join(directory, 'state.journal'), journal);
  assert.equal(savedButton(directory)!.pressCount, 3, 'lines of the previous generation are ignored');
  assert.deepEqual((await open(directory)).current, whole.current);
});

test('a last line torn by a crash is left out, and the journal goes on after it', async () => {
  const directory = folder();
  const store = await openButton(directory);
  for (let count = 1; count <= 5; count++) await store.update(press(count), 'process-crash');
  const journal = path.join(directory, 'state.journal');
  truncateSync(journal, statSync(journal).size - 20);
  const warnings: string[] = [];
  const reopened = await openButton(directory, warnings);
  assert.equal(reopened.current.pressCount, 4);
  assert.deepEqual(reopened.current.history.map((entry) => entry.id), ['p4', 'p3', 'p2', 'p1']);
  assert.deepEqual(warnings, [], 'a torn last line is what a crash leaves, not a problem');
  await reopened.update(press(5), 'process-crash');
  assert.deepEqual(savedButton(directory), reopened.current, 'the next line is not glued to the torn one');
});

test('a damaged line inside the journal stops the reading there, and the journal is kept aside with a warning', async () => {
  const directory = folder();
  const store = await openButton(directory);
  for (let count = 1; count <= 3; count++) await store.update(press(count), 'process-crash');
  const journal = path.join(directory, 'state.journal');
  const lines = readFileSync(journal, 'utf8').split('\n');
  lines[1] = 'not a record';
  writeFileSync(journal, lines.join('\n'));
  const warnings: string[] = [];
  const reopened = await openButton(directory, warnings);
  assert.equal(reopened.current.pressCount, 1);
  assert.match(warnings.join('\n'), /journal .*state\.journal was read up to where line 2 is not a journal record; it was kept as .*state\.journal\.unreadable-\d+/);
  assert.ok(readdirSync(directory).some((file) => file.startsWith('state.journal.unreadable-')));
});

test('the state.json of an older release reads as the state of settings.yaml\'s button, and a journal beside it from another run is not applied', async () => {
  const directory = folder();
  const previous = { ...INITIAL_STATE, nextStep: 3, pressCount: 2, room: { id: 'R1', title: 'Green Power Demonstration', membersAdded: true }, history: [record('p2'), record('p1')] };
  writeFileSync(path.join(directory, 'state.json'), JSON.stringify({ ...previous, sent: ['SM1'], webhookSecret: 'w'.repeat(43) }));
  writeFileSync(path.join(directory, 'state.journal'), `${JSON.stringify({ g: 0, c: [{ p: ['nextStep'], v: 9 }] })}\n`);
  const expected = { version: STATE_VERSION, shared: { sent: ['SM1'], webhookSecret: 'w'.repeat(43) }, buttons: { [LEGACY_BUTTON]: previous } };
  assert.deepEqual(savedState(directory, 'live'), expected);
  const store = await open(directory);
  assert.deepEqual(store.current, expected);
  await store.button(LEGACY_BUTTON).update(press(3), 'process-crash');
  assert.equal(savedButton(directory)!.pressCount, 3);
  assert.equal(savedButton(directory)!.history.length, 3);
});

test('the state and journal of the previous release (one button, with a journal) read as that button, written afresh by button', async () => {
  const directory = folder();
  const previous = { ...INITIAL_STATE, version: 2, nextStep: 2, pressCount: 1, history: [record('p1')], sent: ['SM1'], journalGeneration: 4 };
  writeFileSync(path.join(directory, 'state.json'), JSON.stringify(previous));
  // Its journal's paths are of the old shape, at the top of the state.
  writeFileSync(path.join(directory, 'state.journal'), `${JSON.stringify({ g: 4, c: [{ p: ['nextStep'], v: 3 }, { p: ['pressCount'], v: 2 }, { p: ['sent'], a: [{ v: 'SM2' }, { o: 0, n: 1 }] }] })}\n`);
  const store = await open(directory);
  assert.equal(store.current.buttons[LEGACY_BUTTON]!.nextStep, 3);
  assert.deepEqual(store.current.shared.sent, ['SM2', 'SM1']);
  assert.equal(statSync(path.join(directory, 'state.journal')).size, 0, 'folded into a snapshot of today\'s shape before any new line');
  await store.button(LEGACY_BUTTON).update(press(3), 'process-crash');
  assert.deepEqual(savedState(directory, 'live'), store.current);
});

test('two buttons keep their own state, journaled under their names; a change of one writes nothing of the other', async () => {
  const directory = folder();
  const store = await open(directory);
  const [lobby, lab] = [store.button('lobby'), store.button('lab')];
  for (let count = 1; count <= 3; count++) await lobby.update(press(count), 'process-crash');
  await lab.update(press(1), 'process-crash');
  await lab.updateWithShared((state, shared) => [state, { ...shared, sent: ['SM9'] }]);
  const lines = readFileSync(path.join(directory, 'state.journal'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { c: { p: string[] }[] });
  assert.deepEqual(lines.map((line) => [...new Set(line.c.map((change) => change.p.slice(0, 2).join('.')))]), [
    ['buttons.lobby'], ['buttons.lobby'], ['buttons.lobby'], ['buttons.lab'], ['shared.sent'],
  ]);
  const reopened = await open(directory);
  assert.equal(reopened.button('lobby').current.pressCount, 3);
  assert.equal(reopened.button('lab').current.pressCount, 1);
  assert.deepEqual(reopened.button('lab').claimed(), new Set(['SM9']), 'what one button sent is claimed for all');
  assert.equal(reopened.button('unknown').current, INITIAL_STATE, 'a button without state starts at step 1');
});

test('SIGKILL at any instant, compactions included, loses no change that was written and applies none twice', async () => {
  const directory = folder();
  const writer = fileURLToPath(new URL('./support/journal-writer.ts', import.meta.url));
  let written = 0;
  for (let kill = 0; kill < 20; kill++) {
    const child = spawn(process.execPath, [writer, directory], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    const exited = new Promise((resolve) => child.once('close', resolve)); // after its output is all read
    // Until it has written a few changes of its own, then at a random instant.
    while (output.split('\n').length < 3 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
    child.kill('SIGKILL');
    await exited;
    assert.equal(errors, '', 'the writer read its state without a warning');
    const reported = output.trimEnd().split('\n').map(Number);
    written = reported[reported.length - 1]!;
    const state = savedButton(directory)!;
    assert.ok(state.pressCount === written || state.pressCount === written + 1, `kill ${kill + 1}: ${written} written, ${state.pressCount} read back`);
    assert.deepEqual(state.history.slice(0, 3).map((entry) => entry.id), [state.pressCount, state.pressCount - 1, state.pressCount - 2].map((n) => `p${n}`));
  }
  assert.ok(written > 25 * 2, `the kills landed across compactions (${written} changes)`);
});
