// Twilio's requests to the bot: the key pressed on an escalation call (the call's <Gather> action) and an
// SMS sent to the bot's Twilio number. Each is checked with the SDK's own request validation before anything
// is read from it: a missing or wrong X-Twilio-Signature gets 403 and changes nothing. Twilio signs the public
// HTTPS URL it called, while the bot behind Caddy sees http and another host, so the URL checked is the
// public URL followed by the path and query the bot received.

import express, { type NextFunction, type Request, type Response } from 'express';
import { GATHER_PATH, messageTwiml, SMS_PATH, sayTwiml, STATUS_PATH, xmlSafe } from '../core/twiml.ts';
import { ESCALATION_ID } from '../core/card.ts';
import type { Take } from '../core/claims.ts';
import { ANSWERED_BY, CALL_STATUSES, MESSAGE_STATUSES, type StatusReport } from '../core/contacts.ts';
import type { Logger } from '../log.ts';

/** What a phone key or an SMS reply asks: core/claims.ts decides whether it is this escalation's. */
export type PhoneTake = Extract<Take, { via: 'phone' | 'SMS' }>;

/** What the bot answers: words to say on the call or text back, or `undefined` for no SMS reply at all. */
export type TakeAnswer = string | undefined;

export interface TwilioCallbackOptions {
  /** The bot's public URL (BTTN_PUBLIC_URL or server.url), e.g. https://bot.example.com: what Twilio signs. */
  readonly publicUrl: string;
  /** The account's auth token: the key of Twilio's signatures. Never logged nor answered. */
  readonly authToken: string;
  /** The numbers the escalation under way texted or called: only they get a reply. */
  readonly numbers: () => readonly string[];
  /** Records the acknowledgement (journaled, not waiting for Webex); resolves with the answer. */
  readonly acknowledge: (take: PhoneTake) => Promise<TakeAnswer>;
  /** Records what a status callback says of an SMS or a call (ignored unless the escalation made it). */
  readonly status: (report: StatusReport) => Promise<void>;
  readonly log: Logger;
}

/** Twilio's callbacks are a few kilobytes at most (an SMS body of 1,600 characters, percent-encoded, with its ~40 parameters). */
const BODY_LIMIT = '64kb';
const PARAMETER_LIMIT = 200;
const FORM = 'application/x-www-form-urlencoded';
const ACK = /^ack$/i;

export const NOT_DONE = 'You did not press 1, so nothing was recorded. Goodbye.';
export const SMS_HELP = 'Reply ACK to take this escalation.';
export const NOT_RECORDED = 'Sorry, the bot could not record that. Please answer in Webex.';
/** Said on a call that is not this escalation's: nothing that helps a forger. */
export const NOTHING_RECORDED = 'Nothing was recorded. Goodbye.';

type Form = Readonly<Record<string, string | string[] | undefined>>;
type Webhooks = typeof import('twilio/lib/webhooks/webhooks.js');

// Only the SDK's small webhooks module (crypto, url and querystring), not the client: loaded on the first callback.
let webhooks: Promise<Webhooks> | undefined;
const loadWebhooks = (): Promise<Webhooks> => (webhooks ??= import('twilio/lib/webhooks/webhooks.js'));

