// The rules by which an outbox entry moves after an attempt (core/outbox.ts), and how a state file is read
// back (state/parse-state.ts). Pure functions: the reliability tests drive the same rules through the bot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterAttempt, journalEntries, type AttemptResult, type Timing } from '../src/core/outbox.ts';
import type { Action } from '../src/core/plan.ts';
import { INITIAL_STATE, STATE_VERSION, type OutboxEntry } from '../src/core/state.ts';
import { parseState } from '../src/state/parse-state.ts';
import { LEGACY_BUTTON } from '../src/settings/types.ts';

const SMS: Action = { id: 'sms:+352691496401', kind: 'sms', from: '+33644606827', to: '+352691496401', body: 'Check Cisco Spark' };
const PRESSED = new Date('2026-11-25T12:00:00.000Z');
const [fresh] = journalEntries([SMS], 'p1', 2, PRESSED) as [OutboxEntry];
const at = (seconds: number): Timing => ({ now: new Date(PRESSED.getTime() + seconds * 1000), deliverWithinMs: 15 * 60_000, jitter: 0.5 });
const failed = (overrides: Partial<Extract<AttemptResult, { kind: 'failed' }>> = {}): AttemptResult =>
  ({ kind: 'failed', tries: 1, error: 'POST … answered 503', transient: true, uncertain: false, retryAfterMs: undefined, ...overrides });
const waitMs = (entry: OutboxEntry, timing: Timing) => Date.parse(entry.nextAttemptAt!) - timing.now.getTime();

test('a Retry-After longer than the backoff is waited out in full', () => {
  const next = afterAttempt(fresh, failed({ retryAfterMs: 60_000 }), at(0));
  assert.equal(next.settled, undefined);
  assert.equal(waitMs(next, at(0)), 60_000);
});

test('without Retry-After the wait doubles with each failure, spread by jitter, and stops growing at a minute', () => {
  const cases: [failuresBefore: number, jitter: number, wait: number][] = [
    [0, 0.5, 1000], [1, 0.5, 2000], [3, 0.5, 8000],
    [0, 0, 750], [0, 0.998, 1249],
    [6, 0.5, 60_000], [40, 0.5, 60_000], [40, 0, 45_000],
  ];
  for (const [failuresBefore, jitter, wait] of cases) {
    const timing = { ...at(0), jitter };
    const next = afterAttempt({ ...fresh, failures: failuresBefore }, failed(), timing);
    assert.equal(Math.round(waitMs(next, timing)), Math.round(wait), `after ${failuresBefore} failures, jitter ${jitter}`);
    assert.equal(next.failures, failuresBefore + 1);
  }
});

test('a retry that would come after deliver_within gives the action up, with its last error', () => {
  const timing = { ...at(50), deliverWithinMs: 60_000 };
  const next = afterAttempt({ ...fresh, failures: 4 }, failed({ error: 'POST … answered 503: down' }), timing);
  assert.equal(next.settled, 'given up');
  assert.equal(next.lastError, 'POST … answered 503: down');
  assert.equal(next.nextAttemptAt, undefined);
  assert.equal(next.settledAt, timing.now.toISOString());
});

test('a refusal no retry can change settles the action as failed at once', () => {
  const next = afterAttempt(fresh, failed({ transient: false, error: 'answered 400' }), at(0));
  assert.equal(next.settled, 'failed');
  assert.equal(next.nextAttemptAt, undefined);
});

test('an entry that may have reached the provider stays uncertain until it is delivered', () => {
  const lost = afterAttempt(fresh, failed({ uncertain: true }), at(0));
  const refusedLater = afterAttempt(lost, failed({ uncertain: false }), at(2));
  assert.equal(refusedLater.uncertain, true, 'a later clean refusal does not prove the first request did nothing');
  const delivered = afterAttempt(refusedLater, { kind: 'delivered', tries: 2, providerId: `SM${'0'.repeat(32)}`, wouldSend: [] }, at(5));
  assert.equal(delivered.uncertain, false);
  assert.equal(delivered.settled, 'delivered');
  assert.equal(delivered.attempts, 4, 'every request counts, the checks with the provider included');
});

test('a state file of an older version is read, with defaults for what it lacks, as the state of settings.yaml\'s button', () => {
  const parsed = parseState('{"nextStep":3,"pressCount":2,"room":{"id":"R1","title":"Green Power Demonstration"},"sent":["SM1"]}');
  assert.deepEqual(parsed.state, {
    version: STATE_VERSION, shared: { sent: ['SM1'], webhookSecret: undefined },
    buttons: { [LEGACY_BUTTON]: { ...INITIAL_STATE, nextStep: 3, pressCount: 2, room: { id: 'R1', title: 'Green Power Demonstration', membersAdded: false } } },
  });
});

test('a state with an outbox reads back as it was written', () => {
  const button = { ...INITIAL_STATE, nextStep: 3, pressCount: 2, outbox: [afterAttempt(fresh, failed({ retryAfterMs: 60_000, uncertain: true }), at(0))] };
  const state = { version: STATE_VERSION, shared: { sent: ['SM1'], webhookSecret: undefined }, buttons: { lobby: button, lab: INITIAL_STATE } };
  assert.deepEqual(parseState(JSON.stringify(state)).state, state);
});

test('a state file of another shape is refused with the reason', () => {
  const entry = JSON.parse(JSON.stringify(fresh)) as Record<string, unknown>;
  const cases: [string, string][] = [
    ['{"nextStep":', 'not JSON'],
    ['[]', 'the state is not an object'],
    ['null', 'the state is not an object'],
    ['{"nextStep":"x","pressCount":0}', 'nextStep is not a step number'],
    ['{"nextStep":0,"pressCount":0}', 'nextStep is not a step number'],
    ['{"nextStep":1,"pressCount":-1}', 'pressCount is not a count'],
    ['{"version":99,"nextStep":1,"pressCount":0}', 'version 99, written by a newer bot'],
    ['{"nextStep":1,"pressCount":0,"room":{"id":"R1"}}', 'room.title is not text'],
    ['{"nextStep":1,"pressCount":0,"outbox":{}}', 'outbox is not a list'],
    [JSON.stringify({ nextStep: 1, pressCount: 0, outbox: [{ ...entry, settled: 'maybe' }] }), 'an outbox entry with an unknown settlement'],
    [JSON.stringify({ nextStep: 1, pressCount: 0, outbox: [{ ...entry, action: { id: 'x', kind: 'fax' } }] }), 'an action of unknown kind "fax"'],
    [JSON.stringify({ nextStep: 1, pressCount: 0, outbox: [{ ...entry, journaledAt: 'yesterday' }] }), 'outbox.journaledAt is not a date'],
    ['{"nextStep":1,"pressCount":0,"history":[{"kind":"step","id":"p1","at":"2026-11-25T12:00:00Z"}]}', 'a history record of another shape'],
  ];
  for (const [text, problem] of cases) assert.deepEqual(parseState(text), { problem }, text);
  // Today's file names the button whose state is wrong.
  assert.deepEqual(parseState(JSON.stringify({ version: STATE_VERSION, shared: {}, buttons: { lobby: { nextStep: 0, pressCount: 0 } } })), { problem: 'buttons.lobby.nextStep is not a step number' });
});
