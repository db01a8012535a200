// The escalation's one timer: armed from the state (so it survives a restart), it hands the step to the
// press queue when it comes due. A timer that came due while the bot was down runs at start. Within one run
// the wait is elapsed time, taken once from the due time when the timer is first armed: a jump of the
// system clock (NTP, a suspended VM) neither delays nor hastens the next step.

import type { StepTimer } from '../core/state.ts';
import type { ButtonStore } from '../state/button-store.ts';

/** setTimeout's longest wait; a later timer is re-armed when this one fires. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

export interface TimerOptions {
  readonly store: ButtonStore;
  /** The wall clock: read only when a timer is first armed, to know how far away its due time is. */
  readonly now: () => Date;
  /** A clock that only moves forward (ms); performance.now() by default. */
  readonly elapsed?: () => number;
  /** `lateByMs`: how long after its due time it fires (the bot was down, or busy). */
  readonly onDue: (timer: StepTimer, lateByMs: number) => void;
}

export class StepTimers {
  private readonly options: TimerOptions;
  private readonly elapsed: () => number;
  private handle: NodeJS.Timeout | undefined;
  /** The timer the state holds, with its deadline on the elapsed clock. */
  private armed: { readonly key: string; readonly deadline: number } | undefined;

  constructor(options: TimerOptions) {
    this.options = options;
    this.elapsed = options.elapsed ?? (() => performance.now());
  }

  /** Arms the timer the state holds, or none: called after every change the queue makes, and at start. */
  sync(): void {
    this.stop();
    const incident = this.options.store.current.incident;
    const timer = incident?.status === 'resolved' ? undefined : incident?.timer;
    if (timer === undefined) {
      this.armed = undefined;
      return;
    }
    const key = `${timer.kind ?? 'step'} ${timer.step} ${timer.dueAt}`;
    if (this.armed?.key !== key) this.armed = { key, deadline: this.elapsed() + Date.parse(timer.dueAt) - this.options.now().getTime() };
    const { deadline } = this.armed;
    const wait = deadline - this.elapsed();
    this.handle = setTimeout(
      () => (wait > LONGEST_WAIT_MS ? this.sync() : this.options.onDue(timer, Math.max(0, this.elapsed() - deadline))),
      Math.min(Math.max(0, wait), LONGEST_WAIT_MS),
    );
    this.handle.unref();
  }

  stop(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
