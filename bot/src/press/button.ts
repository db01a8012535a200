// One physical button: presses are run one at a time in arrival order, and a press that comes
// within the debounce window of the previous one is counted once.

import type { PressRecord } from '../core/state.ts';
import { withRecord } from '../core/state.ts';
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

  private announce(record: PressRecord): PressRecord {
    for (const listener of this.listeners) listener(record);
    return record;
  }
}
