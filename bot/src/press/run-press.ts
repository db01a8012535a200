// Carries out one press: acquires the room when needed, runs the step's actions concurrently
// (room-bound ones wait for the room, SMS and calls start at once), journals each delivered
// action so a restart never repeats it, and returns the record that answers the button.

import { randomUUID } from 'node:crypto';
import { describeAction, memberActions, planPress, recordLine, type Action, type PressPlan } from '../core/plan.ts';
import { withRecord, type ActionKind, type ActionOutcome, type PressRecord, type RoomState } from '../core/state.ts';
import { ApiError, type CallTrace } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { Settings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import type { TwilioClient } from '../twilio/client.ts';
import type { WebexClient } from '../webex/client.ts';

export interface PressServices {
  readonly settings: Settings;
  readonly store: StateStore;
  readonly webex: WebexClient;
  readonly twilio: TwilioClient;
  readonly log: Logger;
  readonly dryRun: boolean;
  readonly now: () => Date;
}

export function newPressId(): string {
  return randomUUID().slice(0, 8);
}

export async function runPress(services: PressServices, pressId: string): Promise<PressRecord> {
  const { store, log, settings } = services;
  const started = performance.now();
  const at = services.now();
  const plan = planPress(settings, store.current, at);
  log('press', { press: pressId, number: plan.pressNumber, step: plan.step ?? 'after last', restarted: plan.restarted || undefined, resumed: plan.alreadyDone.length || undefined });
  // The journal of this press must be written before anything is sent; looking for the room may start at once.
  const journaled = store.update((state) => ({
    ...state,
    nextStep: plan.restarted ? 1 : state.nextStep,
    pressCount: plan.pressNumber,
    lastPressAt: at.toISOString(),
    pending: plan.step === undefined ? undefined : { pressId, step: plan.step, done: plan.alreadyDone.map((action) => action.id) },
  }), 'process-crash');
  journaled.catch(() => undefined); // its failure is reported by every action that waits for it

  const run = new PressRun(services, pressId, plan, journaled);
  const outcomes = await run.execute();
  await journaled; // a press whose journal could not be written sent nothing and changes nothing: this throws
  const record: PressRecord = {
    id: pressId,
    at: at.toISOString(),
    step: plan.step,
    kind: plan.step === undefined ? 'after last step' : 'step',
    ok: outcomes.every((outcome) => outcome.status !== 'failed'),
    dryRun: services.dryRun,
    durationMs: Math.round(performance.now() - started),
    actions: outcomes,
  };
  // Failures are final for this press: the escalation moves on, and the button and the room say what failed.
  await store.update((state) => withRecord({
    ...state,
    room: state.room === undefined ? undefined : { ...state.room, membersAdded: true },
    nextStep: plan.step === undefined ? state.nextStep : plan.step + 1,
    pending: undefined,
  }, record), 'process-crash');
  // The answer need not wait for the disk: once the kernel has the record, only a power cut could lose it,
  // and the flush follows at once.
  void store.flush();
  log('press done', { press: pressId, step: plan.step ?? 'after last', ok: record.ok, ms: record.durationMs });
  return record;
}

class PressRun {
  private readonly services: PressServices;
  private readonly pressId: string;
  private readonly plan: PressPlan;
  private room: Promise<RoomState> | undefined;
  private replacement: Promise<RoomState> | undefined;
  private readonly outcomes: ActionOutcome[] = [];
  /** The press's journal entry is on its way to the disk: nothing is sent before. */
  private readonly journaled: Promise<void>;

  constructor(services: PressServices, pressId: string, plan: PressPlan, journaled: Promise<void>) {
    this.journaled = journaled;
    this.services = services;
    this.pressId = pressId;
    this.plan = plan;
  }

  async execute(): Promise<ActionOutcome[]> {
    const known = this.services.store.current.room;
    if (known !== undefined) this.room = Promise.resolve(known);
    // Each action's error (or undefined), so a record line can wait for its SMS or call.
    const results = new Map<string, Promise<string | undefined>>();
    for (const action of this.plan.actions) results.set(action.id, this.perform(action, results));
    await Promise.all(results.values());
    // SMS and calls already have their record line; record lines failed to reach the room anyway.
    const reported = this.outcomes.filter((outcome) => outcome.status === 'failed' && !['sms', 'call', 'record'].includes(outcome.kind));
    // Without a room there is nowhere to report: the button's answer says it all.
    const room = await this.room?.catch(() => undefined);
    if (reported.length > 0 && room !== undefined) {
      const lines = reported.map((outcome) => `- ${outcome.summary}: ${outcome.error ?? 'failed'}`);
      await this.step('report', 'record', 'report the failures in the room', (trace) =>
        this.services.webex.postMessage(room.id, { format: 'markdown', body: `Press ${this.plan.pressNumber} did not fully work:\n${lines.join('\n')}` }, undefined, trace), false);
    }
    const done = this.plan.alreadyDone.map((action): ActionOutcome => ({
      id: action.id, kind: action.kind, summary: describeAction(action), status: 'done before restart', attempts: 0,
    }));
    return [...done, ...this.outcomes];
  }

  private async perform(action: Action, results: ReadonlyMap<string, Promise<string | undefined>>): Promise<string | undefined> {
    const { webex, twilio } = this.services;
    const summary = describeAction(action);
    switch (action.kind) {
      case 'member':
        return this.step(action.id, action.kind, summary, async (trace) => {
          const room = await this.roomFor();
          await webex.addMember(room.id, action.email, action.moderator, trace);
        });
      case 'message':
        return this.step(action.id, action.kind, summary, (trace) => this.inRoom((room) => webex.postMessage(room.id, action.message, action.file, trace)));
      case 'notice':
        return this.step(action.id, action.kind, summary, (trace) => this.inRoom((room) => webex.postMessage(room.id, { format: 'text', body: action.text }, undefined, trace)));
      case 'sms':
        return this.step(action.id, action.kind, summary, (trace) => twilio.sendSms(action.from, action.to, action.body, trace));
      case 'call':
        return this.step(action.id, action.kind, summary, (trace) => twilio.placeCall(action.from, action.to, action.say, action.voice, trace));
      case 'record': {
        // An SMS or call delivered before a restart is not in this run: it went out.
        const line = recordLine(action.source, await results.get(action.source.id));
        return this.step(action.id, action.kind, `record "${line}" in the room`, (trace) =>
          this.inRoom((room) => webex.postMessage(room.id, { format: 'text', body: line }, undefined, trace)));
      }
    }
  }

  /** Runs one API action, logs it, keeps its outcome; resolves with the error text when it failed. */
  private async step(id: string, kind: ActionKind, summary: string, work: (trace: CallTrace) => Promise<unknown>, journal = true): Promise<string | undefined> {
    const trace: CallTrace = { attempts: 0, wouldSend: [] };
    const started = performance.now();
    let error: string | undefined;
    try {
      if (kind !== 'room') await this.journaled;
      await work(trace);
      // Not awaited: the press's final write, which answers the button, carries it too; a crash before it
      // lands only means this action is sent again after a restart.
      if (journal) void this.services.store.update((state) => state.pending === undefined ? state : { ...state, pending: { ...state.pending, done: [...state.pending.done, id] } }, 'process-crash');
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    this.outcomes.push({
      id, kind, summary,
      status: error === undefined ? 'delivered' : 'failed',
      attempts: trace.attempts,
      ...(error === undefined ? {} : { error }),
      ...(trace.wouldSend.length > 0 ? { wouldSend: trace.wouldSend } : {}),
    });
    this.services.log('action', {
      press: this.pressId, action: summary, status: error !== undefined ? 'failed' : trace.wouldSend.length > 0 ? 'dry-run' : 'delivered',
      attempts: trace.attempts, ms: Math.round(performance.now() - started), error,
    });
    for (const request of trace.wouldSend) this.services.log('would send', { press: this.pressId, request: `${request.method} ${request.url}`, body: JSON.stringify(request.body) });
    return error;
  }

  /** Posts in the room; if Webex says the room is gone, takes a room again (once per press) and retries. */
  private async inRoom(post: (room: RoomState) => Promise<void>): Promise<void> {
    const room = await this.roomFor();
    try {
      await post(room);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      await post(await this.replaceRoom());
    }
  }

  /** The room, taken at most once per press. */
  private roomFor(): Promise<RoomState> {
    this.room ??= this.acquireRoom();
    return this.room;
  }

  /** The room was deleted in Webex: take one again and invite its people back. Concurrent callers share it. */
  private replaceRoom(): Promise<RoomState> {
    this.replacement ??= (async () => {
      const room = this.acquireRoom();
      this.room = room;
      await room;
      const planned = new Set(this.plan.actions.map((action) => action.id));
      await Promise.all(memberActions(this.services.settings).filter((action) => !planned.has(action.id)).map((action) => this.perform(action, new Map())));
      return room;
    })();
    return this.replacement;
  }

  private async acquireRoom(): Promise<RoomState> {
    const { webex, store, settings } = this.services;
    const title = settings.webex.room;
    let room: RoomState | undefined;
    const error = await this.step('room', 'room', `find or create the room "${title}"`, async (trace) => {
      // Looking first also covers a room id left over from a dry-run or a room deleted by hand.
      let found = await webex.findRoom(title, trace);
      if (found === undefined) {
        await this.journaled;
        found = await webex.createRoom(title, trace);
      }
      room = { id: found.id, title, membersAdded: false };
      // Not awaited: the press's later writes include it, and a room lost in a crash is found again by title.
      void store.update((state) => ({ ...state, room }), 'process-crash');
    }, false);
    if (room === undefined) throw new Error(`no room: ${error}`);
    return room;
  }
}
