// Carries out one press (or timer step, or acknowledgement): plans it, journals every action in the
// outbox before anything is sent, starts the outbox's workers, and answers by the deadline with the
// truth: what was delivered, what failed, and what is still being tried (which the outbox goes on
// delivering after the answer).

import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterStep, cardView, incidentSummary } from '../core/incident.ts';
import { entriesOf, entryKey, journalEntries, pressRecord, roomOutcomeNow } from '../core/outbox.ts';
import { planPress, type Action, type Trigger } from '../core/plan.ts';
import { withRecord, type ActionOutcome, type ButtonState, type OutboxEntry, type PressRecord } from '../core/state.ts';
import { isTransient, newCall } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { Settings } from '../settings/types.ts';
import type { ButtonStore } from '../state/button-store.ts';
import type { Outbox } from './outbox.ts';
import type { RoomKeeper } from './rooms.ts';

export interface PressServices {
  readonly settings: Settings;
  readonly store: ButtonStore;
  readonly rooms: RoomKeeper;
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly dryRun: boolean;
  readonly now: () => Date;
  /** Aborted at shutdown. */
  readonly signal: AbortSignal;
  /** The bot has a public URL, so a card's buttons reach it back: each escalation gets its card. */
  readonly cards: boolean;
}

export function newPressId(): string {
  return randomUUID().slice(0, 8);
}

