// The outbox: every action of a press is journaled before anything is sent, and stays until it is
// delivered, fails for good, or is given up after `deliver_within`. These pure functions decide how an
// entry moves; press/outbox.ts carries the entries out and press/deliver.ts makes each attempt.

import { madeFor } from './claims.ts';
import { contactMade } from './contacts.ts';
import { duration } from './incident.ts';
import { describeAction, recordLine, type Action, type TwilioAction } from './plan.ts';
import { SENT_LIMIT, withRecord, type ActionOutcome, type ButtonState, type Incident, type SharedState, type OutboxEntry, type PressRecord, type RoomState } from './state.ts';
import type { DescribedRequest } from '../http/transport.ts';

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 60_000;

export function journalEntries(actions: readonly Action[], pressId: string, pressNumber: number, now: Date): OutboxEntry[] {
  return actions.map((action) => ({
    pressId, pressNumber, action, journaledAt: now.toISOString(), settled: undefined, attempts: 0, uncertain: false,
    nextAttemptAt: undefined, lastError: undefined, providerId: undefined, settledAt: undefined, late: false,
  }));
}

export function entryKey(entry: Pick<OutboxEntry, 'pressId' | 'action'>): string {
  return `${entry.pressId}/${entry.action.id}`;
}

export function findEntry(state: ButtonState, key: string): OutboxEntry | undefined {
  return state.outbox.find((entry) => entryKey(entry) === key);
}

/** What one attempt came to. */
export type AttemptResult =
  | { readonly kind: 'delivered'; readonly tries: number; readonly providerId: string | undefined; readonly wouldSend: readonly DescribedRequest[] }
  | {
    readonly kind: 'failed';
    readonly tries: number;
    readonly error: string;
    /** Worth another attempt later (throttled, unavailable, no answer); else final. */
    readonly transient: boolean;
    /** The request may have reached the provider. */
    readonly uncertain: boolean;
    readonly retryAfterMs: number | undefined;
  };

export interface Timing {
  readonly now: Date;
  readonly deliverWithinMs: number;
  /** In [0, 1): spreads retries so a recovering API is not hit by every entry at once. */
  readonly jitter: number;
}

/** The entry after an attempt: settled, or scheduled again (Retry-After honoured, else backoff with jitter). */
export function afterAttempt(entry: OutboxEntry, result: AttemptResult, timing: Timing): OutboxEntry {
  const attempts = entry.attempts + result.tries;
  const at = timing.now.toISOString();
  if (result.kind === 'delivered') {
    return {
      ...entry, attempts, settled: 'delivered', settledAt: at, providerId: result.providerId, nextAttemptAt: undefined, uncertain: false,
      ...(result.wouldSend.length > 0 ? { wouldSend: result.wouldSend } : {}),
    };
  }
  const uncertain = entry.uncertain || result.uncertain;
  if (!result.transient) return { ...entry, attempts, uncertain, settled: 'failed', settledAt: at, lastError: result.error, nextAttemptAt: undefined };
  const failures = (entry.failures ?? 0) + 1;
  const backoff = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 16)) * (0.75 + timing.jitter / 2);
  const next = timing.now.getTime() + Math.max(result.retryAfterMs ?? 0, backoff);
  if (next > Date.parse(entry.journaledAt) + timing.deliverWithinMs) {
    return { ...entry, attempts, uncertain, settled: 'given up', settledAt: at, lastError: result.error, nextAttemptAt: undefined };
  }
  return { ...entry, attempts, failures, uncertain, lastError: result.error, nextAttemptAt: new Date(next).toISOString() };
}

/** Replaces one entry; a delivered call or card joins its escalation. */
export function withEntry(state: ButtonState, entry: OutboxEntry): ButtonState {
  const key = entryKey(entry);
  return { ...state, incident: withMade(state.incident, entry), outbox: state.outbox.map((existing) => (entryKey(existing) === key ? entry : existing)) };
}

/** A delivered entry's provider id joins the ids no check with Twilio may take again. */
export function withSent(shared: SharedState, entry: OutboxEntry): SharedState {
  if (entry.settled !== 'delivered' || entry.providerId === undefined || shared.sent.includes(entry.providerId)) return shared;
  return { ...shared, sent: [entry.providerId, ...shared.sent].slice(0, SENT_LIMIT) };
}

