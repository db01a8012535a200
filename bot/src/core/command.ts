// What acts on a button's escalation, whichever door it came through, and how each door names the button.
// The doors (press URL, status page, Webex card and room, phone key, SMS, Twilio's status callback) turn a
// request into one Command and one Address; press/escalations.ts finds the button, its Button runs it.
// The step timer is the escalation's own, and never comes through a door.

import type { ButtonEvent } from './button-event.ts';
import type { Take } from './claims.ts';
import type { StatusReport } from './contacts.ts';
import type { CommandMessage } from './room-command.ts';

/** Taking an escalation, or closing it. */
export type TakeKind = 'acknowledge' | 'resolve';

export type Command =
  /** What the button sent: a press, a long or a double press, or a sign of life (`gesture`). */
  | { readonly kind: 'event'; readonly event: ButtonEvent }
  /** Someone takes the escalation, or closes it: core/claims.ts decides whether they may. */
  | { readonly kind: TakeKind; readonly take: Take }
  /** Back to step 1, with the room deleted or not. */
  | { readonly kind: 'reset'; readonly deleteRoom: boolean }
  /** A message in the room that mentions the bot: status, ack, resolve, reset, help. */
  | { readonly kind: 'room'; readonly message: CommandMessage }
  /** What Twilio says of an SMS or a call. */
  | { readonly kind: 'report'; readonly report: StatusReport };

/** How a door names the button: by what the request carries, never by a guess. */
export type Address =
  /** The press URL and the status page: the button's token. */
  | { readonly by: 'token'; readonly token: unknown }
  /** A message in a room: the button whose room it is. */
  | { readonly by: 'room'; readonly roomId: string }
  /** A card's button, a key pressed on a call: the escalation id they carry. */
  | { readonly by: 'escalation'; readonly id: string | undefined }
  /** An SMS reply: the escalation under way that texted or called the number (the newest, if several did). */
  | { readonly by: 'number'; readonly number: string }
  /** A status callback: the escalation that made the SMS or call. */
  | { readonly by: 'contact'; readonly sid: string };
