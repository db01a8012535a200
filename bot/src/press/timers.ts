// The escalation's one timer: armed from the state (so it survives a restart), it hands the step to the
// press queue when it comes due. A timer that came due while the bot was down runs at start.

import type { StateStore } from '../state/store.ts';

/** setTimeout's longest wait; a later timer is re-armed when this one fires. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

export class StepTimers {
  private readonly store: StateStore;
  private readonly now: () => Date;
  private readonly onDue: () => void;
  private handle: NodeJS.Timeout | undefined;

  constructor(options: { store: StateStore; now: () => Date; onDue: () => void }) {
    this.store = options.store;
    this.now = options.now;
    this.onDue = options.onDue;
  }

  /** Arms the timer the state holds, or none: called after every change the queue makes, and at start. */
  sync(): void {
    this.stop();
    const incident = this.store.current.incident;
    const timer = incident?.status === 'resolved' ? undefined : incident?.timer;
    if (timer === undefined) return;
    const wait = Date.parse(timer.dueAt) - this.now().getTime();
    this.handle = setTimeout(() => (wait > LONGEST_WAIT_MS ? this.sync() : this.onDue()), Math.min(Math.max(0, wait), LONGEST_WAIT_MS));
    this.handle.unref();
  }

  stop(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
