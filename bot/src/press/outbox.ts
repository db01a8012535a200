// Carries the outbox out: one worker per entry, which attempts, waits as the entry says (Retry-After,
// backoff) and writes each result before anything that depends on it goes ahead. Presses start the
// workers for their entries; at start, the bot resumes every entry a restart interrupted.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAttempt, entriesOf, entryKey, findEntry, foldSettledPress, journalEntries, lateness, withEntry, withSent, type AttemptResult } from '../core/outbox.ts';
import { describeAction } from '../core/plan.ts';
import type { OutboxEntry } from '../core/state.ts';
import type { Logger } from '../log.ts';
import type { ButtonStore } from '../state/button-store.ts';
import type { RoomKeeper } from './rooms.ts';

/** The id of what the outbox itself tells the room (a late delivery, a press that did not fully work). */
const TELL = 'tell';

export interface OutboxServices {
  readonly store: ButtonStore;
  readonly rooms: RoomKeeper;
  readonly log: Logger;
  readonly now: () => Date;
  readonly deliverWithinMs: number;
  /** Aborted at shutdown: every wait and request stops. */
  readonly signal: AbortSignal;
  readonly attempt: (entry: OutboxEntry, signal: AbortSignal, source?: OutboxEntry) => Promise<AttemptResult>;
}

export class Outbox {
  private readonly services: OutboxServices;
  private readonly workers = new Map<string, Promise<void>>();
  private readonly watchers = new Set<() => void>();
  private readonly changeListeners = new Set<() => void>();

