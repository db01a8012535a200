// What the bot remembers between presses and across restarts (kept on disk by state/store.ts).

import type { DescribedRequest } from '../http/transport.ts';

export interface BotState {
  readonly room: RoomState | undefined;
  /** 1-based number of the step the next press runs. */
  readonly nextStep: number;
  /** Presses counted so far (debounced ones excluded). */
  readonly pressCount: number;
  /** When the last counted press arrived (ISO 8601). */
  readonly lastPressAt: string | undefined;
  /** A press that was cut short (crash, restart): the next press finishes its step. */
  readonly pending: PendingStep | undefined;
  /** Newest first, at most HISTORY_LIMIT entries. */
  readonly history: readonly PressRecord[];
}

export interface RoomState {
  readonly id: string;
  readonly title: string;
  /** Moderators and participants have been invited (once per room). */
  readonly membersAdded: boolean;
}

export interface PendingStep {
  readonly pressId: string;
  readonly step: number;
  /** Ids of the actions already delivered, which are not sent again. */
  readonly done: readonly string[];
}

export type ActionKind = 'room' | 'member' | 'message' | 'sms' | 'call' | 'record' | 'notice';

export interface ActionOutcome {
  readonly id: string;
  readonly kind: ActionKind;
  /** What was done, in words: "SMS to +352691496401". */
  readonly summary: string;
  readonly status: 'delivered' | 'failed' | 'done before restart';
  readonly attempts: number;
  /** Why it failed: the action, the status and the API's own message; never a credential. */
  readonly error?: string;
  /** Dry-run: the requests that would have been sent. */
  readonly wouldSend?: readonly DescribedRequest[];
}

export interface PressRecord {
  readonly id: string;
  readonly at: string;
  /** Step run by this press; undefined after the last step and for debounced presses. */
  readonly step: number | undefined;
  readonly kind: 'step' | 'after last step' | 'debounced';
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly actions: readonly ActionOutcome[];
}

export const HISTORY_LIMIT = 50;

export const INITIAL_STATE: BotState = {
  room: undefined,
  nextStep: 1,
  pressCount: 0,
  lastPressAt: undefined,
  pending: undefined,
  history: [],
};

/** Adds a press to the history, newest first, forgetting the oldest beyond the limit. */
export function withRecord(state: BotState, record: PressRecord): BotState {
  return { ...state, history: [record, ...state.history].slice(0, HISTORY_LIMIT) };
}
