// Who may take or resolve an escalation, through which door (core/claims.ts): pure rules, checked without
// the network. The doors' own tests drive the real bot; here each rule is asked directly, including those
// the router already keeps most strangers from reaching (a number nobody texted, another room).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claim, used, type Take } from '../src/core/claims.ts';
import { INITIAL_STATE, type ButtonState, type Incident } from '../src/core/state.ts';

const ON_CALL = '+352691496401';
const incident: Incident = {
  id: 'Zq3v9T1xKcW0bLmN4rPy7A', number: 1, startedAt: '2026-11-30T10:00:00.000Z', status: 'escalating',
  acknowledged: undefined, resolved: undefined, timer: undefined, reached: [ON_CALL], calls: ['CA1'], cards: ['M1'], messageSids: [], contacts: [],
};
const state: ButtonState = { ...INITIAL_STATE, room: { id: 'R1', title: 'Demo', membersAdded: true }, incident };
const card = { via: 'Webex', name: 'Ann', personId: 'P1', botId: 'B1', roomId: 'R1', messageId: 'M1', escalation: incident.id } as const;
const refused = (take: Take, on = state) => {
  const outcome = claim(on, take);
  return outcome.ok ? 'taken' : outcome.why;
};

test('an SMS takes it only from a number this escalation texted or called, and each message once', () => {
  assert.equal(refused({ via: 'SMS', number: ON_CALL, messageSid: 'SM1' }), 'taken');
  assert.equal(refused({ via: 'SMS', number: '+12025550123', messageSid: 'SM2' }), 'not a number this escalation texted or called');
  const afterUse = { ...state, incident: used(incident, { via: 'SMS', number: ON_CALL, messageSid: 'SM1' }) };
  assert.equal(refused({ via: 'SMS', number: ON_CALL, messageSid: 'SM1' }, afterUse), 'this message was already used');
});

test('a phone key takes it only on a call this escalation placed, for this escalation', () => {
  assert.equal(refused({ via: 'phone', number: ON_CALL, callSid: 'CA1', escalation: incident.id }), 'taken');
  assert.equal(refused({ via: 'phone', number: ON_CALL, callSid: 'CA2', escalation: incident.id }), 'not a call this escalation placed');
  assert.equal(refused({ via: 'phone', number: ON_CALL, callSid: 'CA1', escalation: 'another' }), 'the call belongs to another escalation');
});

test('a card takes it only in the room, from this escalation\'s card, and never from the bot itself', () => {
  assert.equal(refused(card), 'taken');
  assert.equal(refused({ ...card, roomId: 'R2' }), "a card outside the bot's room");
  assert.equal(refused({ ...card, messageId: 'M2' }), 'not a card of this escalation');
  assert.equal(refused({ ...card, personId: 'B1' }), 'the bot itself clicked');
});

test('nothing takes an escalation that is over, but the status page and the button always answer', () => {
  const over = { ...state, incident: { ...incident, status: 'resolved' as const } };
  assert.equal(refused({ via: 'SMS', number: ON_CALL, messageSid: 'SM3' }, over), 'no escalation is under way');
  assert.equal(refused(card, over), 'no escalation is under way');
  assert.equal(refused({ via: 'status page', name: 'Ann' }, over), 'taken');
  assert.equal(refused({ via: 'button' }, over), 'taken');
});