  constructor(services: OutboxServices) {
    this.services = services;
    services.signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  /**
   * At start: every entry a restart interrupted may have been on its way to the provider when the bot
   * stopped, so each is checked (Twilio) or sent again (Webex) before anything else.
   */
  async resume(): Promise<number> {
    const open = this.services.store.current.outbox.filter((entry) => entry.settled === undefined);
    if (open.length === 0) return 0;
    await this.services.store.update((state) => ({
      ...state, outbox: state.outbox.map((entry) => (entry.settled === undefined ? { ...entry, uncertain: true, late: true } : entry)),
    }), 'process-crash');
    for (const entry of open) void this.work(entryKey(entry));
    return open.length;
  }

  /** Works on an entry until it settles; a second call joins the first. */
  work(key: string): Promise<void> {
    let worker = this.workers.get(key);
    if (worker === undefined) {
      worker = this.run(key).catch((error: unknown) => {
        this.services.log('outbox error', { entry: key, error: error instanceof Error ? error.message : String(error) });
      }).finally(() => this.workers.delete(key));
      this.workers.set(key, worker);
    }
    return worker;
  }

  /** Resolves once the entry has settled, is waiting past `answerBy` (ms since the epoch), or the bot stops. */
  answered(key: string, answerBy: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        const state = this.services.store.current;
        const entry = findEntry(state, key);
        // A record line waits for its SMS or call: when that one waits past the deadline, so does the line.
        const source = entry?.action.kind === 'record' ? findEntry(state, entryKey({ pressId: entry.pressId, action: entry.action.source })) : undefined;
        const waitsPast = [entry, source].some((one) => one?.nextAttemptAt !== undefined && Date.parse(one.nextAttemptAt) > answerBy);
        if (entry === undefined || entry.settled !== undefined || waitsPast || this.services.signal.aborted) {
          this.watchers.delete(check);
          resolve();
        }
      };
      this.watchers.add(check);
      check();
    });
  }

  /** The press has answered: what is still being tried from now on is late. */
  async answeredPress(pressId: string): Promise<void> {
    if (!this.services.store.current.outbox.some((entry) => entry.pressId === pressId && entry.settled === undefined)) return;
    await this.services.store.update((state) => ({
      ...state, outbox: state.outbox.map((entry) => (entry.pressId === pressId && entry.settled === undefined ? { ...entry, late: true } : entry)),
    }), 'process-crash');
  }

  /** Resolves when no worker runs: used at shutdown, after the signal stopped them. */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
  }

  /** Called after every committed change to an entry, for the status page. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private async run(key: string): Promise<void> {
    const { store, signal } = this.services;
    for (;;) {
      const entry = findEntry(store.current, key);
      if (entry === undefined || entry.settled !== undefined || signal.aborted) return;
      const wait = entry.nextAttemptAt === undefined ? 0 : Date.parse(entry.nextAttemptAt) - Date.now();
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return;
        }
      }
      const source = entry.action.kind === 'record' ? await this.sourceOf(entry) : undefined;
      const current = findEntry(store.current, key);
      if (current === undefined || current.settled !== undefined || signal.aborted) return;
      const result = await this.services.attempt(current, signal, source);
      // Stopped mid-request: the entry stays as it was, and the restart checks it with the provider.
      if (signal.aborted && result.kind === 'failed') return;
      const timing = { now: this.services.now(), deliverWithinMs: this.services.deliverWithinMs, jitter: Math.random() };
      // The press's entries as they were when this write settled the last of them, if it did.
      let settledPress: readonly OutboxEntry[] | undefined;
      // Set by the change, which the store applies at once.
      let next!: OutboxEntry;
      const written = store.updateWithShared((state, shared) => {
        // From the entry as it is now: the press may have answered (late) while the attempt ran.
        next = afterAttempt(findEntry(state, key) ?? current, result, timing);
        const updated = withEntry(state, next);
        const folded = foldSettledPress(updated, next.pressId);
        settledPress = folded === updated ? undefined : entriesOf(updated, next.pressId);
        return [folded, withSent(shared, next)];
      }, 'process-crash');
      // The press may answer while this write is under way (the state in memory has it already); what
      // depends on this entry (its record line, the next attempt) waits for the write.
      this.notify();
      await written;
      this.logAttempt(next, result);
      if (next.settled !== undefined) {
        await this.tell(next, settledPress);
        return;
      }
    }
  }

  /** The SMS or call a record line reports on, once it has settled. */
  private async sourceOf(entry: OutboxEntry): Promise<OutboxEntry | undefined> {
    if (entry.action.kind !== 'record') return undefined;
    const key = entryKey({ pressId: entry.pressId, action: entry.action.source });
    await this.work(key);
    return findEntry(this.services.store.current, key);
  }

  private logAttempt(entry: OutboxEntry, result: AttemptResult): void {
    const status = entry.settled === undefined ? 'will retry' : entry.wouldSend !== undefined ? 'dry-run' : entry.settled;
    this.services.log('action', {
      press: entry.pressId, action: describeAction(entry.action), status, attempts: entry.attempts,
      late: entry.late && entry.settled === 'delivered' ? lateness(entry, this.services.now()) : undefined,
      error: result.kind === 'failed' ? result.error : undefined, retry_at: entry.nextAttemptAt,
    });
    if (result.kind === 'delivered') {
      for (const request of result.wouldSend) this.services.log('would send', { press: entry.pressId, request: `${request.method} ${request.url}`, body: JSON.stringify(request.body) });
    }
  }

  /**
   * What the room learns beyond the actions themselves: a late message or notice, an action given up, and
   * the failures of a press once it has settled (SMS and calls have their own record lines). Journaled as a
   * notice of its own and delivered like any action, so it is neither lost nor posted twice; a notice about
   * a notice is never made, so a Webex outage does not feed on itself.
   */
  private async tell(entry: OutboxEntry, settledPress: readonly OutboxEntry[] | undefined): Promise<void> {
    if (entry.action.id === TELL) return;
    const lines: string[] = [];
    const kind = entry.action.kind;
    if (entry.settled === 'delivered' && entry.late && (kind === 'message' || kind === 'notice')) {
      lines.push(`The message above comes late (${lateness(entry, this.services.now())}).`);
    }
    const failures = (settledPress ?? []).filter((other) => other.settled !== 'delivered' && !['sms', 'call', 'record'].includes(other.action.kind));
    if (failures.length > 0) {
      lines.push(`Press ${entry.pressNumber} did not fully work:\n${failures.map((other) => `- ${describeAction(other.action)}: ${other.settled === 'given up' ? 'given up after retrying' : 'failed'}: ${other.lastError ?? ''}`).join('\n')}`);
    }
    if (lines.length === 0 || this.services.store.current.room === undefined) return;
    const [told] = journalEntries([{ id: TELL, kind: 'notice', text: lines.join('\n\n') }], `${entry.pressId}-${entry.action.id}`, entry.pressNumber, this.services.now());
    await this.services.store.update((state) => ({ ...state, outbox: [...state.outbox, told!] }), 'process-crash');
    void this.work(entryKey(told!));
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
    for (const listener of this.changeListeners) listener();
  }
}
