// Who the escalation reached, as Twilio reports it through its status callbacks: an SMS delivered or not, a
// call answered (by a person or a machine), busy, unanswered or failed. Pure: the callback route parses
// Twilio's form, the sequencer (press/button.ts) journals the change and the room's line.

import type { ButtonState, Contact, Incident } from './state.ts';

/** Twilio's MessageStatus values (twilio.com/docs/messaging/api/message-resource#message-status-values). */
export const MESSAGE_STATUSES = ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'read', 'receiving', 'received'] as const;
/** Twilio's CallStatus values (twilio.com/docs/voice/api/call-resource#call-status-values). */
export const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed'] as const;
/** What answering machine detection says (twilio.com/docs/voice/answering-machine-detection). */
export const ANSWERED_BY = ['human', 'machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax', 'unknown'] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type CallStatus = (typeof CALL_STATUSES)[number];
export type AnsweredBy = (typeof ANSWERED_BY)[number];

/** One status callback, parsed. */
export type StatusReport =
  | { readonly kind: 'sms'; readonly sid: string; readonly status: MessageStatus; readonly errorCode: string | undefined }
  | { readonly kind: 'call'; readonly sid: string; readonly status: CallStatus | undefined; readonly answeredBy: AnsweredBy | undefined };

const FINAL_SMS: ReadonlySet<string> = new Set(['delivered', 'undelivered', 'failed', 'canceled', 'read']);
const FINAL_CALL: ReadonlySet<string> = new Set(['completed', 'busy', 'no-answer', 'canceled', 'failed']);

/** An SMS or a call the escalation made, once Twilio took it (from the delivered outbox entry). */
export function contactMade(incident: Incident, made: Pick<Contact, 'sid' | 'kind' | 'to'>): Incident {
  if (incident.contacts.some((contact) => contact.sid === made.sid)) return incident;
  return { ...incident, contacts: [...incident.contacts, { ...made, status: 'queued' }] };
}

export interface Reported {
  readonly state: ButtonState;
  /** What the room hears, when this report settles what happened. */
  readonly line: string | undefined;
}

/**
 * The state once `report` is applied, or undefined when it is not about this escalation's SMS or calls (or
 * adds nothing: Twilio may repeat a callback). A call nobody answered, or that a machine answered, does not
 * count as reaching the person: while the escalation runs on its timers, the next step comes at once.
 */
export function reported(state: ButtonState, report: StatusReport, now: Date): Reported | undefined {
  const incident = state.incident;
  const contact = incident?.contacts.find((one) => one.sid === report.sid && one.kind === report.kind);
  if (incident === undefined || contact === undefined) return undefined;
  // Once final, a late intermediate status (callbacks may cross) changes nothing.
  const status = report.status === undefined || (isFinal(contact) && !FINAL_SMS.has(report.status) && !FINAL_CALL.has(report.status)) ? contact.status : report.status;
  const answeredBy = report.kind === 'call' ? report.answeredBy ?? contact.answeredBy : undefined;
  const errorCode = report.kind === 'sms' ? report.errorCode ?? contact.errorCode : undefined;
  const next: Contact = { ...contact, status, ...(answeredBy === undefined ? {} : { answeredBy }), ...(errorCode === undefined ? {} : { errorCode }) };
  if (next.status === contact.status && next.answeredBy === contact.answeredBy && next.errorCode === contact.errorCode) return undefined;
  const settledNow = isFinal(next) && !isFinal(contact);
  const unreached = settledNow && next.kind === 'call' && !reachedPerson(next);
  const timer = incident.timer;
  const hurry = unreached && incident.status === 'escalating' && timer !== undefined && timer.kind === undefined && Date.parse(timer.dueAt) > now.getTime();
  return {
    state: {
      ...state,
      incident: {
        ...incident,
        contacts: incident.contacts.map((one) => (one.sid === contact.sid ? next : one)),
        ...(hurry ? { timer: { ...timer, dueAt: now.toISOString() } } : {}),
      },
    },
    line: settledNow ? `${outcomeLine(next)}${hurry ? `: step ${timer.step} runs now` : ''}` : undefined,
  };
}

function isFinal(contact: Contact): boolean {
  return contact.kind === 'sms' ? FINAL_SMS.has(contact.status) : FINAL_CALL.has(contact.status);
}

/** A completed call reached the person unless a machine answered it. */
function reachedPerson(contact: Contact): boolean {
  return contact.status === 'completed' && (contact.answeredBy === undefined || contact.answeredBy === 'human' || contact.answeredBy === 'unknown');
}

/** "SMS to +352… delivered", "Call to +352…: no answer": the outcome in words, for the room and the status page. */
export function outcomeLine(contact: Contact): string {
  if (contact.kind === 'sms') {
    const why = contact.errorCode === undefined ? '' : ` (Twilio error ${contact.errorCode})`;
    return contact.status === 'delivered' || contact.status === 'read' ? `SMS to ${contact.to} delivered` : `SMS to ${contact.to} ${contact.status}${why}`;
  }
  switch (contact.status) {
    case 'completed':
      if (contact.answeredBy === 'fax') return `Call to ${contact.to}: a fax machine answered`;
      return contact.answeredBy?.startsWith('machine') ? `Call to ${contact.to}: voicemail answered, not a person` : `Call to ${contact.to} answered`;
    case 'no-answer': return `Call to ${contact.to}: no answer`;
    case 'busy': return `Call to ${contact.to}: busy`;
    default: return `Call to ${contact.to}: ${contact.status}`;
  }
}
