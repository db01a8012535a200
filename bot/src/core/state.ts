// What the bot remembers between presses and across restarts (kept on disk by state/store.ts).

import type { Action, TwilioAction } from './plan.ts';
import type { DescribedRequest } from '../http/transport.ts';

/**
 * Written into the file. Version 3 keys the state by button; a file of an older version (one button's
 * state, with the bot-wide facts beside it) is read as the state of settings.yaml's own button.
 */
export const STATE_VERSION = 3;

/** What the bot keeps: the facts of the whole bot apart, and each button's escalation under its name. */
export interface StoredState {
  readonly version: typeof STATE_VERSION;
  readonly shared: SharedState;
  /** By button name; a button no longer in the settings keeps its state here, untouched. */
  readonly buttons: Readonly<Record<string, ButtonState>>;
}

/** Facts of the whole bot, whatever the button. */
export interface SharedState {
  /**
   * Ids the providers gave to what the bot sent (Twilio SIDs), newest first, so a check with Twilio
   * never takes another action's SMS or call (another button's included) for the one it looks for.
   */
  readonly sent: readonly string[];
  /** The secret Webex signs card clicks and room messages with; made once, given to the bot's webhook at each start. */
  readonly webhookSecret: string | undefined;
}

/** One button's escalation: its sequence's progress, its room, its outbox and history. */
export interface ButtonState {
  readonly room: RoomState | undefined;
  /** 1-based number of the step the next press runs. */
  readonly nextStep: number;
  /** Presses counted so far (debounced ones excluded). */
  readonly pressCount: number;
  /** When the last counted press arrived (ISO 8601). */
  readonly lastPressAt: string | undefined;
  /** Every action journaled before it is sent, until every action of its press is settled. */
  readonly outbox: readonly OutboxEntry[];
  /** Newest first: real presses up to HISTORY_LIMIT, debounced ones only within what is left. */
  readonly history: readonly PressRecord[];
  /** The escalation under way (or the last one), from its first step until it is resolved. */
  readonly incident: Incident | undefined;
  /** Escalations started so far: the next one gets this number plus one. */
  readonly incidentCount: number;
  /** The last thing the button sent (a press or bt.tn's "not pressed" sign of life), so the page shows it is alive. */
  readonly lastHeard: Heard | undefined;
  /** Event ids (bt.tn's <EID>) already handled, newest first, with what handled them: a repeat is answered, not run. */
  readonly handledEvents: readonly HandledEvent[];
}

export interface Heard {
  readonly at: string;
  /** The type it sent (`pressed`, `not-pressed`, ...); undefined when it sent none. */
  readonly type: string | undefined;
}

export interface HandledEvent {
  readonly eid: string;
  /** The press record that handled it (or the word for what it did: `heartbeat`, `acknowledge`, ...). */
  readonly handledBy: string;
}

