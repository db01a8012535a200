// Puts each button's parts together: its view of the state, its room keeper, its outbox and its sequencer,
// all on the same clients. The bot assembles its buttons at start (main.ts); the warm-up assembles the same
// buttons again over a throwaway state and a stand-in (press/warm-up.ts).

import type { Gather } from '../core/twiml.ts';
import type { Logger } from '../log.ts';
import type { BotSettings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import type { TwilioClient } from '../twilio/client.ts';
import type { WebexClient } from '../webex/client.ts';
import { Button } from './button.ts';
import { attempt } from './deliver.ts';
import { Escalations, type Escalation } from './escalations.ts';
import { Outbox } from './outbox.ts';
import { RoomKeeper } from './rooms.ts';

export interface Parts {
  readonly store: StateStore;
  readonly webex: WebexClient;
  readonly twilio: TwilioClient;
  readonly log: Logger;
  readonly dryRun: boolean;
  readonly now: () => Date;
  /** Aborted at shutdown: every wait and request stops. */
  readonly signal: AbortSignal;
  /** Secrets to mask in any error text kept or shown. */
  readonly secrets: readonly (string | undefined)[];
  readonly gather: (incident: string | undefined) => Gather | undefined;
  readonly statusCallback: string | undefined;
  /** The bot has a public URL, so each escalation gets its card. */
  readonly cards: boolean;
}

/** One escalation per button, each with the token of its URLs (`tokens`, in the order of `bot.buttons`). */
export function assembleEscalations(bot: BotSettings, tokens: readonly string[], parts: Parts): Escalations {
  const { store, webex, twilio, log, dryRun, now, signal, secrets, gather, statusCallback, cards } = parts;
  return new Escalations(bot.buttons.map((settings, index): Escalation => {
    const name = settings.name;
    // With several buttons, each line says whose it is.
    const buttonLog: Logger = bot.folder ? (event, fields = {}) => log(event, { button: name, ...fields }) : log;
    const view = store.button(name);
    const rooms = new RoomKeeper({ settings, store: view, webex, log: buttonLog });
    const outbox = new Outbox({
      store: view, rooms, log: buttonLog, now, deliverWithinMs: settings.server.deliverWithinMs, signal,
      attempt: (entry, attemptSignal, source) => attempt({ store: view, webex, twilio, rooms, secrets, gather, statusCallback }, entry, attemptSignal, source),
    });
    const button = new Button({ settings, store: view, rooms, outbox, log: buttonLog, dryRun, now, signal, pressTimeoutMs: settings.server.pressTimeoutMs, cards });
    return { name, token: tokens[index]!, settings, store: view, button, outbox };
  }));
}
