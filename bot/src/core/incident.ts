// The escalation as an incident: it starts with the first step a press (or timer) runs, escalates by
// itself on timers while nobody has taken it, and ends when someone resolves it. Pure: the sequencer
// (press/button.ts) applies these changes in the press queue and journals them.

import type { Settings } from '../settings/types.ts';
import type { CardView } from './card.ts';
import type { Acknowledgement, BotState, Incident, IncidentSummary, StepTimer } from './state.ts';

/** A timer that comes due this much after its time (the bot was down) says so in the room. */
export const LATE_TIMER_MS = 5000;

/** The incident after `step` ran at `now`: a new one when none is open, and the timer for the next step. */
export function afterStep(settings: Settings, state: BotState, step: number, now: Date): Pick<BotState, 'incident' | 'incidentCount'> {
  // Step 1 always opens a new escalation: after a resolve, a reset, or the idle time.
  const open = state.incident !== undefined && state.incident.status !== 'resolved' && step !== 1;
  const incident: Incident = open ? state.incident! : {
    number: state.incidentCount + 1, startedAt: now.toISOString(), status: 'escalating', acknowledged: undefined, resolved: undefined, timer: undefined,
  };
  return { incident: { ...incident, timer: timerAfter(settings, step, now) }, incidentCount: open ? state.incidentCount : state.incidentCount + 1 };
}

function timerAfter(settings: Settings, step: number, now: Date): StepTimer | undefined {
  const after = settings.steps[step - 1]?.escalateAfterMs;
  if (after === undefined || step >= settings.steps.length) return undefined;
  return { step: step + 1, dueAt: new Date(now.getTime() + after).toISOString() };
}

export type Change = { readonly changed: true; readonly state: BotState } | { readonly changed: false; readonly why: string };

/** Someone takes the escalation: its timer stops. A second acknowledgement changes nothing. */
export function acknowledge(state: BotState, who: Omit<Acknowledgement, 'at'>, now: Date): Change {
  const incident = state.incident;
  if (incident === undefined || incident.status === 'resolved') return { changed: false, why: 'no escalation is under way' };
  if (incident.status === 'acknowledged') return { changed: false, why: `already taken by ${incident.acknowledged?.name ?? 'someone'}` };
  return {
    changed: true,
    state: { ...state, incident: { ...incident, status: 'acknowledged', acknowledged: { ...who, at: now.toISOString() }, timer: undefined } },
  };
}

/** The escalation is over: the sequence goes back to step 1 (the room stays), and the next press starts a new one. */
export function resolve(state: BotState, who: Omit<Acknowledgement, 'at'>, now: Date): Change {
  const incident = state.incident;
  if (incident === undefined || incident.status === 'resolved') return { changed: false, why: 'no escalation is under way' };
  return {
    changed: true,
    state: { ...state, nextStep: 1, incident: { ...incident, status: 'resolved', resolved: { ...who, at: now.toISOString() }, timer: undefined } },
  };
}

/** The timer of the open incident, when it is due at `now` and still names the next step. */
export function dueTimer(state: BotState, now: Date): StepTimer | undefined {
  const timer = state.incident?.timer;
  if (timer === undefined || state.incident?.status === 'resolved') return undefined;
  return Date.parse(timer.dueAt) <= now.getTime() && timer.step === state.nextStep ? timer : undefined;
}

export function incidentSummary(incident: Incident | undefined): IncidentSummary | undefined {
  if (incident === undefined) return undefined;
  const taken = incident.resolved ?? incident.acknowledged;
  return {
    number: incident.number, status: incident.status,
    ...(taken === undefined ? {} : { takenBy: `${taken.name} (via ${taken.via})` }),
    ...(incident.timer === undefined || incident.status === 'resolved' ? {} : { nextStepAt: incident.timer.dueAt }),
  };
}

/** What the card shows of the incident once `step` has run (or now, for a take or a resolve). */
export function cardView(settings: Settings, incident: Incident, step: number): CardView {
  return {
    incident: incident.number, step, steps: settings.steps.length,
    state: incident.status,
    ...(incident.timer === undefined || incident.status === 'resolved' ? {} : { nextStepAt: incident.timer.dueAt }),
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