export function twilioCallbackRoutes(options: TwilioCallbackOptions): express.Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const { authToken, log } = options;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: PARAMETER_LIMIT, type: FORM });

  const refuse = (req: Request, res: Response, status: number, reason: string): void => {
    log('twilio callback refused', { path: req.path, status, reason });
    res.status(status).type('text/plain').send(`${reason}\n`);
  };

  /** Content type, then signature: a request that is not Twilio's learns nothing more than 415 or 403. */
  const fromTwilio = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const body: unknown = req.body;
    // Asked of the request itself: a JSON parser mounted earlier in the app would also leave an object here.
    if (!req.is(FORM) || typeof body !== 'object' || body === null) {
      refuse(req, res, 415, `Twilio's callbacks are ${FORM}`);
      return;
    }
    const signature = req.get('X-Twilio-Signature');
    if (!signature || !(await signedByTwilio(signature, publicUrl + req.originalUrl, body as Form))) {
      refuse(req, res, 403, 'not signed by Twilio for this URL');
      return;
    }
    next();
  };

  const signedByTwilio = async (signature: string, url: string, params: Form): Promise<boolean> => {
    const { validateRequest } = await loadWebhooks();
    try {
      return validateRequest(authToken, signature, url, params);
    } catch {
      return false; // a URL the SDK cannot parse was not signed
    }
  };

  const answer = (res: Response, twiml: string): void => {
    res.status(200).type('text/xml').send(twiml);
  };

  /** Asks for the acknowledgement; a failure is logged and answered with words, so the person hears or reads it. */
  const acknowledged = async (take: PhoneTake): Promise<TakeAnswer> => {
    try {
      const words = await options.acknowledge(take);
      return words === undefined ? undefined : xmlSafe(words);
    } catch (error) {
      log('acknowledgement failed', { via: take.via, error: error instanceof Error ? error.message : String(error) });
      return NOT_RECORDED;
    }
  };

  router.post(GATHER_PATH, form, fromTwilio, async (req, res) => {
    const fields = single(req.body as Form, ['To', 'Digits', 'CallSid']);
    const escalation = escalationOf(req.originalUrl);
    if (typeof fields === 'string') return refuse(req, res, 400, fields);
    if (escalation === null) return refuse(req, res, 400, 'incident must be given once, as an escalation id');
    // On an outbound call's callbacks, To (and Called) is the number the bot called.
    const { To: to, Digits: digits, CallSid: callSid } = fields;
    if (!to || !callSid) return refuse(req, res, 400, 'To (the number called) and CallSid are required');
    if (digits !== '1') return answer(res, sayTwiml(NOT_DONE, undefined));
    answer(res, sayTwiml(await acknowledged({ via: 'phone', number: to, callSid, escalation }) ?? NOTHING_RECORDED, undefined));
  });

  router.post(SMS_PATH, form, fromTwilio, async (req, res) => {
    const fields = single(req.body as Form, ['From', 'Body', 'MessageSid']);
    if (typeof fields === 'string') return refuse(req, res, 400, fields);
    const { From: from, Body: text = '', MessageSid: messageSid } = fields;
    if (!from || !messageSid) return refuse(req, res, 400, 'From (the sender) and MessageSid are required');
    // A stranger gets no reply: the bot's number must not become a way to send SMS at the account's cost.
    if (!ACK.test(text.trim())) return answer(res, messageTwiml(options.numbers().includes(from) ? SMS_HELP : undefined));
    const words = await acknowledged({ via: 'SMS', number: from, messageSid });
    answer(res, messageTwiml(words === '' ? undefined : words));
  });

  // Twilio's StatusCallback for SMS and calls, and the background answering machine detection's (same URL).
  router.post(STATUS_PATH, form, fromTwilio, async (req, res) => {
    const fields = single(req.body as Form, ['MessageSid', 'MessageStatus', 'ErrorCode', 'CallSid', 'CallStatus', 'AnsweredBy']);
    if (typeof fields === 'string') return refuse(req, res, 400, fields);
    const report = statusReport(fields);
    if (typeof report === 'string') return refuse(req, res, 400, report);
    await options.status(report);
    res.status(204).end();
  });

  // What body-parser refuses, in our words (its own messages may quote the request).
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = typeof error === 'object' && error !== null && 'type' in error && 'status' in error ? Number(error.status) : 0;
    if (status === 413) return refuse(req, res, 413, `the body is larger than a Twilio callback (${BODY_LIMIT}, ${PARAMETER_LIMIT} parameters)`);
    if (status === 415) return refuse(req, res, 415, 'the body must be UTF-8');
    if (status >= 400 && status < 500) return refuse(req, res, 400, `the body is not a complete ${FORM} form`);
    next(error);
  });

  return router;
}

/** Each named field once at most, or what is wrong. */
function single<const K extends string>(form: Form, names: readonly K[]): Partial<Record<K, string>> | string {
  const values: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = form[name];
    if (Array.isArray(value)) return `${name} is given ${value.length} times`;
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** A status callback's fields as one typed report, or what is wrong with them. */
function statusReport(fields: Partial<Record<'MessageSid' | 'MessageStatus' | 'ErrorCode' | 'CallSid' | 'CallStatus' | 'AnsweredBy', string>>): StatusReport | string {
  const oneOf = <T extends string>(values: readonly T[], value: string | undefined): T | undefined => values.find((known) => known === value);
  if (fields.MessageSid !== undefined) {
    const status = oneOf(MESSAGE_STATUSES, fields.MessageStatus);
    if (status === undefined) return 'MessageStatus is missing or not one of Twilio\'s';
    return { kind: 'sms', sid: fields.MessageSid, status, errorCode: fields.ErrorCode || undefined };
  }
  if (fields.CallSid === undefined) return 'a status callback names a MessageSid or a CallSid';
  const status = oneOf(CALL_STATUSES, fields.CallStatus);
  const answeredBy = oneOf(ANSWERED_BY, fields.AnsweredBy);
  if (status === undefined && answeredBy === undefined) return 'CallStatus or AnsweredBy is missing or not one of Twilio\'s';
  return { kind: 'call', sid: fields.CallSid, status, answeredBy };
}

/** The escalation in the action URL's query (the bot wrote it, Twilio signed it); null when malformed. */
function escalationOf(originalUrl: string): string | undefined | null {
  const given = new URL(originalUrl, 'http://bot.invalid').searchParams.getAll('incident');
  if (given.length === 0) return undefined;
  const [value] = given;
  return given.length === 1 && value !== undefined && ESCALATION_ID.test(value) ? value : null;
}
