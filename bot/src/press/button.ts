// One physical button: presses are run one at a time in arrival order, and a press that comes
// within the debounce window of the previous one is counted once.

import type { PressRecord } from '../core/state.ts';
import { withRecord } from '../core/state.ts';
import { ApiError, type CallTrace } from '../http/transport.ts';
import { newPressId, runPress, type PressServices } from './run-press.ts';

export class Button {
  private readonly services: PressServices;
  private readonly debounceMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private lastArrival = Number.NEGATIVE_INFINITY;
  private readonly listeners = new Set<(record: PressRecord) => void>();

  constructor(services: PressServices) {
    this.services = services;
    this.debounceMs = services.settings.server.debounceMs;
  }

  /** Resolves with the record of this press once its step has run (or at once when debounced). */
  press(): Promise<PressRecord> {
    const arrival = performance.now();
    const id = newPressId();
    if (arrival - this.lastArrival < this.debounceMs) return this.debounced(id);
    this.lastArrival = arrival;
    const run = this.queue.then(() => runPress(this.services, id));
    this.queue = run.catch(() => undefined);
    return run.then((record) => this.announce(record));
  }

  /**
   * Starts the sequence again at step 1, in turn with the presses so it never races one; the history stays.
   * With `deleteRoom`, the room goes too, so the next press creates it again and invites everyone.
   */
  reset({ deleteRoom }: { deleteRoom: boolean }): Promise<ResetOutcome> {
    const run = this.queue.then(() => this.runReset(deleteRoom));
    this.queue = run.catch(() => undefined);
    return run;
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

  /** Resolves when every press accepted so far has finished: used at shutdown. */
  idle(): Promise<unknown> {
    return this.queue;
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
    const { store, webex, settings, log } = this.services;
    let roomDeleted = false;
    let error: string | undefined;
    if (deleteRoom) {
      const trace: CallTrace = { attempts: 0, wouldSend: [] };
      try {
        const room = store.current.room ?? await webex.findRoom(settings.webex.room, trace);
        if (room !== undefined) await webex.deleteRoom(room.id, trace);
        roomDeleted = room !== undefined;
      } catch (failure) {
        // A room Webex no longer knows is as good as deleted.
        roomDeleted = failure instanceof ApiError && failure.status === 404;
        if (!roomDeleted) error = `deleting the room "${settings.webex.room}" failed: ${failure instanceof Error ? failure.message : String(failure)}`;
      }
    }
    await store.update((state) => ({ ...state, nextStep: 1, pending: undefined, room: roomDeleted ? undefined : state.room }));
    log('reset', { room_deleted: deleteRoom ? roomDeleted : undefined, error });
    return { roomDeleted, ...(error === undefined ? {} : { error }) };
  }

  private announce(record: PressRecord): PressRecord {
    for (const listener of this.listeners) listener(record);
    return record;
  }
}

export interface ResetOutcome {
  /** The room was deleted (or was already gone), so the next press creates it again. */
  readonly roomDeleted: boolean;
  /** Why deleting the room failed; the sequence restarts at step 1 all the same. */
  readonly error?: string;
}