/** An escalation's id: 128 random bits, so no card, call or message of another escalation names it. */
export function newEscalationId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * `answerBy`: when the button must have its answer (ms since the epoch), counted from the press's arrival.
 * `also`: what else the journal write changes (the button's event, say), so it is on disk with the step.
 */
export async function runPress(
  services: PressServices, pressId: string, answerBy: number, trigger: Trigger = { kind: 'press' }, also: (state: ButtonState) => ButtonState = (state) => state,
): Promise<PressRecord> {
  const { store, log, settings } = services;
  const at = services.now();
  const plan = planPress(settings, store.current, at, trigger);
  const pressed = trigger.kind === 'press';
  const escalationId = newEscalationId();
  const incident = plan.step === undefined ? store.current.incident : afterStep(settings, store.current, plan.step, at, escalationId).incident;
  // An SMS or a call names its escalation, so that a 1 pressed on the phone (and Twilio's status callbacks) go to that one.
  const named = plan.actions.map((action) => ((action.kind === 'call' || action.kind === 'sms') && incident !== undefined ? { ...action, incident: incident.id } : action));
  // Step 1 opens an escalation: its card comes with it, telling when the next step comes by itself.
  const actions = plan.step === 1 && services.cards && incident !== undefined
    ? [...named, { id: 'card', kind: 'card' as const, view: cardView(settings, incident, 1) }] : named;
  log(pressed ? 'press' : 'timer', { press: pressId, number: plan.pressNumber, step: plan.step ?? 'after last', restarted: plan.restarted || undefined });
  return carryOut(services, {
    id: pressId, at, step: plan.step, kind: plan.step === undefined ? 'after last step' : 'step', trigger: trigger.kind,
    pressNumber: plan.pressNumber, actions,
    change: (state) => ({
      ...also(state),
      nextStep: plan.step === undefined ? state.nextStep : plan.step + 1,
      // A timer is not a press: it is not counted and does not reset the idle clock.
      pressCount: plan.pressNumber,
      lastPressAt: pressed ? at.toISOString() : state.lastPressAt,
      ...(plan.step === undefined ? {} : afterStep(settings, state, plan.step, at, escalationId)),
    }),
  }, answerBy);
}

export interface Work {
  readonly id: string;
  readonly at: Date;
  readonly step: number | undefined;
  readonly kind: PressRecord['kind'];
  readonly trigger?: PressRecord['trigger'];
  readonly pressNumber: number;
  readonly actions: readonly Action[];
  /** What the journal changes besides adding the actions to the outbox, in the same write. */
  readonly change: (state: ButtonState) => ButtonState;
}

/**
 * The journal: the change and every action of the work are written before anything is sent (the change is
 * applied at once, in memory, to the state as it is). Work whose journal cannot be written sends nothing and
 * changes nothing: this throws. The caller starts the outbox's workers.
 */
export async function journal(services: Pick<PressServices, 'store' | 'dryRun'>, work: Work): Promise<{ entries: OutboxEntry[]; base: Omit<PressRecord, 'ok' | 'actions'> }> {
  const entries = journalEntries(work.actions, work.id, work.pressNumber, work.at);
  const base = {
    id: work.id, at: work.at.toISOString(), step: work.step, kind: work.kind, dryRun: services.dryRun, durationMs: 0,
    ...(work.trigger === undefined ? {} : { trigger: work.trigger }),
  };
  await services.store.update((state) => withRecord({ ...work.change(state), outbox: [...state.outbox, ...entries] }, pressRecord(base, entries)), 'process-crash');
  return { entries, base };
}

/** Journals the work with its actions, works them, and answers by `answerBy` with its record. */
export async function carryOut(services: PressServices, work: Work, answerBy: number): Promise<PressRecord> {
  const { store, log, outbox } = services;
  const started = performance.now();
  const { entries, base } = await journal(services, work);

  const room = store.current.room === undefined && entries.some((entry) => entry.action.kind !== 'sms' && entry.action.kind !== 'call')
    ? takeRoom(services) : undefined;
  // An SMS or a call first: its record line waits for its answer, so it is the press's longest path; a worker
  // prepares its request before the next one starts, and a message with a file takes a while to prepare.
  for (const entry of [...entries].sort((a, b) => Number(waitedFor(b)) - Number(waitedFor(a)))) void outbox.work(entryKey(entry));
  const deadline = sleep(Math.max(0, answerBy - Date.now()), undefined, { ref: false }).then(() => 'deadline' as const);
  await Promise.race([Promise.all(entries.map((entry) => outbox.answered(entryKey(entry), answerBy))), deadline]);
  await outbox.answeredPress(work.id);

  const roomOutcome = room === undefined ? [] : [roomOutcomeNow(await Promise.race([room, deadline.then(() => pendingRoom(services.settings))]), store.current.room, false)];
  const open = entriesOf(store.current, work.id);
  const settledRecord = store.current.history.find((record) => record.id === work.id);
  const summary = incidentSummary(store.current.incident);
  const timing = { ...base, durationMs: Math.round(performance.now() - started), ...(summary === undefined ? {} : { incident: summary }) };
  const record = open.length > 0 || settledRecord === undefined
    ? pressRecord(timing, open, roomOutcome)
    : { ...settledRecord, ...timing, ok: settledRecord.ok && roomOutcome.every((outcome) => outcome.status !== 'failed'), actions: [...roomOutcome, ...settledRecord.actions.filter((action) => action.kind !== 'room')] };
  // Not awaited: every outcome is already in the journal; this write only adds the timing and the room's
  // line to the history, and its flush to the disk (which puts the press's earlier lines there too) runs
  // beside the answer, not in front of it.
  void store.update((state) => withRecord(state, record), 'power-loss').catch(() => undefined);
  log(`${work.kind === 'step' || work.kind === 'after last step' ? work.trigger ?? 'press' : work.kind} done`, {
    press: work.id, step: work.step, ok: record.ok, pending: open.length || undefined, ms: record.durationMs,
  });
  return record;
}

/** Looks for the room (or creates it) as the press's first visible action, shared with every action that needs it. */
async function takeRoom(services: PressServices): Promise<ActionOutcome> {
  const call = newCall(services.signal);
  const summary = `find or create the room "${services.settings.webex.room}"`;
  try {
    await services.rooms.get(call);
    return { id: 'room', kind: 'room', summary, status: call.wouldSend.length > 0 ? 'dry-run' : 'delivered', attempts: call.attempts, ...(call.wouldSend.length > 0 ? { wouldSend: call.wouldSend } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The actions that need the room go on looking for it; only a refusal no retry changes fails the press.
    return isTransient(error)
      ? { id: 'room', kind: 'room', summary, status: 'pending', attempts: call.attempts, error: `still being tried: ${message}` }
      : { id: 'room', kind: 'room', summary, status: 'failed', attempts: call.attempts, error: message };
  }
}

function waitedFor(entry: OutboxEntry): boolean {
  return entry.action.kind === 'sms' || entry.action.kind === 'call';
}

function pendingRoom(settings: Settings): ActionOutcome {
  return { id: 'room', kind: 'room', summary: `find or create the room "${settings.webex.room}"`, status: 'pending', attempts: 0 };
}