/** How someone took or closed an escalation. */
export const CHANNELS = ['Webex', 'phone', 'SMS', 'status page', 'button'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Acknowledgement {
  readonly name: string;
  readonly via: Channel;
  readonly at: string;
}

/** Where an escalation stands: escalating until someone takes it, then resolved. */
export const INCIDENT_STATUSES = ['escalating', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What a history record is: a step, or a change of the escalation, or what else was journaled. */
export const RECORD_KINDS = ['step', 'after last step', 'debounced', 'acknowledged', 'resolved', 'reopened', 'reached', 'command'] as const;

export interface Incident {
  /** Unguessable: what its cards and calls carry, so nothing of an earlier escalation (or of a lost state file) acts on it. */
  readonly id: string;
  /** For people: "Escalation 3". */
  readonly number: number;
  readonly startedAt: string;
  readonly status: IncidentStatus;
  readonly acknowledged: Acknowledgement | undefined;
  readonly resolved: Acknowledgement | undefined;
  /** The next step runs by itself at `dueAt`, unless someone acknowledges first. Kept in the state, so it survives a restart. */
  readonly timer: StepTimer | undefined;
  /** The numbers this escalation texted or called: only they take it by SMS. */
  readonly reached: readonly string[];
  /** The CallSids of the calls it placed: only their "1" takes it. */
  readonly calls: readonly string[];
  /** The Webex message ids of the cards it posted: only their buttons take it. */
  readonly cards: readonly string[];
  /** MessageSids of SMS replies already used (carried over from the escalation before), so a replay takes nothing. */
  readonly messageSids: readonly string[];
  /** The SMS and calls it made, with what Twilio's status callbacks said of them. */
  readonly contacts: readonly Contact[];
}

/** An SMS or a call an escalation made, as Twilio reports it (core/contacts.ts). */
export interface Contact {
  readonly sid: string;
  readonly kind: TwilioAction['kind'];
  readonly to: string;
  /** Twilio's MessageStatus or CallStatus, 'queued' until a callback says more. */
  readonly status: string;
  /** Answering machine detection: human, machine_start, fax... */
  readonly answeredBy?: string;
  /** Why an SMS was not delivered (Twilio's ErrorCode). */
  readonly errorCode?: string;
}

/** The escalation in a few words, for the button's answer. */
export interface IncidentSummary {
  readonly number: number;
  readonly status: Incident['status'];
  readonly takenBy?: string;
  /** When the next step runs by itself, unless someone takes it first. */
  readonly nextStepAt?: string;
}

export interface StepTimer {
  readonly step: number;
  readonly dueAt: string;
  /**
   * 'ack timeout': the escalation was taken and not resolved in time; when due it goes back to escalating
   * and `step` runs. Otherwise the next step's own timer.
   */
  readonly kind?: 'ack timeout';
}

export interface RoomState {
  readonly id: string;
  readonly title: string;
  /** Moderators and participants have been invited (once per room). */
  readonly membersAdded: boolean;
}

export type Settlement = 'delivered' | 'failed' | 'given up';

/** One action of a press, saved before anything is sent, and how its delivery stands. */
export interface OutboxEntry {
  readonly pressId: string;
  readonly pressNumber: number;
  readonly action: Action;
  /** When the press journaled it: a check with Twilio looks for what was created since. */
  readonly journaledAt: string;
  /** Still undefined while it is being tried. */
  readonly settled: Settlement | undefined;
  /** Tries so far: each attempt adds the tries its request took (a 429 waited out is a second try). */
  readonly attempts: number;
  /** Attempts that failed and were scheduled again: the backoff grows with them. */
  readonly failures?: number;
  /** A request for it may have reached the provider: check before sending again. */
  readonly uncertain: boolean;
  readonly nextAttemptAt: string | undefined;
  readonly lastError: string | undefined;
  /** The provider's id for what was made (Twilio SID, Webex message id). */
  readonly providerId: string | undefined;
  readonly settledAt: string | undefined;
  /** The press had answered before it settled. */
  readonly late: boolean;
  /** Dry-run: the requests that would have been sent. */
  readonly wouldSend?: readonly DescribedRequest[];
}

export type ActionKind = 'room' | Action['kind'];

export type OutcomeStatus = 'delivered' | 'dry-run' | 'failed' | 'pending' | 'delivered late' | 'given up';

export interface ActionOutcome {
  readonly id: string;
  readonly kind: ActionKind;
  /** What was done, in words: "SMS to +352691496401". */
  readonly summary: string;
  readonly status: OutcomeStatus;
  readonly attempts: number;
  /** Why it failed (or why it is still being tried): the action, the status and the API's own message; never a credential. */
  readonly error?: string;
  /** Dry-run: the requests that would have been sent. */
  readonly wouldSend?: readonly DescribedRequest[];
}

export interface PressRecord {
  readonly id: string;
  readonly at: string;
  /** Step run by this press; undefined after the last step and for debounced presses. */
  readonly step: number | undefined;
  readonly kind: (typeof RECORD_KINDS)[number];
  /** What ran it: a press of the button (or the status page's), or the escalation's own timer. */
  readonly trigger?: 'press' | 'timer';
  /** Nothing failed or was given up (actions still being tried do not count against it). */
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly actions: readonly ActionOutcome[];
  /** Presses that arrived while this one waited and were counted with it. */
  readonly coalesced?: number;
  /** Where the escalation stood when this answered. */
  readonly incident?: IncidentSummary;
}

export const HISTORY_LIMIT = 50;
export const SENT_LIMIT = 500;
/** Far more events than a button sends while one could be repeated (bt.tn repeats within seconds). */
export const HANDLED_EVENTS_LIMIT = 200;

export const INITIAL_STATE: ButtonState = {
  room: undefined,
  nextStep: 1,
  pressCount: 0,
  lastPressAt: undefined,
  outbox: [],
  history: [],
  incident: undefined,
  incidentCount: 0,
  lastHeard: undefined,
  handledEvents: [],
};

export const INITIAL_SHARED: SharedState = { sent: [], webhookSecret: undefined };
export const INITIAL_STORED: StoredState = { version: STATE_VERSION, shared: INITIAL_SHARED, buttons: {} };

/** A button's state, or a fresh one for a button that has none yet. */
export function buttonState(stored: StoredState, name: string): ButtonState {
  return stored.buttons[name] ?? INITIAL_STATE;
}

/** The SIDs no check with Twilio may take for another action's: every one sent, by any button, or made and not yet settled. */
export function claimedIds(stored: StoredState): ReadonlySet<string> {
  const made = Object.values(stored.buttons).flatMap((state) => state.outbox.flatMap((entry) => (entry.providerId === undefined ? [] : [entry.providerId])));
  return new Set([...stored.shared.sent, ...made]);
}

/** The button was heard from; an event with an id is remembered, so a repeat of it is not run again. */
export function heardFrom(state: ButtonState, heard: Heard & { readonly eid: string | undefined }, handledBy: string): ButtonState {
  const withHeard = { ...state, lastHeard: { at: heard.at, type: heard.type } };
  return heard.eid === undefined ? withHeard : handled(withHeard, heard.eid, handledBy);
}

/** An event (a button's, or a Webex message's) is handled: a repeat of it is answered, not run. */
export function handled(state: ButtonState, eid: string, handledBy: string): ButtonState {
  return { ...state, handledEvents: [{ eid, handledBy }, ...state.handledEvents.filter((event) => event.eid !== eid)].slice(0, HANDLED_EVENTS_LIMIT) };
}

/**
 * Adds or replaces a press in the history, newest first. Real presses keep their place: debounced ones
 * are the first to go past the limit, so a burst of bounces never pushes a real press out.
 */
export function withRecord(state: ButtonState, record: PressRecord): ButtonState {
  const others = state.history.filter((entry) => entry.id !== record.id);
  const history = others.length === state.history.length ? [record, ...others] : state.history.map((entry) => (entry.id === record.id ? record : entry));
  const real = history.filter((entry) => entry.kind !== 'debounced').length;
  let debouncedRoom = Math.max(0, HISTORY_LIMIT - Math.min(real, HISTORY_LIMIT));
  let realRoom = HISTORY_LIMIT;
  return {
    ...state,
    history: history.filter((entry) => (entry.kind === 'debounced' ? debouncedRoom-- > 0 : realRoom-- > 0)),
  };
}
