import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { journalEntries } from '../src/core/outbox.ts';
import { planPress } from '../src/core/plan.ts';
import { INITIAL_STATE, type ButtonState } from '../src/core/state.ts';
import { loadSettings } from '../src/settings/load.ts';
import { workspace } from './support/bot-process.ts';

const folder = workspace('webex:\n  room: "Demo"\n  moderators: [mod@example.com]\ntwilio:\n  from: "+33644606827"\nreset: 10\nbt.tn:\n  - text: "one"\n  - sms: { message: "two", to: ["+352691496401", "+14155550123"] }\n  - text: "three"\n');
const settings = loadSettings(path.join(folder, 'settings.yaml'), {});
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 10, minutes));
const room = { id: 'room', title: 'Demo', membersAdded: true };
const after = (state: Partial<ButtonState>): ButtonState => ({ ...INITIAL_STATE, room, lastPressAt: at(0).toISOString(), ...state });

test('the first press takes the room and invites its people before step 1', () => {
  const plan = planPress(settings, INITIAL_STATE, at(0));
  assert.equal(plan.step, 1);
  assert.deepEqual(plan.actions.map((action) => action.id), ['member:mod@example.com', 'message']);
});

test('a press within the reset time continues the sequence', () => {
  const plan = planPress(settings, after({ nextStep: 3, pressCount: 2 }), at(9));
  assert.equal(plan.step, 3);
  assert.equal(plan.restarted, false);
});

test('after `reset` idle minutes the next press starts again at step 1, in the same room', () => {
  const plan = planPress(settings, after({ nextStep: 3, pressCount: 2 }), at(10));
  assert.equal(plan.step, 1);
  assert.equal(plan.restarted, true);
  assert.deepEqual(plan.actions.map((action) => action.id), ['message']);
});

test('after the last step a press posts ping N', () => {
  const plan = planPress(settings, after({ nextStep: 4, pressCount: 3 }), at(1));
  assert.equal(plan.step, undefined);
  assert.deepEqual(plan.actions, [{ id: 'notice', kind: 'notice', text: 'ping 4: all 3 steps of the escalation have run' }]);
});

test('invitations still in the outbox are not planned a second time', () => {
  const [invite] = planPress(settings, INITIAL_STATE, at(0)).actions.filter((action) => action.kind === 'member');
  const outbox = journalEntries([invite!], 'p1', 1, at(0));
  const plan = planPress(settings, after({ room: { ...room, membersAdded: false }, nextStep: 2, pressCount: 1, outbox }), at(1));
  assert.equal(plan.actions.some((action) => action.kind === 'member'), false);
});

test('each number of an SMS gets its own action, sent from the customer service number, and its line in the room', () => {
  const plan = planPress(settings, after({ nextStep: 2, pressCount: 1 }), at(1));
  const first = { id: 'sms:+352691496401', kind: 'sms', from: '+33644606827', to: '+352691496401', body: 'two' } as const;
  const second = { id: 'sms:+14155550123', kind: 'sms', from: '+33644606827', to: '+14155550123', body: 'two' } as const;
  assert.deepEqual(plan.actions, [
    first, { id: 'record:sms:+352691496401', kind: 'record', source: first },
    second, { id: 'record:sms:+14155550123', kind: 'record', source: second },
  ]);
});
