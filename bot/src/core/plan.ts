// What a press does, decided from the settings and the state alone: which step runs and which
// actions it takes. No I/O here; press/run-press.ts journals the plan and press/outbox.ts carries it out.

import type { Settings, StepFile } from '../settings/types.ts';
import type { CardView } from './card.ts';
import { roomMessageFor, type RoomMessage } from './room-message.ts';
import { duration, LATE_TIMER_MS, staysWithLine } from './incident.ts';
import type { ButtonState } from './state.ts';

export type Action =
  | { readonly id: string; readonly kind: 'member'; readonly email: string; readonly moderator: boolean }
  | { readonly id: string; readonly kind: 'message'; readonly message: RoomMessage | undefined; readonly file: StepFile | undefined }
  | {
    readonly id: string; readonly kind: 'sms'; readonly from: string; readonly to: string; readonly body: string;
    /** The escalation's id the SMS belongs to, so its status callbacks are told to that one. */
    readonly incident?: string;
  }
  | {
    readonly id: string; readonly kind: 'call'; readonly from: string; readonly to: string; readonly say: string; readonly voice: string | undefined;
    /** The escalation's id the call belongs to, so a 1 on the phone takes that one and no later one. */
    readonly incident?: string;
  }
  /** `parentId`: posted in the thread of that message (an answer to a command given in the room). */
  | { readonly id: string; readonly kind: 'notice'; readonly text: string; readonly parentId?: string }
  /** The escalation's card, with the buttons that take or resolve it (posted anew at each change: Webex cannot edit a card). */
  | { readonly id: string; readonly kind: 'card'; readonly view: CardView }
  /** The line that tells the room an SMS was sent or a call placed (or why not), once that is known. */
  | { readonly id: string; readonly kind: 'record'; readonly source: TwilioAction };

export type TwilioAction = Extract<Action, { kind: 'sms' | 'call' }>;

export interface PressPlan {
  /** The step this press runs, or undefined once every step has run. */
  readonly step: number | undefined;
  readonly pressNumber: number;
  /** The sequence started again at step 1 because the button was idle for `reset` minutes. */
  readonly restarted: boolean;
  /** Actions to journal and take. */
  readonly actions: readonly Action[];
}

/** What runs a step: a press, or the escalation's timer (never debounced, not counted, not idle time). */
export type Trigger = { readonly kind: 'press' } | { readonly kind: 'timer'; readonly lateByMs: number };

export function planPress(settings: Settings, state: ButtonState, now: Date, trigger: Trigger = { kind: 'press' }): PressPlan {
  const idle = state.lastPressAt === undefined ? 0 : now.getTime() - Date.parse(state.lastPressAt);
  const restarted = trigger.kind === 'press' && settings.resetAfterMs !== undefined && state.lastPressAt !== undefined
    && idle >= settings.resetAfterMs && state.nextStep > 1;
  const stepNumber = restarted ? 1 : state.nextStep;
  const step = settings.steps[stepNumber - 1];
  const pressNumber = trigger.kind === 'press' ? state.pressCount + 1 : state.pressCount;
  // Invitations still on their way (an earlier press's, in the outbox) are not made twice.
  const inviting = state.outbox.some((entry) => entry.action.kind === 'member' && entry.settled === undefined);
  const members = state.room?.membersAdded || inviting ? [] : memberActions(settings);
  const late: Action[] = trigger.kind === 'timer' && trigger.lateByMs >= LATE_TIMER_MS
    ? [{ id: 'late-timer', kind: 'notice', text: `Step ${stepNumber} runs by its timer ${duration(trigger.lateByMs)} late: the bot was not running when it came due` }] : [];
  // Someone at the button asks for more while the escalation is taken: the step runs, and the room hears whose it stays.
  const taken = state.incident?.status === 'acknowledged' && state.incident.acknowledged !== undefined && stepNumber !== 1 && step !== undefined
    ? [{ id: 'stays-with', kind: 'notice' as const, text: staysWithLine(state.incident.acknowledged, stepNumber) }] : [];
  const actions: Action[] = step === undefined
    ? [...members, { id: 'notice', kind: 'notice', text: `ping ${pressNumber}: all ${settings.steps.length} steps of the escalation have run` }]
    : [...members, ...late, ...taken, ...stepActions(settings, step)];
  return { step: step === undefined ? undefined : stepNumber, pressNumber, restarted, actions };
}

/** Invitations of the moderators and participants, made whenever the bot takes a room. */
export function memberActions(settings: Settings): Action[] {
  const people = [
    ...settings.webex.moderators.map((email) => ({ email, moderator: true })),
    ...settings.webex.participants.map((email) => ({ email, moderator: false })),
  ];
  return people.map(({ email, moderator }) => ({ id: `member:${email}`, kind: 'member', email, moderator }));
}

function stepActions(settings: Settings, step: Settings['steps'][number]): Action[] {
  const actions: Action[] = [];
  const message = roomMessageFor(step);
  if (message !== undefined || step.file !== undefined) actions.push({ id: 'message', kind: 'message', message, file: step.file });
  const from = (own: string | undefined) => own ?? settings.twilio.from ?? '';
  const twilio: TwilioAction[] = [
    ...(step.sms?.to ?? []).map((to): TwilioAction => ({ id: `sms:${to}`, kind: 'sms', from: from(step.sms?.from), to, body: step.sms!.body })),
    ...(step.call?.to ?? []).map((to): TwilioAction => ({ id: `call:${to}`, kind: 'call', from: from(step.call?.from), to, say: step.call!.say, voice: step.call!.voice })),
  ];
  for (const action of twilio) actions.push(action, { id: `record:${action.id}`, kind: 'record', source: action });
  return actions;
}

/** How an action is named in logs, the press response and the status page. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'member': return `invite ${action.email}${action.moderator ? ' as moderator' : ''}`;
    case 'message': return action.file === undefined ? 'post the message' : `post ${action.file.name}${action.message ? ' with the message' : ''}`;
    case 'sms': return `SMS to ${action.to}`;
    case 'call': return `call ${action.to}`;
    case 'notice': return `post "${action.text}"`;
    case 'card': return `post the card of escalation ${action.view.incident} (${action.view.state})`;
    case 'record': return `record the ${action.source.kind === 'sms' ? 'SMS' : 'call'} to ${action.source.to} in the room`;
  }
}

/** The line recorded in the room after an SMS or a call, as the 2016 bot did; `late` says how late it went out. */
export function recordLine(action: TwilioAction, error: string | undefined, late?: string): string {
  const suffix = late === undefined ? '' : ` (${late})`;
  if (action.kind === 'sms') {
    return error === undefined ? `SMS '${action.body}' sent to ${action.to}${suffix}` : `SMS to ${action.to} failed: ${error}`;
  }
  return error === undefined ? `Calling ${action.to}${suffix}` : `Call to ${action.to} failed: ${error}`;
}