function withMade(incident: Incident | undefined, entry: OutboxEntry): Incident | undefined {
  const { action, providerId } = entry;
  if (incident === undefined || entry.settled !== 'delivered' || providerId === undefined || entry.wouldSend !== undefined) return incident;
  if ((action.kind === 'call' || action.kind === 'sms') && action.incident === incident.id) {
    const made = contactMade(incident, { sid: providerId, kind: action.kind, to: action.to });
    return action.kind === 'call' ? madeFor(made, { kind: 'call', providerId }) : made;
  }
  if (action.kind === 'card' && action.view.escalation === incident.id) return madeFor(incident, { kind: 'card', providerId });
  return incident;
}

/** `press`: the entries of its press, so a record line is named by what it says. */
export function outcomeOf(entry: OutboxEntry, press: readonly OutboxEntry[] = []): ActionOutcome {
  const base = { id: entry.action.id, kind: entry.action.kind, summary: summaryOf(entry, press), attempts: entry.attempts };
  const wouldSend = entry.wouldSend === undefined ? {} : { wouldSend: entry.wouldSend };
  switch (entry.settled) {
    case 'delivered':
      return { ...base, ...wouldSend, status: entry.wouldSend !== undefined ? 'dry-run' : entry.late ? 'delivered late' : 'delivered' };
    case 'failed': case 'given up':
      return { ...base, ...wouldSend, status: entry.settled, error: entry.lastError ?? entry.settled };
    case undefined:
      return { ...base, status: 'pending', ...(entry.lastError === undefined ? {} : { error: `still being tried: ${entry.lastError}` }) };
  }
}

function summaryOf(entry: OutboxEntry, press: readonly OutboxEntry[]): string {
  const action = entry.action;
  if (action.kind !== 'record') return describeAction(action);
  const source = press.find((other) => other.action.id === action.source.id);
  if (source?.settled === undefined) return describeAction(action);
  return `record "${recordLineOf(action.source, source)}" in the room`;
}

/** The line a record posts for its SMS or call, once that has settled. */
export function recordLineOf(action: TwilioAction, source: OutboxEntry): string {
  const why = source.lastError ?? 'not sent';
  const failed = source.settled === 'given up' ? `given up after retrying for ${duration(Date.parse(source.settledAt ?? source.journaledAt) - Date.parse(source.journaledAt))}: ${why}`
    : source.settled !== 'delivered' ? why : undefined;
  const late = source.late && source.settledAt !== undefined ? lateness(source, new Date(source.settledAt)) : undefined;
  return recordLine(action, failed, late);
}

/** The press's record from its entries as they stand. */
export function pressRecord(base: Omit<PressRecord, 'ok' | 'actions'>, entries: readonly OutboxEntry[], extra: readonly ActionOutcome[] = []): PressRecord {
  const actions = [...extra, ...entries.map((entry) => outcomeOf(entry, entries))];
  return { ...base, ok: actions.every((action) => action.status !== 'failed' && action.status !== 'given up'), actions };
}

export function entriesOf(state: ButtonState, pressId: string): OutboxEntry[] {
  return state.outbox.filter((entry) => entry.pressId === pressId);
}

/**
 * Once every entry of a press has settled, its outcomes are final in the history and the entries leave the
 * outbox. The people count as invited once their invitations settled.
 */
export function foldSettledPress(state: ButtonState, pressId: string): ButtonState {
  const entries = entriesOf(state, pressId);
  if (entries.length === 0 || entries.some((entry) => entry.settled === undefined)) return state;
  const record = state.history.find((entry) => entry.id === pressId);
  const invited = entries.some((entry) => entry.action.kind === 'member');
  const folded: ButtonState = {
    ...state,
    outbox: state.outbox.filter((entry) => entry.pressId !== pressId),
    room: invited && state.room !== undefined ? { ...state.room, membersAdded: true } : state.room,
  };
  if (record === undefined) return folded;
  const kept = record.actions.filter((action) => action.kind === 'room').map((action) => roomOutcomeNow(action, folded.room, true));
  return withRecord(folded, pressRecord(record, entries, kept));
}

/**
 * The press's own search for the room, as it stands now: an action may have found the room since (before
 * the answer, or late); once the press has settled without one, it never will.
 */
export function roomOutcomeNow(outcome: ActionOutcome, room: RoomState | undefined, pressSettled: boolean): ActionOutcome {
  if (outcome.status !== 'pending') return outcome;
  if (room === undefined) return pressSettled ? { ...outcome, status: 'failed' } : outcome;
  const { error: _stillTrying, ...found } = outcome;
  return { ...found, status: pressSettled ? 'delivered late' : 'delivered' };
}

/** For the room and the status page: how late a delivery is, in words. */
export function lateness(entry: OutboxEntry, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(entry.journaledAt)) / 1000));
  const amount = seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return `late: ${amount} after press ${entry.pressNumber}`;
}
