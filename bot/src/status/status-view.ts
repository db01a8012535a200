// What the status page shows, decided from the settings and the state alone: the room, the step
// reached, what the next press will do and the press history. The HTML page and the JSON for scripts
// are both this one view; it names the people and numbers the escalation reaches, never a credential.

import { outcomeLine } from '../core/contacts.ts';
import { describeAction, planPress, type Action } from '../core/plan.ts';
import type { Acknowledgement, ActionOutcome, ButtonState, Contact, Heard, IncidentStatus, PressRecord } from '../core/state.ts';
import type { DescribedRequest } from '../http/transport.ts';
import type { Settings } from '../settings/types.ts';

export interface StatusView {
  /** Webex or Twilio (or both) only record what they would send. */
  readonly dryRun: boolean;
  readonly room: RoomView;
  /** How many steps the escalation has. */
  readonly steps: number;
  /** The last step run since the sequence (re)started; 0 before the first. */
  readonly stepReached: number;
  readonly pressCount: number;
  readonly lastPressAt: string | undefined;
  /** The last thing the button sent, a press or a sign of life (bt.tn's `not-pressed`). */
  readonly lastHeard: Heard | undefined;
  readonly next: NextPressView;
  /** The escalation under way or the last one; undefined before the first step. */
  readonly incident: IncidentView | undefined;
  /** Actions of earlier presses still being tried in the background (an API throttled or down). */
  readonly late: readonly LateView[];
  /** Newest first. */
  readonly history: readonly PressView[];
}

export type RoomView =
  | { readonly kind: 'not created'; readonly title: string }
  | { readonly kind: 'dry-run'; readonly title: string }
  /** `link` opens the room in the Webex app; undefined when the id is not one Webex gives out. */
  | { readonly kind: 'webex'; readonly title: string; readonly link: string | undefined };

export interface NextPressView {
  /** The step the next press runs; undefined once every step has run. */
  readonly step: number | undefined;
  /** The button was idle long enough that the next press starts again at step 1. */
  readonly restarts: boolean;
  readonly actions: readonly PreviewAction[];
}

export interface PreviewAction {
  readonly kind: Action['kind'];
  /** As in the logs and the press answer: "SMS to +352691496401". */
  readonly summary: string;
  /** What is posted, texted or said, when there is such a text. */
  readonly text?: string;
}

export interface IncidentView {
  readonly number: number;
  readonly status: IncidentStatus;
  readonly startedAt: string;
  readonly acknowledged: Acknowledgement | undefined;
  readonly resolved: Acknowledgement | undefined;
  /** When a timer runs: the step it runs, and when. */
  readonly nextStepAt: { readonly step: number; readonly at: string } | undefined;
  /** Taken with an `ack_timeout`: when it escalates again unless resolved. */
  readonly escalatesAgainAt?: string;
  /** The SMS and calls it made and what Twilio reported of each ("SMS to +352… delivered", "Call to +352…: no answer"). */
  readonly reached: readonly { readonly kind: Contact['kind']; readonly to: string; readonly status: string; readonly answeredBy?: string; readonly outcome: string }[];
}

export interface LateView {
  readonly summary: string;
  readonly pressNumber: number;
  /** The last failure, and when the next attempt comes. */
  readonly reason: string | undefined;
  readonly nextAttemptAt: string | undefined;
}

export interface PressView {
  readonly id: string;
  /** Run by the escalation's timer rather than a press. */
  readonly trigger: NonNullable<PressRecord['trigger']>;
  readonly at: string;
  readonly step: number | undefined;
  readonly kind: PressRecord['kind'];
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly actions: readonly OutcomeView[];
}

export type Outcome = 'delivered' | 'retried' | 'failed' | 'not sent (dry-run)' | 'still being tried' | 'delivered late' | 'given up';

export interface OutcomeView {
  readonly summary: string;
  readonly outcome: Outcome;
  readonly attempts: number;
  /** Why it failed. */
  readonly reason?: string;
  /** Dry-run: the requests that would have been sent. */
  readonly wouldSend?: readonly DescribedRequest[];
}

