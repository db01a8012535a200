import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, roomCommand } from '../src/core/room-command.ts';

test('a command is read after the mention, whole or shortened to the first name, in any case and with punctuation', () => {
  const rows: [string, string][] = [
    ['Escalation Bot status', 'status'],
    ['Escalation status', 'status'],
    ['escalation bot: on it!', 'acknowledge'],
    ['Escalation Bot I’m on it', 'acknowledge'],
    ['Escalation Bot ACK', 'acknowledge'],
    ['Escalation Bot resolve.', 'resolve'],
    ['Escalation Bot reset', 'reset'],
    ['Escalation Bot help', 'help'],
    ['status', 'status'],
  ];
  for (const [text, command] of rows) assert.deepEqual(roomCommand(text, 'Escalation Bot'), { command }, text);
});

test('anything else is no command, kept as written for the answer', () => {
  assert.deepEqual(roomCommand('Escalation Bot call everyone now', 'Escalation Bot'), { unknown: 'call everyone now' });
  assert.deepEqual(roomCommand('Escalation Bot', 'Escalation Bot'), { unknown: '' });
});

test('help names every command with an example mention', () => {
  const help = helpText('Escalation Bot');
  assert.match(help, /"@Escalation status"/);
  for (const word of ['status', 'ack', 'resolve', 'reset', 'help']) assert.match(help, new RegExp(`\\*\\*${word}\\*\\*`));
});
