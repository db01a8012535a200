// Reads a state file written by this bot or an older one: checks every field the bot relies on and fills
// defaults for what an older version did not write. A file of another shape is refused with the reason.

import { randomBytes } from 'node:crypto';
import type { CardView } from '../core/card.ts';
import type { Action } from '../core/plan.ts';
import {
  CHANNELS, INCIDENT_STATUSES, INITIAL_STATE, RECORD_KINDS, STATE_VERSION, type Acknowledgement, type ButtonState, type Channel, type Contact, type Incident,
  type OutboxEntry, type PressRecord, type RoomState, type SharedState, type StoredState,
} from '../core/state.ts';
import { LEGACY_BUTTON } from '../settings/types.ts';

type Parsed = { readonly state: StoredState; readonly problem?: undefined } | { readonly state?: undefined; readonly problem: string };
type Json = Record<string, unknown>;

class Refused extends Error {}

export function parseState(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  return stateFromJson(value);
}

/** The state from the file's JSON, once parsed (and its journal replayed onto it). */
export function stateFromJson(value: unknown): Parsed {
  try {
    return { state: stateOf(object(value, 'the state')) };
  } catch (error) {
    if (error instanceof Refused) return { problem: error.message };
    throw error;
  }
}

/** Today's file (by button), or an older one: the state of settings.yaml's own button, with the bot's facts beside it. */
function stateOf(json: Json): StoredState {
  const version = json.version ?? 1;
  if (version !== 1 && version !== 2 && version !== STATE_VERSION) throw new Refused(`version ${String(version)}, written by a newer bot`);
  if (version !== STATE_VERSION) return { version: STATE_VERSION, shared: sharedOf(json), buttons: { [LEGACY_BUTTON]: buttonOf(json, '') } };
  const buttons = object(json.buttons ?? {}, 'buttons');
  return {
    version: STATE_VERSION,
    shared: sharedOf(object(json.shared ?? {}, 'shared')),
    buttons: Object.fromEntries(Object.entries(buttons).map(([name, value]) => [name, buttonOf(object(value, `buttons.${name}`), `buttons.${name}.`)])),
  };
}

function sharedOf(json: Json): SharedState {
  return {
    sent: list(json.sent, 'sent').map((v) => string(v, 'sent')),
    webhookSecret: optional(json.webhookSecret, (v) => string(v, 'webhookSecret')),
  };
}

/** `where` prefixes the fields named in a refusal: `buttons.lobby.nextStep`. */
function buttonOf(json: Json, where: string): ButtonState {
  const nextStep = json.nextStep;
  if (!Number.isInteger(nextStep) || (nextStep as number) < 1) throw new Refused(`${where}nextStep is not a step number`);
  const pressCount = json.pressCount;
  if (!Number.isInteger(pressCount) || (pressCount as number) < 0) throw new Refused(`${where}pressCount is not a count`);
  return {
    ...INITIAL_STATE,
    nextStep: nextStep as number,
    pressCount: pressCount as number,
    lastPressAt: optional(json.lastPressAt, (v) => isoDate(v, 'lastPressAt')),
    room: optional(json.room, room),
    // Version 1 kept an interrupted step as `pending`, without what each action was: it cannot be resumed safely.
    outbox: list(json.outbox, 'outbox').map(entry),
    history: list(json.history, 'history').map(record),
    incident: optional(json.incident, incident),
    incidentCount: Number.isInteger(json.incidentCount) ? json.incidentCount as number : 0,
    lastHeard: optional(json.lastHeard, (v) => {
      const heard = object(v, 'lastHeard');
      return { at: isoDate(heard.at, 'lastHeard.at'), type: optional(heard.type, (t) => string(t, 'lastHeard.type')) };
    }),
    handledEvents: list(json.handledEvents, 'handledEvents').map((v) => {
      const event = object(v, 'handledEvents');
      return { eid: string(event.eid, 'handledEvents.eid'), handledBy: string(event.handledBy, 'handledEvents.handledBy') };
    }),
  };
}

