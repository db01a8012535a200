// One physical button: presses run one at a time in arrival order. A press within the debounce window
// of the previous one counts once; while one press runs, at most one more waits, and any others are
// answered with the waiting one, as counted with it, so a backlog never bursts out later.

import type { ButtonEvent, Gesture, GestureAction } from '../core/button-event.ts';
import type { Command, TakeKind } from '../core/command.ts';
import { claim, used, type Take } from '../core/claims.ts';
import { reported, type StatusReport } from '../core/contacts.ts';
import { acknowledge, acknowledgedLine, cardView, incidentSummary, reopen, reopenedLine, resolve, resolvedLine, stillArmed, type Change } from '../core/incident.ts';
import { entryKey, pressRecord } from '../core/outbox.ts';
import type { Action } from '../core/plan.ts';
import { helpText, roomCommand, statusText, type CommandMessage } from '../core/room-command.ts';
import { handled, heardFrom, withRecord, type Acknowledgement, type ButtonState, type PressRecord, type StepTimer } from '../core/state.ts';
import { ApiError, newCall } from '../http/transport.ts';
import { journal, newPressId, runPress, type PressServices } from './run-press.ts';
import type { RoomDeletion } from './rooms.ts';
import { StepTimers } from './timers.ts';

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
  private readonly listeners = new Set<(record: PressRecord | undefined) => void>();
  private readonly timers: StepTimers;
  /** Events with an id that are being handled, with what will have handled them: a repeat arriving meanwhile waits for the first. */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(services: ButtonServices) {
    this.services = services;
    this.debounceMs = services.settings.server.debounceMs;
    this.timers = new StepTimers({ store: services.store, now: services.now, onDue: (timer, lateByMs) => void this.runTimer(timer, lateByMs) });
  }

  /** Runs a command of any door (press/escalations.ts found this button for it). */
  run<C extends Command>(command: C): Promise<CommandOutcome<C>> {
    const outcome = (): Promise<unknown> => {
      switch (command.kind) {
        case 'event': return this.handle(command.event);
        case 'acknowledge': return this.acknowledge(command.take);
        case 'resolve': return this.resolve(command.take);
        case 'reset': return this.reset({ deleteRoom: command.deleteRoom });
        case 'room': return this.command(command.message);
        case 'report': return this.reported(command.report);
      }
    };
    return outcome() as Promise<CommandOutcome<C>>;
  }

  /** Arms the timer the state holds: a step that came due while the bot was down runs now. */
  start(): void {
    this.timers.sync();
  }

  /** At shutdown: no timer fires any more. */
  stop(): void {
    this.timers.stop();
  }

  /**
   * Someone takes the escalation (Webex card, phone, SMS, status page): no step runs by itself any more.
   * Only this escalation's people and cards can (core/claims.ts); a second acknowledgement changes nothing.
   * Not in the press queue: the change is journaled at once and answered, whatever a running press waits
   * for; the room's notice and the new card follow through the outbox.
   */
  private acknowledge(take: Take): Promise<IncidentOutcome> {
    return this.changeIncident('acknowledged', take, (state, who, at) => acknowledge(this.services.settings, state, who, at));
  }

  /**
   * What Twilio's status callback says of an SMS or a call of this escalation: journaled with the room's
   * line when it settles what happened. A call nobody (or a machine) answered brings the next step forward.
   */
  private async reported(report: StatusReport): Promise<void> {
    const { store, now, log } = this.services;
    const at = now();
    const first = reported(store.current, report, at);
    if (first === undefined) return;
    log('twilio status', { sid: report.sid, status: report.status, answered_by: report.kind === 'call' ? report.answeredBy : undefined });
    const change = (state: ButtonState) => reported(state, report, at)?.state ?? state;
    if (first.line === undefined) {
      await store.update(change);
      return;
    }
    this.announce(await this.journalChange('reached', at, [{ id: 'reached', kind: 'notice', text: first.line }], change));
  }

  /** The escalation is over: back to step 1 (the room stays), and the next press starts a new one. Answered at once, as acknowledge. */
  private resolve(take: Take): Promise<IncidentOutcome> {
    return this.changeIncident('resolved', take, resolve);
  }

  /**
   * What the button sent: a press, a long or double press (each does what the settings say), or a sign of
   * life. An event whose id was handled already (bt.tn repeating itself, before or after a restart) is
   * answered with what handled it, and runs nothing.
   */
  private handle(event: ButtonEvent): Promise<EventAnswer> {
    return event.eid === undefined ? this.dispatch(event) : this.once(event.eid, () => this.dispatch(event), handledBy);
  }

  /**
   * A command given in the bot's room ("@Bot status"), answered in the command's thread. Handled once per
   * message, as a button's event; a message from outside the bot's room changes nothing and gets no answer.
   */
  private command(message: CommandMessage): Promise<unknown> {
    return this.once(message.messageId, () => this.runCommand(message), (by) => by);
  }

  /** Resolves with the record of this press by its deadline (at once when debounced or counted with another). */
  private press(event: ButtonEvent): Promise<PressRecord> {
    const arrival = performance.now();
    const id = newPressId();
    const heard = this.heard(event, id);
    if (arrival - this.lastArrival < this.debounceMs) return this.debounced(id, heard);
    this.lastArrival = arrival;
    if (this.waiting !== undefined) {
      const waiting = this.waiting;
      waiting.joined += 1;
      this.services.log('press counted with the waiting one', { press: id });
      return waiting.run.then(async (record) => {
        await this.services.store.update(this.heard(event, record.id), 'process-crash');
        return { ...record, coalesced: waiting.joined };
      });
    }
    const answerBy = Date.now() + this.services.pressTimeoutMs;
    // The event's id goes into the press's own journal write: once the step is journaled, a repeat is known.
    const run = this.enqueue(() => runPress(this.services, id, answerBy, { kind: 'press' }, heard), !this.busy);
    return run.then((record) => this.announce(record));
  }

  /**
   * Starts the sequence again at step 1, in turn with the presses so it never races one; the history stays.
   * With `deleteRoom`, the room goes too, so the next press creates it again and invites everyone.
   */
  private reset({ deleteRoom }: { deleteRoom: boolean }): Promise<ResetOutcome> {
    return this.enqueue(() => this.runReset(deleteRoom), true);
  }

  /** True when Webex or Twilio calls are only recorded, not sent. */
  get dryRun(): boolean {
    return this.services.dryRun;
  }

  /** Called with every press record (undefined for an event that ran nothing), for the status page. */
  onPress(listener: (record: PressRecord | undefined) => void): () => void {
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
        this.timers.sync(); // every change to the sequence may arm, move or stop the timer
      }
    });
    if (!runsNow) this.waiting = { run: run as Promise<unknown> as Promise<PressRecord>, joined: 0 };
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A timer ran out, in the queue like a press: the next step (never debounced, never counted with another,
   * not a press), or an acknowledgement that timed out, which escalates again and runs the next step at once.
   */
  private runTimer(timer: StepTimer, lateByMs: number): Promise<PressRecord | undefined> {
    return this.enqueue(async () => {
      const { store } = this.services;
      if (!stillArmed(store.current, timer)) {
        // Acknowledged, resolved or pressed on since it was armed: a timer that no longer means anything is
        // dropped, so it is not armed again.
        const stale = store.current.incident?.timer;
        if (stale?.dueAt === timer.dueAt && stale.step === timer.step) {
          await store.update((state) => (state.incident === undefined ? state : { ...state, incident: { ...state.incident, timer: undefined } }));
        }
        return undefined;
      }
      if (timer.kind === 'ack timeout') await this.reopen();
      const record = await runPress(this.services, newPressId(), Date.now() + this.services.pressTimeoutMs, { kind: 'timer', lateByMs: timer.kind === 'ack timeout' ? 0 : lateByMs });
      return this.announce(record);
    }, true);
  }

  /** The acknowledgement timed out: escalating again, and the room is told, through the outbox. */
  private async reopen(): Promise<void> {
    const { store, now } = this.services;
    const at = now();
    const who = store.current.incident?.acknowledged;
    if (who === undefined) return;
    const line = reopenedLine(who, at);
    this.services.log('acknowledgement timed out', { incident: store.current.incident?.number, by: who.name });
    await this.journalChange('reopened', at, [{ id: 'reopened', kind: 'notice', text: line }], (state) => {
      const again = reopen(state);
      return again.changed ? again.state : state;
    });
  }

  private async changeIncident(
    kind: 'acknowledged' | 'resolved', take: Take, change: (state: ButtonState, who: Omit<Acknowledgement, 'at'>, at: Date) => Change,
  ): Promise<IncidentOutcome> {
    const { store, now, log } = this.services;
    const at = now();
    const claimed = claim(store.current, take);
    if (!claimed.ok) {
      log(`not ${kind}`, { via: take.via, why: claimed.why });
      return { changed: false, why: claimed.why, refused: true };
    }
    const first = change(store.current, claimed.who, at);
    if (!first.changed) {
      // Already taken (say): the message still counts as used, so its replay takes no later escalation.
      if (take.via === 'SMS') await store.update((state) => (state.incident === undefined ? state : { ...state, incident: used(state.incident, take) }));
      return { changed: false, why: first.why };
    }
    const incident = first.state.incident!;
    const who = kind === 'acknowledged' ? incident.acknowledged! : incident.resolved!;
    const line = kind === 'acknowledged' ? acknowledgedLine(who) : resolvedLine(incident, who);
    log(kind, { incident: incident.number, by: who.name, via: who.via });
    // Webex cannot edit a card: a new one shows the change, and the old one's buttons change nothing any more.
    const card: Action[] = this.services.cards ? [{ id: 'card', kind: 'card', view: cardView(this.services.settings, incident, Math.max(1, store.current.nextStep - 1)) }] : [];
    // A command given in the room is answered in its thread.
    const thread = take.via === 'Webex room' ? { parentId: take.messageId } : {};
    const record = await this.journalChange(kind, at, [{ id: kind, kind: 'notice', text: line, ...thread }, ...card], (state) => {
      // Applied at once to the state as it is (journal writes without waiting), the same as `first`.
      const again = change(state, claimed.who, at);
      return again.changed ? { ...again.state, incident: used(again.state.incident!, take) } : state;
    });
    return { changed: true, record: this.announce(record), line };
  }

  /**
   * Journals a change of the escalation with the room's notices (none while there is no room) and starts
   * their delivery; answers with its record without waiting for Webex.
   */
  private async journalChange(kind: PressRecord['kind'], at: Date, notices: readonly Action[], change: (state: ButtonState) => ButtonState): Promise<PressRecord> {
    const { store, outbox } = this.services;
    const { entries, base } = await journal(this.services, {
      id: newPressId(), at, step: undefined, kind, pressNumber: store.current.pressCount,
      actions: store.current.room === undefined ? [] : notices, change,
    });
    for (const entry of entries) void outbox.work(entryKey(entry));
    this.timers.sync();
    const summary = incidentSummary(store.current.incident);
    return pressRecord({ ...base, ...(summary === undefined ? {} : { incident: summary }) }, entries);
  }

  private async debounced(id: string, heard: (state: ButtonState) => ButtonState): Promise<PressRecord> {
    const record: PressRecord = {
      id, at: this.services.now().toISOString(), step: undefined, kind: 'debounced', ok: true,
      dryRun: this.services.dryRun, durationMs: 0, actions: [],
    };
    this.services.log('press debounced', { press: id, window_ms: this.debounceMs });
    await this.services.store.update((state) => withRecord(heard(state), record));
    return this.announce(record);
  }

  /** Runs `run` unless the event `eid` was handled or is being handled; then answers with what handled it. */
  private once<T>(eid: string, run: () => Promise<T>, by: (result: T) => string): Promise<T | AlreadyHandled> {
    const known = this.services.store.current.handledEvents.find((event) => event.eid === eid);
    if (known !== undefined) return Promise.resolve({ kind: 'already handled', eid, handledBy: known.handledBy });
    const running = this.inFlight.get(eid);
    if (running !== undefined) return running.then((handledBy) => ({ kind: 'already handled', eid, handledBy }));
    const result = run();
    this.inFlight.set(eid, result.then(by, () => 'an attempt that failed'));
    void result.catch(() => undefined).finally(() => this.inFlight.delete(eid));
    return result;
  }

  private async runCommand(message: CommandMessage): Promise<string> {
    const { store, settings, log, now } = this.services;
    const parsed = roomCommand(message.text, message.bot.name);
    const command = 'command' in parsed ? parsed.command : undefined;
    log('room command', { command: command ?? 'unknown', person: message.person.id });
    const at = now();
    const answer = (text: string) => this.journalChange('command', at, [{ id: 'reply', kind: 'notice', text, parentId: message.messageId }],
      (state) => handled(state, message.messageId, `command ${command ?? 'unknown'}`));
    if (command === 'acknowledge' || command === 'resolve') {
      const take = {
        via: 'Webex room', name: message.person.name, personId: message.person.id, botId: message.bot.id, roomId: message.roomId, messageId: message.messageId,
      } as const;
      const outcome = command === 'acknowledge' ? await this.acknowledge(take) : await this.resolve(take);
      if (!outcome.changed) return (await answer(`Nothing changed: ${outcome.why}.`)).id;
      // The room's line went into the command's thread; a repeat of the message is known from now on.
      await store.update((state) => handled(state, message.messageId, outcome.record.id), 'process-crash');
      return outcome.record.id;
    }
    if (command === 'reset') {
      const outcome = await this.reset({ deleteRoom: false });
      return (await answer(outcome.error ?? `Starting again: the next press runs step 1 of ${settings.steps.length} (the room stays).`)).id;
    }
    if (command === 'status') return (await answer(statusText(store.current, settings.steps.length, at))).id;
    const unknown = command === 'help' || !('unknown' in parsed) || parsed.unknown === '' ? '' : `I do not know "${parsed.unknown.slice(0, 80)}". `;
    return (await answer(`${unknown}${helpText(message.bot.name)}`)).id;
  }

  private async dispatch(event: ButtonEvent): Promise<EventAnswer> {
    const { gesture } = event;
    if (gesture === 'heartbeat') {
      const at = this.services.now().toISOString();
      this.services.log('button heard', { type: event.type, eid: event.eid });
      await this.services.store.update(this.heard(event, 'heartbeat', at), 'process-crash');
      this.announce(undefined);
      return { kind: 'heartbeat', at };
    }
    const action: GestureAction = gesture === 'press' ? 'next' : this.services.settings.gestures[gesture];
    if (action === 'next') return { kind: 'press', record: await this.press(event) };
    const taker = { via: 'button' } as const;
    const answer: EventAnswer = action === 'acknowledge' ? { kind: 'acknowledge', gesture, outcome: await this.acknowledge(taker) }
      : action === 'resolve' ? { kind: 'resolve', gesture, outcome: await this.resolve(taker) }
      : action === 'reset' ? { kind: 'reset', gesture, outcome: await this.reset({ deleteRoom: false }) }
      : { kind: 'nothing', gesture };
    this.services.log(`${gesture}: ${action}`, { eid: event.eid });
    // After the work: a repeat after a crash in between does it again, which changes nothing the second time.
    await this.services.store.update(this.heard(event, action), 'process-crash');
    if (action === 'nothing') this.announce(undefined);
    return answer;
  }

  /** The change that records the event: when the button was last heard from, and its id as handled by `handledBy`. */
  private heard(event: ButtonEvent, handledBy: string, at = this.services.now().toISOString()): (state: ButtonState) => ButtonState {
    const heard = { at, type: event.type, eid: event.eid };
    return (state) => heardFrom(state, heard, handledBy);
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
    // The sequence starts over: a timer armed for a later step has nothing left to run.
    await store.update((state) => ({
      ...state, nextStep: 1, room: roomGone ? undefined : state.room,
      incident: state.incident === undefined ? undefined : { ...state.incident, timer: undefined },
    }));
    log('reset', { room: deleteRoom ? deleted : undefined, error });
    return { roomDeleted: roomGone, deleted, ...(error === undefined ? {} : { error }) };
  }

  /** Tells the status page of a record, or (undefined) of an event that ran nothing but changed what it shows. */
  private announce<T extends PressRecord | undefined>(record: T): T {
    for (const listener of this.listeners) listener(record);
    return record;
  }
}

