// Carries out one press: plans it, journals every action in the outbox before anything is sent, starts
// the outbox's workers, and answers by the press deadline with the truth: what was delivered, what failed,
// and what is still being tried (which the outbox goes on delivering after the answer).

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { entriesOf, entryKey, journalEntries, pressRecord } from '../core/outbox.ts';
import { planPress } from '../core/plan.ts';
import { withRecord, type ActionOutcome, type PressRecord } from '../core/state.ts';
import { isTransient, newCall } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { Settings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import type { Outbox } from './outbox.ts';
import type { RoomKeeper } from './rooms.ts';

export interface PressServices {
  readonly settings: Settings;
  readonly store: StateStore;
  readonly rooms: RoomKeeper;
  readonly outbox: Outbox;
  readonly log: Logger;
  readonly dryRun: boolean;
  readonly now: () => Date;
  /** Aborted at shutdown. */
  readonly signal: AbortSignal;
}

export function newPressId(): string {
  return randomUUID().slice(0, 8);
}

/** `answerBy`: when the button must have its answer (ms since the epoch), counted from the press's arrival. */
export async function runPress(services: PressServices, pressId: string, answerBy: number): Promise<PressRecord> {
  const { store, log, settings, outbox } = services;
  const started = performance.now();
  const at = services.now();
  const plan = planPress(settings, store.current, at);
  log('press', { press: pressId, number: plan.pressNumber, step: plan.step ?? 'after last', restarted: plan.restarted || undefined });
  const entries = journalEntries(plan.actions, pressId, plan.pressNumber, at);
  const base = {
    id: pressId, at: at.toISOString(), step: plan.step, kind: plan.step === undefined ? 'after last step' as const : 'step' as const,
    dryRun: services.dryRun, durationMs: 0,
  };
  // The journal: the step is taken and every action is in the outbox before anything is sent. A press whose
  // journal cannot be written sends nothing and changes nothing: this throws.
  await store.update((state) => withRecord({
    ...state,
    nextStep: plan.step === undefined ? state.nextStep : plan.step + 1,
    pressCount: plan.pressNumber,
    lastPressAt: at.toISOString(),
    outbox: [...state.outbox, ...entries],
  }, pressRecord(base, entries)), 'process-crash');

  const room = store.current.room === undefined && entries.some((entry) => entry.action.kind !== 'sms' && entry.action.kind !== 'call')
    ? takeRoom(services) : undefined;
  for (const entry of entries) void outbox.work(entryKey(entry));
  const deadline = sleep(Math.max(0, answerBy - Date.now()), undefined, { ref: false }).then(() => 'deadline' as const);
  await Promise.race([Promise.all(entries.map((entry) => outbox.answered(entryKey(entry), answerBy))), deadline]);
  await outbox.answeredPress(pressId);

  const roomOutcome = room === undefined ? [] : [await Promise.race([room, deadline.then(() => pendingRoom(settings))])];
  const open = entriesOf(store.current, pressId);
  const settledRecord = store.current.history.find((record) => record.id === pressId);
  const timing = { ...base, durationMs: Math.round(performance.now() - started) };
  const record = open.length > 0 || settledRecord === undefined
    ? pressRecord(timing, open, roomOutcome)
    : { ...settledRecord, ...timing, ok: settledRecord.ok && roomOutcome.every((outcome) => outcome.status !== 'failed'), actions: [...roomOutcome, ...settledRecord.actions.filter((action) => action.kind !== 'room')] };
  await store.update((state) => withRecord(state, record), 'process-crash');
  // The answer need not wait for the disk: once the kernel has the record, only a power cut could lose it, and the flush follows at once.
  void store.flush().catch(() => undefined);
  log('press done', { press: pressId, step: plan.step ?? 'after last', ok: record.ok, pending: open.length || undefined, ms: record.durationMs });
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

function pendingRoom(settings: Settings): ActionOutcome {
  return { id: 'room', kind: 'room', summary: `find or create the room "${settings.webex.room}"`, status: 'pending', attempts: 0 };
}