const STATUSES: ReadonlySet<string> = new Set(INCIDENT_STATUSES);
const CHANNEL_NAMES: ReadonlySet<string> = new Set(CHANNELS);

function incident(value: unknown): Incident {
  const json = object(value, 'incident');
  if (!Number.isInteger(json.number) || !STATUSES.has(json.status as string)) throw new Refused('an incident without its number or status');
  const who = (v: unknown): Acknowledgement => {
    const w = object(v, 'incident.acknowledged');
    if (!CHANNEL_NAMES.has(w.via as string)) throw new Refused('an acknowledgement through an unknown channel');
    return { name: string(w.name, 'acknowledgement.name'), via: w.via as Channel, at: isoDate(w.at, 'acknowledgement.at') };
  };
  const strings = (key: string) => list(json[key] ?? [], `incident.${key}`).map((v) => string(v, `incident.${key}`));
  return {
    // A file of an older bot has no id: a fresh one, so that its cards and calls (which named the number) take nothing.
    id: typeof json.id === 'string' && json.id !== '' ? json.id : randomBytes(16).toString('base64url'),
    number: json.number as number,
    startedAt: isoDate(json.startedAt, 'incident.startedAt'),
    status: json.status as Incident['status'],
    acknowledged: optional(json.acknowledged, who),
    resolved: optional(json.resolved, who),
    timer: optional(json.timer, (v) => {
      const t = object(v, 'incident.timer');
      if (!Number.isInteger(t.step)) throw new Refused('a timer without its step');
      return { step: t.step as number, dueAt: isoDate(t.dueAt, 'incident.timer.dueAt'), ...(t.kind === 'ack timeout' ? { kind: 'ack timeout' as const } : {}) };
    }),
    reached: strings('reached'),
    calls: strings('calls'),
    cards: strings('cards'),
    messageSids: strings('messageSids'),
    contacts: list(json.contacts, 'incident.contacts').map(contact),
  };
}

function contact(value: unknown): Contact {
  const json = object(value, 'incident.contacts');
  if (json.kind !== 'sms' && json.kind !== 'call') throw new Refused('a contact that is neither an SMS nor a call');
  return {
    sid: string(json.sid, 'contact.sid'), kind: json.kind, to: string(json.to, 'contact.to'), status: string(json.status, 'contact.status'),
    ...(typeof json.answeredBy === 'string' ? { answeredBy: json.answeredBy } : {}),
    ...(typeof json.errorCode === 'string' ? { errorCode: json.errorCode } : {}),
  };
}

function room(value: unknown): RoomState {
  const json = object(value, 'room');
  return { id: string(json.id, 'room.id'), title: string(json.title, 'room.title'), membersAdded: json.membersAdded === true };
}

const SETTLEMENTS = new Set(['delivered', 'failed', 'given up']);

function entry(value: unknown): OutboxEntry {
  const json = object(value, 'an outbox entry');
  const settled = json.settled;
  if (settled !== undefined && !SETTLEMENTS.has(settled as string)) throw new Refused('an outbox entry with an unknown settlement');
  if (!Number.isInteger(json.attempts) || !Number.isInteger(json.pressNumber)) throw new Refused('an outbox entry without counts');
  return {
    pressId: string(json.pressId, 'outbox.pressId'),
    pressNumber: json.pressNumber as number,
    action: action(json.action),
    journaledAt: isoDate(json.journaledAt, 'outbox.journaledAt'),
    settled: settled as OutboxEntry['settled'],
    attempts: json.attempts as number,
    ...(Number.isInteger(json.failures) ? { failures: json.failures as number } : {}),
    uncertain: json.uncertain === true,
    nextAttemptAt: optional(json.nextAttemptAt, (v) => isoDate(v, 'outbox.nextAttemptAt')),
    lastError: optional(json.lastError, (v) => string(v, 'outbox.lastError')),
    providerId: optional(json.providerId, (v) => string(v, 'outbox.providerId')),
    settledAt: optional(json.settledAt, (v) => isoDate(v, 'outbox.settledAt')),
    late: json.late === true,
  };
}

