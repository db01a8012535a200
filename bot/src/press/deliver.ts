// One attempt at one outbox entry. An SMS or a call that may already have reached Twilio is looked for
// there first, and sent again only when Twilio shows it did not happen. A room message cannot be looked
// for (Webex lets a bot list only messages that mention it), so it is posted again after a lost answer.

import { incidentCard } from '../core/card.ts';
import type { Gather } from '../core/twiml.ts';
import { recordLineOf, type AttemptResult } from '../core/outbox.ts';
import { recordLine } from '../core/plan.ts';
import type { OutboxEntry, RoomState } from '../core/state.ts';
import { ApiError, isTransient, mayHaveTakenEffect, newCall, type ApiCall } from '../http/transport.ts';
import { scrubSecrets } from '../http/scrub.ts';
import type { ButtonStore } from '../state/button-store.ts';
import type { TwilioClient } from '../twilio/client.ts';
import type { WebexClient } from '../webex/client.ts';
import type { RoomKeeper } from './rooms.ts';

/** Twilio's clock and ours may differ: a check looks this much further back than the journal. */
const CLOCK_MARGIN_MS = 120_000;

export interface DeliverServices {
  readonly store: ButtonStore;
  readonly webex: WebexClient;
  readonly twilio: TwilioClient;
  readonly rooms: RoomKeeper;
  /** Secrets to mask in any error text kept or shown. */
  readonly secrets: readonly (string | undefined)[];
  /** Where a call's "Press 1" answers, when the bot can be reached and can check Twilio's signature. */
  readonly gather: (incident: string | undefined) => Gather | undefined;
  /** Where Twilio reports an SMS's or a call's fate, when the bot can be reached and can check Twilio's signature. */
  readonly statusCallback: string | undefined;
}

/** `source` is the settled SMS or call a record line reports on. */
export async function attempt(services: DeliverServices, entry: OutboxEntry, signal: AbortSignal, source?: OutboxEntry): Promise<AttemptResult> {
  const call = newCall(signal);
  try {
    const providerId = await perform(services, entry, call, source);
    return { kind: 'delivered', tries: call.attempts, providerId, wouldSend: call.wouldSend };
  } catch (error) {
    return {
      kind: 'failed',
      tries: call.attempts,
      error: scrubSecrets(error instanceof Error ? error.message : String(error), services.secrets),
      transient: isTransient(error),
      uncertain: mayHaveTakenEffect(error),
      retryAfterMs: error instanceof ApiError ? error.retryAfterMs : undefined,
    };
  }
}

async function perform(services: DeliverServices, entry: OutboxEntry, call: ApiCall, source: OutboxEntry | undefined): Promise<string | undefined> {
  const { webex, twilio, rooms } = services;
  const action = entry.action;
  switch (action.kind) {
    case 'member': {
      const room = await rooms.get(call);
      await webex.addMember(room.id, action.email, action.moderator, call);
      return undefined;
    }
    case 'message':
      return inRoom(services, call, (room) => webex.postMessage(room.id, action.message, action.file, call));
    case 'notice':
      return inRoom(services, call, (room) => webex.postMessage(room.id, { format: 'text', body: action.text }, undefined, call, action.parentId));
    case 'card':
      return inRoom(services, call, (room) => webex.postCard(room.id, incidentCard(action.view), call));
    case 'record': {
      // The press is folded away only once its record lines are settled, so the source is there.
      const line = source === undefined ? recordLine(action.source, 'not sent') : recordLineOf(action.source, source);
      return inRoom(services, call, (room) => webex.postMessage(room.id, { format: 'text', body: line }, undefined, call));
    }
    case 'sms':
      return (entry.uncertain ? await twilio.findSms(sentQuery(services, entry, action), action.body, call) : undefined)
        ?? twilio.sendSms(action.from, action.to, action.body, call, services.statusCallback);
    case 'call':
      return (entry.uncertain ? await twilio.findCall(sentQuery(services, entry, action), call) : undefined)
        ?? twilio.placeCall(action.from, action.to, action.say, action.voice, call, services.gather(action.incident), services.statusCallback);
  }
}

function sentQuery(services: DeliverServices, entry: OutboxEntry, action: { from: string; to: string }) {
  return { from: action.from, to: action.to, since: new Date(Date.parse(entry.journaledAt) - CLOCK_MARGIN_MS), exclude: services.store.claimed() };
}

/** Posts in the room; when Webex says the room is gone, takes one again (with its people) and posts there. */
async function inRoom(services: DeliverServices, call: ApiCall, post: (room: RoomState) => Promise<string>): Promise<string> {
  const room = await services.rooms.get(call);
  try {
    return await post(room);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    await services.rooms.lost(room.id);
    return post(await services.rooms.get(call));
  }
}