/** What each command comes to, for the door's answer. */
export type CommandOutcome<C extends Command> = C['kind'] extends 'event' ? EventAnswer
  : C['kind'] extends TakeKind ? IncidentOutcome
  : C['kind'] extends 'reset' ? ResetOutcome
  : C['kind'] extends 'room' ? unknown
  : void;

/** An event whose id was handled already: what handled it. */
export interface AlreadyHandled {
  readonly kind: 'already handled';
  readonly eid: string;
  readonly handledBy: string;
}

/** What one event of the button came to, for its answer. */
export type EventAnswer =
  | { readonly kind: 'press'; readonly record: PressRecord }
  | AlreadyHandled
  | { readonly kind: 'heartbeat'; readonly at: string }
  | { readonly kind: TakeKind; readonly gesture: Gesture; readonly outcome: IncidentOutcome }
  | { readonly kind: 'reset'; readonly gesture: Gesture; readonly outcome: ResetOutcome }
  | { readonly kind: 'nothing'; readonly gesture: Gesture };

function handledBy(answer: EventAnswer): string {
  switch (answer.kind) {
    case 'press': return answer.record.id;
    case 'already handled': return answer.handledBy;
    case 'heartbeat': return 'heartbeat';
    default: return answer.kind;
  }
}

export type IncidentOutcome =
  | { readonly changed: true; readonly record: PressRecord; readonly line: string }
  /** `refused`: the take did not come from this escalation's people or cards (`why` is for the log). */
  | { readonly changed: false; readonly why: string; readonly refused?: true };

export interface ResetOutcome {
  /** The room is gone for the bot (deleted, or it was already), so the next press takes one again and invites everyone. */
  readonly roomDeleted: boolean;
  /** What Webex did: deleted for everyone, or only the bot left (a moderated room it does not moderate). */
  readonly deleted: RoomDeletion | 'kept';
  /** Why deleting the room failed; the sequence restarts at step 1 all the same. */
  readonly error?: string;
}
