// Commands people give the bot in its Webex room, by mentioning it: "@Bot status", "@Bot on it". Webex
// writes the mention into the message's text as the bot's name (or the part of it the person kept), so
// the name is taken off before the command is read.

import type { ButtonState } from './state.ts';

/** A message that mentions the bot in a room, as Webex shows it; never one of the bot's own. */
export interface CommandMessage {
  readonly messageId: string;
  readonly roomId: string;
  readonly person: { readonly id: string; readonly name: string };
  /** The text, the mention written as the bot's name. */
  readonly text: string;
  readonly bot: { readonly id: string; readonly name: string };
}

/** Each command and the words that give it, the first one shown in `help`. */
export const ROOM_COMMANDS = {
  status: ['status', 'where are we'],
  acknowledge: ['ack', 'on it', "i'm on it", 'im on it', 'acknowledge', 'take'],
  resolve: ['resolve', 'resolved', 'done'],
  reset: ['reset'],
  help: ['help', '?'],
} as const satisfies Readonly<Record<string, readonly [string, ...string[]]>>;

export type RoomCommand = keyof typeof ROOM_COMMANDS;

const COMMAND_BY_WORDS: ReadonlyMap<string, RoomCommand> = new Map(
  Object.entries(ROOM_COMMANDS).flatMap(([command, words]) => words.map((word) => [word, command as RoomCommand] as const)),
);

/** The command in a message's text, or what was written when it is none (answered with `help`). */
export function roomCommand(text: string, botName: string): { readonly command: RoomCommand } | { readonly unknown: string } {
  const words = withoutMention(text, botName).toLowerCase().replace(/[’`]/g, "'").replace(/[\s.!,:;]+$/g, '').replace(/^[\s,:;]+/, '').replace(/\s+/g, ' ');
  const command = COMMAND_BY_WORDS.get(words);
  return command === undefined ? { unknown: words } : { command };
}

/** What `help` answers: each command with the words that give it. */
export function helpText(botName: string): string {
  const first = botName.split(/\s+/)[0] ?? botName;
  return [
    `Mention me with one of these (e.g. "@${first} status"):`,
    '- **status**: the step reached, who took the escalation, what comes next and when',
    '- **ack** (or **on it**): you take the escalation; nobody else is called by itself',
    '- **resolve**: the escalation is over; the next press starts a new one',
    '- **reset**: the sequence starts again at step 1 (the room stays)',
    '- **help**: this list',
  ].join('\n');
}

/** The text without the bot's name at its start: the whole name, or its first word (a shortened mention). */
function withoutMention(text: string, botName: string): string {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  const first = botName.split(/\s+/)[0] ?? '';
  for (const name of [botName, first]) {
    if (name !== '' && lower.startsWith(name.toLowerCase())) return trimmed.slice(name.length);
  }
  return trimmed;
}

/** What `status` answers: the step reached, who took the escalation, and what comes next and when. */
export function statusText(state: ButtonState, steps: number, now: Date): string {
  const reached = state.nextStep - 1;
  const { incident } = state;
  if (incident === undefined || reached === 0) return `No escalation under way: the next press runs step 1 of ${steps}.`;
  const where = `Escalation ${incident.number}: step ${reached} of ${steps} has run.`;
  const who = incident.status === 'resolved' ? `Resolved by ${incident.resolved?.name ?? 'someone'}.`
    : incident.status === 'acknowledged' ? `Taken by ${incident.acknowledged?.name ?? 'someone'} (via ${incident.acknowledged?.via ?? 'unknown'}): nobody else is called by itself.`
    : 'Nobody has taken it yet.';
  const timer = incident.status === 'resolved' ? undefined : incident.timer;
  const next = reached >= steps ? 'Every step has run: the next press only posts a reminder.'
    : timer === undefined ? `Step ${reached + 1} runs on the next press.`
    : timer.kind === 'ack timeout' ? `Unless it is resolved, escalating starts again with step ${timer.step} in ${wait(timer.dueAt, now)}.`
    : `Step ${timer.step} runs by itself in ${wait(timer.dueAt, now)}, or on the next press.`;
  return `${where} ${who} ${next}`;
}

function wait(dueAt: string, now: Date): string {
  const seconds = Math.max(0, Math.round((Date.parse(dueAt) - now.getTime()) / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
