// One physical button: presses run one at a time in arrival order. A press within the debounce window
// of the previous one counts once; while one press runs, at most one more waits, and any others are
// answered with the waiting one, as counted with it, so a backlog never bursts out later.

import { withRecord, type PressRecord } from '../core/state.ts';
import { ApiError, newCall } from '../http/transport.ts';
import { newPressId, runPress, type PressServices } from './run-press.ts';

export interface ButtonServices extends PressServices {
  /** The whole-press deadline: the button gets its answer within this time of pressing. */
  readonly pressTimeoutMs: number;
}

export class Button {
  private readonly services: ButtonServices;
  private readonly debounceMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = false;
  private waiting: { readonly run: Promise<PressRecord>; joined: number } | undefined;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private readonly listeners = new Set<(record: PressRecord) => void>();

  constructor(services: ButtonServices) {
    this.services = services;
    this.debounceMs = services.settings.server.debounceMs;
  }

  /** Resolves with the record of this press by its deadline (at once when debounced or counted with another). */
  press(): Promise<PressRecord> {
    const arrival = performance.now();
    const id = newPressId();
    if (arrival - this.lastArrival < this.debounceMs) return this.debounced(id);
    this.lastArrival = arrival;
    if (this.waiting !== undefined) {
      const waiting = this.waiting;
      waiting.joined += 1;
      this.services.log('press counted with the waiting one', { press: id });
      return waiting.run.then((record) => ({ ...record, coalesced: waiting.joined }));
    }
    const answerBy = Date.now() + this.services.pressTimeoutMs;
    const run = this.enqueue(() => runPress(this.services, id, answerBy), !this.busy);
    return run.then((record) => this.announce(record));
  }

  /**
   * Starts the sequence again at step 1, in turn with the presses so it never races one; the history stays.
   * With `deleteRoom`, the room goes too, so the next press creates it again and invites everyone.
   */
  reset({ deleteRoom }: { deleteRoom: boolean }): Promise<ResetOutcome> {
    return this.enqueue(() => this.runReset(deleteRoom), true);
  }

  /** True when Webex or Twilio calls are only recorded, not sent. */
  get dryRun(): boolean {
    return this.services.dryRun;
  }

  /** Called with every press record, for the status page. */
  onPress(listener: (record: PressRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every press accepted so far has answered: used at shutdown. */
  idle(): Promise<unknown> {
    return this.queue;
  }

  /** Runs `work` after what is queued; a press queued behind a running one is the one that waits. */
  private enqueue<T>(work: () => Promise<T>, runsNow: boolean): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.waiting?.run === run) this.waiting = undefined;
      this.busy = true;
      try {
        return await work();
      } finally {
        this.busy = false;
      }
    });
    if (!runsNow) this.waiting = { run: run as Promise<unknown> as Promise<PressRecord>, joined: 0 };
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async debounced(id: string): Promise<PressRecord> {
    const record: PressRecord = {
      id, at: this.services.now().toISOString(), step: undefined, kind: 'debounced', ok: true,
      dryRun: this.services.dryRun, durationMs: 0, actions: [],
    };
    this.services.log('press debounced', { press: id, window_ms: this.debounceMs });
    await this.services.store.update((state) => withRecord(state, record));
    return this.announce(record);
  }

  private async runReset(deleteRoom: boolean): Promise<ResetOutcome> {
    const { store, settings, log, rooms } = this.services;
    let deleted: ResetOutcome['deleted'] = 'kept';
    let error: string | undefined;
    if (deleteRoom) {
      const call = newCall(this.services.signal);
      try {
        deleted = await rooms.delete(call);
      } catch (failure) {
        // A room Webex no longer knows is as good as deleted.
        if (failure instanceof ApiError && failure.status === 404) deleted = 'not found';
        else error = `deleting the room "${settings.webex.room}" failed: ${failure instanceof Error ? failure.message : String(failure)}`;
      }
    }
    const roomGone = deleted !== 'kept';
    await store.update((state) => ({ ...state, nextStep: 1, room: roomGone ? undefined : state.room }));
    log('reset', { room: deleteRoom ? deleted : undefined, error });
    return { roomDeleted: roomGone, deleted, ...(error === undefined ? {} : { error }) };
  }

  private announce(record: PressRecord): PressRecord {
    for (const listener of this.listeners) listener(record);
    return record;
  }
}

export interface ResetOutcome {
  /** The room is gone for the bot (deleted, or it was already), so the next press takes one again and invites everyone. */
  readonly roomDeleted: boolean;
  /** What Webex did: deleted for everyone, or only the bot left (a moderated room it does not moderate). */
  readonly deleted: 'for everyone' | 'bot removed' | 'not found' | 'kept';
  /** Why deleting the room failed; the sequence restarts at step 1 all the same. */
  readonly error?: string;
}
