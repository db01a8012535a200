// Who may take (acknowledge) or resolve an escalation, through which door. Every door becomes one typed
// command; this is the one place that decides whether it belongs to the escalation under way. Pure: the
// callback routes parse the requests, the sequencer (press/button.ts) applies the outcome.

import { MESSAGE_SIDS_KEPT } from './incident.ts';
import type { Acknowledgement, ButtonState, Incident } from './state.ts';

export type Take =
  /** The status page: whoever holds its token, in the name typed there. */
  | { readonly via: 'status page'; readonly name: string }
  /** A long or double press set to acknowledge or resolve: whoever stands at the button. */
  | { readonly via: 'button' }
  /** A command in a room ("@Bot on it"): who wrote it, where, and which message (answered in its thread). */
  | { readonly via: 'Webex room'; readonly name: string; readonly personId: string; readonly botId: string; readonly roomId: string; readonly messageId: string }
  /** "1" on a call: the number called, the call's CallSid, and the escalation its Gather URL names. */
  | { readonly via: 'phone'; readonly number: string; readonly callSid: string; readonly escalation: string | undefined }
  /** An SMS reply ACK: the number that wrote and the message's MessageSid. */
  | { readonly via: 'SMS'; readonly number: string; readonly messageSid: string }
  /** A card's button: who clicked, where, on which message, and the escalation the button submits. */
  | {
    readonly via: 'Webex'; readonly name: string; readonly personId: string; readonly botId: string;
    readonly roomId: string; readonly messageId: string; readonly escalation: string;
  };

export type Claim =
  | { readonly ok: true; readonly who: Omit<Acknowledgement, 'at'> }
  /** `why` is for the log only: the person who tried is told nothing that helps a forger. */
  | { readonly ok: false; readonly why: string };

/** Whether `take` comes from this escalation's people or cards, and in whose name. */
export function claim(state: ButtonState, take: Take): Claim {
  const incident = state.incident;
  if (take.via === 'status page') return { ok: true, who: { name: take.name, via: take.via } };
  if (take.via === 'button') return { ok: true, who: { name: 'someone at the button', via: 'button' } };
  if (incident === undefined || incident.status === 'resolved') return { ok: false, why: 'no escalation is under way' };
  switch (take.via) {
    case 'phone':
      if (take.escalation !== incident.id) return { ok: false, why: 'the call belongs to another escalation' };
      if (!incident.calls.includes(take.callSid)) return { ok: false, why: 'not a call this escalation placed' };
      return { ok: true, who: { name: take.number, via: 'phone' } };
    case 'SMS':
      if (!incident.reached.includes(take.number)) return { ok: false, why: 'not a number this escalation texted or called' };
      if (incident.messageSids.includes(take.messageSid)) return { ok: false, why: 'this message was already used' };
      return { ok: true, who: { name: take.number, via: 'SMS' } };
    case 'Webex room':
      if (take.personId === take.botId) return { ok: false, why: 'the bot itself wrote it' };
      if (take.roomId !== state.room?.id) return { ok: false, why: "a message outside the bot's room" };
      return { ok: true, who: { name: take.name, via: 'Webex' } };
    case 'Webex':
      if (take.personId === take.botId) return { ok: false, why: 'the bot itself clicked' };
      if (take.roomId !== state.room?.id) return { ok: false, why: "a card outside the bot's room" };
      if (take.escalation !== incident.id || !incident.cards.includes(take.messageId)) return { ok: false, why: 'not a card of this escalation' };
      return { ok: true, who: { name: take.name, via: 'Webex' } };
  }
}

/** The incident once `take` was used: an SMS's MessageSid takes nothing a second time. */
export function used(incident: Incident, take: Take): Incident {
  return take.via === 'SMS' && !incident.messageSids.includes(take.messageSid)
    ? { ...incident, messageSids: [take.messageSid, ...incident.messageSids].slice(0, MESSAGE_SIDS_KEPT) } : incident;
}

/** What the bot made for an escalation, once delivered: the calls whose "1" and the cards whose buttons take it. */
export function madeFor(incident: Incident, made: { readonly kind: 'call' | 'card'; readonly providerId: string }): Incident {
  const list = made.kind === 'call' ? incident.calls : incident.cards;
  if (list.includes(made.providerId)) return incident;
  return made.kind === 'call' ? { ...incident, calls: [...list, made.providerId] } : { ...incident, cards: [...list, made.providerId] };
}