export function statusView(settings: Settings, state: ButtonState, dryRun: boolean, now: Date): StatusView {
  const plan = planPress(settings, state, now);
  return {
    dryRun,
    room: roomView(settings.webex.room, state, dryRun),
    steps: settings.steps.length,
    stepReached: state.nextStep - 1,
    pressCount: state.pressCount,
    lastPressAt: state.lastPressAt,
    lastHeard: state.lastHeard,
    next: {
      step: plan.step,
      restarts: plan.restarted,
      // The record lines follow from the SMS and calls already listed.
      actions: plan.actions.filter((action) => action.kind !== 'record').map(previewAction),
    },
    incident: state.incident === undefined ? undefined : {
      number: state.incident.number, status: state.incident.status, startedAt: state.incident.startedAt,
      acknowledged: state.incident.acknowledged, resolved: state.incident.resolved,
      nextStepAt: state.incident.timer === undefined || state.incident.status !== 'escalating' ? undefined : { step: state.incident.timer.step, at: state.incident.timer.dueAt },
      ...(state.incident.timer?.kind === 'ack timeout' && state.incident.status === 'acknowledged' ? { escalatesAgainAt: state.incident.timer.dueAt } : {}),
      reached: state.incident.contacts.map((contact) => ({
        kind: contact.kind, to: contact.to, status: contact.status, ...(contact.answeredBy === undefined ? {} : { answeredBy: contact.answeredBy }), outcome: outcomeLine(contact),
      })),
    },
    late: state.outbox.filter((entry) => entry.settled === undefined && entry.late).map((entry) => ({
      summary: describeAction(entry.action), pressNumber: entry.pressNumber, reason: entry.lastError, nextAttemptAt: entry.nextAttemptAt,
    })),
    history: state.history.map(pressView),
  };
}

function roomView(title: string, state: ButtonState, dryRun: boolean): RoomView {
  if (state.room === undefined) return { kind: 'not created', title };
  const link = webexRoomLink(state.room.id);
  if (link === undefined && dryRun) return { kind: 'dry-run', title: state.room.title };
  return { kind: 'webex', title: state.room.title, link };
}

/**
 * The link that opens a room in the Webex app (desktop and mobile), as its "copy space link" gives:
 * Webex API ids are base64 of `ciscospark://us/ROOM/<uuid>`, and the app wants the uuid.
 */
export function webexRoomLink(roomId: string): string | undefined {
  const uri = Buffer.from(roomId, 'base64').toString('utf8');
  const uuid = /^ciscospark:\/\/[a-z0-9-]+\/ROOM\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(uri)?.[1];
  return uuid === undefined ? undefined : `webexteams://im?space=${uuid.toLowerCase()}`;
}

function previewAction(action: Action): PreviewAction {
  const summary = describeAction(action);
  switch (action.kind) {
    case 'message': return action.message === undefined ? { kind: action.kind, summary } : { kind: action.kind, summary, text: action.message.body };
    case 'sms': return { kind: action.kind, summary, text: action.body };
    case 'call': return { kind: action.kind, summary, text: action.say };
    case 'member': case 'notice': case 'record': case 'card': return { kind: action.kind, summary };
  }
}

function pressView(record: PressRecord): PressView {
  return {
    id: record.id, trigger: record.trigger ?? 'press', at: record.at, step: record.step, kind: record.kind, ok: record.ok,
    dryRun: record.dryRun, durationMs: record.durationMs, actions: record.actions.map(outcomeView),
  };
}

function outcomeView(action: ActionOutcome): OutcomeView {
  const base = { summary: action.summary, attempts: action.attempts };
  switch (action.status) {
    case 'failed': case 'given up': return { ...base, outcome: action.status, reason: action.error ?? action.status };
    case 'pending': return { ...base, outcome: 'still being tried', ...(action.error === undefined ? {} : { reason: action.error }) };
    case 'dry-run': return { ...base, outcome: 'not sent (dry-run)', ...(action.wouldSend === undefined ? {} : { wouldSend: action.wouldSend }) };
    case 'delivered late': return { ...base, outcome: 'delivered late' };
    default: return { ...base, outcome: action.attempts > 1 ? 'retried' : 'delivered' };
  }
}