/** The action as journaled: the fields its kind needs, each checked. */
function action(value: unknown): Action {
  const json = object(value, 'an action');
  const id = string(json.id, 'action.id');
  const text = (key: string) => string(json[key], `action.${key}`);
  switch (json.kind) {
    case 'member': return { id, kind: 'member', email: text('email'), moderator: json.moderator === true };
    case 'notice': return { id, kind: 'notice', text: text('text'), ...(json.parentId === undefined ? {} : { parentId: text('parentId') }) };
    case 'card': {
      const view = object(json.view, 'action.view');
      if (!Number.isInteger(view.incident) || !Number.isInteger(view.step) || !Number.isInteger(view.steps) || !STATUSES.has(view.state as string)) {
        throw new Refused('a card without its escalation');
      }
      // An older bot's card has no escalation id: its buttons match none.
      return { id, kind: 'card', view: { ...(view as unknown as CardView), escalation: typeof view.escalation === 'string' ? view.escalation : '' } };
    }
    case 'sms': return {
      id, kind: 'sms', from: text('from'), to: text('to'), body: text('body'), ...(typeof json.incident === 'string' ? { incident: json.incident } : {}),
    };
    case 'call': return {
      id, kind: 'call', from: text('from'), to: text('to'), say: text('say'), voice: optional(json.voice, (v) => string(v, 'action.voice')),
      // An older bot named the escalation by its number: such a call's "1" takes nothing.
      ...(typeof json.incident === 'string' ? { incident: json.incident } : {}),
    };
    case 'record': {
      const source = action(json.source);
      if (source.kind !== 'sms' && source.kind !== 'call') throw new Refused('a record of something other than an SMS or a call');
      return { id, kind: 'record', source };
    }
    case 'message': {
      const message = optional(json.message, (v) => {
        const m = object(v, 'action.message');
        if (m.format !== 'markdown' && m.format !== 'text') throw new Refused('a message of unknown format');
        return { format: m.format, body: string(m.body, 'action.message.body') } as const;
      });
      const file = optional(json.file, (v) => {
        const f = object(v, 'action.file');
        const bytes = f.bytes;
        if (!Number.isInteger(bytes)) throw new Refused('a file without its size');
        return {
          path: string(f.path, 'file.path'), relativePath: string(f.relativePath, 'file.relativePath'), name: string(f.name, 'file.name'),
          contentType: string(f.contentType, 'file.contentType'), label: optional(f.label, (l) => string(l, 'file.label')), bytes: bytes as number,
        };
      });
      return { id, kind: 'message', message, file };
    }
    default: throw new Refused(`an action of unknown kind ${JSON.stringify(json.kind)}`);
  }
}

const KINDS: ReadonlySet<string> = new Set(RECORD_KINDS);

/** History records are shown, never acted on: their outcomes are kept as written, their frame checked. */
function record(value: unknown): PressRecord {
  const json = object(value, 'a history record');
  if (!KINDS.has(json.kind as string) || !Array.isArray(json.actions)) throw new Refused('a history record of another shape');
  string(json.id, 'history.id');
  isoDate(json.at, 'history.at');
  return json as unknown as PressRecord;
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Refused(`${what} is not an object`);
  return value as Json;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Refused(`${what} is not text`);
  return value;
}

function isoDate(value: unknown, what: string): string {
  const text = string(value, what);
  if (Number.isNaN(Date.parse(text))) throw new Refused(`${what} is not a date`);
  return text;
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Refused(`${what} is not a list`);
  return value;
}

function optional<T>(value: unknown, parse: (value: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : parse(value);
}
