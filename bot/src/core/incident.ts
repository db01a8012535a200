// The escalation as an incident: it starts with the first step a press (or timer) runs, escalates by
// itself on timers while nobody has taken it, and ends when someone resolves it. Pure: the sequencer
// (press/button.ts) applies these changes in the press queue and journals them.

import type { Settings } from '../settings/types.ts';
import type { CardView } from './card.ts';
import type { Acknowledgement, ButtonState, Incident, IncidentSummary, StepTimer } from './state.ts';

/** A timer that comes due this much after its time (the bot was down) says so in the room. */
export const LATE_TIMER_MS = 5000;

/** Used SMS MessageSids an escalation carries over from the one before it: a replay never takes a later one. */
export const MESSAGE_SIDS_KEPT = 200;

/**
 * The incident after `step` ran at `now`: a new one (named `newId`, unguessable) when none is open, the
 * numbers the step reaches, and the timer for the next step. A taken escalation arms no step timer: only
 * its acknowledgement timeout, if any, runs on.
 */
export function afterStep(settings: Settings, state: ButtonState, step: number, now: Date, newId: string): Pick<ButtonState, 'incident' | 'incidentCount'> {
  // Step 1 always opens a new escalation: after a resolve, a reset, or the idle time.
  const previous = state.incident;
  const open = previous !== undefined && previous.status !== 'resolved' && step !== 1;
  const incident: Incident = open ? previous : {
    id: newId, number: state.incidentCount + 1, startedAt: now.toISOString(), status: 'escalating', acknowledged: undefined, resolved: undefined,
    timer: undefined, reached: [], calls: [], cards: [], contacts: [], messageSids: (previous?.messageSids ?? []).slice(0, MESSAGE_SIDS_KEPT),
  };
  const ran = settings.steps[step - 1];
  const numbers = [...(ran?.sms?.to ?? []), ...(ran?.call?.to ?? [])].filter((number) => !incident.reached.includes(number));
  const timer = incident.status === 'acknowledged' ? incident.timer : timerAfter(settings, step, now);
  return { incident: { ...incident, timer, reached: [...incident.reached, ...numbers] }, incidentCount: open ? state.incidentCount : state.incidentCount + 1 };
}

function timerAfter(settings: Settings, step: number, now: Date): StepTimer | undefined {
  const after = settings.steps[step - 1]?.escalateAfterMs;
  if (after === undefined || step >= settings.steps.length) return undefined;
  return { step: step + 1, dueAt: new Date(now.getTime() + after).toISOString() };
}

export type Change = { readonly changed: true; readonly state: ButtonState } | { readonly changed: false; readonly why: string };

/**
 * Someone takes the escalation: no step runs by itself any more. With an `ack_timeout` (of the step
 * reached), the escalation goes back to escalating when it is not resolved in time. A second acknowledgement
 * changes nothing.
 */
export function acknowledge(settings: Settings, state: ButtonState, who: Omit<Acknowledgement, 'at'>, now: Date): Change {
  const incident = state.incident;
  if (incident === undefined || incident.status === 'resolved') return { changed: false, why: 'no escalation is under way' };
  if (incident.status === 'acknowledged') return { changed: false, why: `already taken by ${incident.acknowledged?.name ?? 'someone'}` };
  const timeout = settings.steps[Math.max(1, state.nextStep - 1) - 1]?.ackTimeoutMs;
  const timer: StepTimer | undefined = timeout === undefined ? undefined : { kind: 'ack timeout', step: state.nextStep, dueAt: new Date(now.getTime() + timeout).toISOString() };
  return {
    changed: true,
    state: { ...state, incident: { ...incident, status: 'acknowledged', acknowledged: { ...who, at: now.toISOString() }, timer } },
  };
}

/** The escalation is over: the sequence goes back to step 1 (the room stays), and the next press starts a new one. */
export function resolve(state: ButtonState, who: Omit<Acknowledgement, 'at'>, now: Date): Change {
  const incident = state.incident;
  if (incident === undefined || incident.status === 'resolved') return { changed: false, why: 'no escalation is under way' };
  return {
    changed: true,
    state: { ...state, nextStep: 1, incident: { ...incident, status: 'resolved', resolved: { ...who, at: now.toISOString() }, timer: undefined } },
  };
}

/** The acknowledgement timed out: the escalation goes back to escalating (the step of the timer runs next). */
export function reopen(state: ButtonState): Change {
  const incident = state.incident;
  if (incident?.status !== 'acknowledged' || incident.timer?.kind !== 'ack timeout') return { changed: false, why: 'no acknowledgement is timing out' };
  return { changed: true, state: { ...state, incident: { ...incident, status: 'escalating', acknowledged: undefined, timer: undefined } } };
}

/**
 * Whether `timer`, armed earlier and now run out, is still the incident's and still means something: the
 * step timer of an escalation nobody took that names the next step, or the acknowledgement timeout of a
 * taken one. Run out is measured by the arming (elapsed time), not by comparing wall clocks.
 */
export function stillArmed(state: ButtonState, timer: StepTimer): boolean {
  const incident = state.incident;
  const current = incident?.timer;
  if (incident === undefined || current === undefined || current.dueAt !== timer.dueAt || current.step !== timer.step || current.kind !== timer.kind) return false;
  return current.kind === 'ack timeout' ? incident.status === 'acknowledged' : incident.status === 'escalating' && current.step === state.nextStep;
}

/** What a press tells the room while someone has the escalation: it runs its step, and the escalation stays theirs. */
export function staysWithLine(who: Acknowledgement, step: number): string {
  return `Step ${step} runs because the button was pressed; the escalation stays with ${who.name}, who took it at ${who.at.slice(11, 16)} UTC, and nothing runs by itself`;
}

export function reopenedLine(who: Acknowledgement, now: Date): string {
  return `${who.name} took the escalation ${duration(now.getTime() - Date.parse(who.at))} ago and it is not resolved: it escalates again`;
}

export function incidentSummary(incident: Incident | undefined): IncidentSummary | undefined {
  if (incident === undefined) return undefined;
  const taken = incident.resolved ?? incident.acknowledged;
  return {
    number: incident.number, status: incident.status,
    ...(taken === undefined ? {} : { takenBy: `${taken.name} (via ${taken.via})` }),
    ...(incident.timer === undefined || incident.status !== 'escalating' ? {} : { nextStepAt: incident.timer.dueAt }),
  };
}

/** What the card shows of the incident once `step` has run (or now, for a take or a resolve). */
export function cardView(settings: Settings, incident: Incident, step: number): CardView {
  return {
    incident: incident.number, escalation: incident.id, step, steps: settings.steps.length,
    state: incident.status,
    ...(incident.timer === undefined || incident.status !== 'escalating' ? {} : { nextStepAt: incident.timer.dueAt }),
    ...(incident.acknowledged === undefined ? {} : { acknowledgedBy: incident.acknowledged }),
    ...(incident.resolved === undefined ? {} : { resolvedBy: { name: incident.resolved.name, after: duration(Date.parse(incident.resolved.at) - Date.parse(incident.startedAt)) } }),
  };
}

/** "4 min 10 s", "2 h 5 min": a duration as people say it. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function acknowledgedLine(who: Acknowledgement): string {
  return `Acknowledged by ${who.name} (via ${who.via}) at ${who.at.slice(11, 16)} UTC`;
}

export function resolvedLine(incident: Incident, who: Acknowledgement): string {
  return `Resolved by ${who.name} (via ${who.via}) after ${duration(Date.parse(who.at) - Date.parse(incident.startedAt))}`;
}
