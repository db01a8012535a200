// Where Webex delivers card clicks and the messages that mention the bot (POST /webex/events): the
// signature is checked on the raw bytes before anything else, then the click or the message and the person
// are read from Webex (deliveries carry ids only), and the caller's `handle` or `command` acts on it.

import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parseCardSubmission, type CardAction } from '../core/card.ts';
import type { CommandMessage } from '../core/room-command.ts';
import { newCall, type ApiCall } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { Person, WebexClient } from '../webex/client.ts';
import { WEBEX_EVENTS_PATH } from '../webex/webhook-registration.ts';

/** A delivery is a few hundred bytes; anything near this is not from Webex. */
const DEFAULT_LIMIT_BYTES = 64 * 1024;
const DEFAULT_DEADLINE_MS = 10_000;
const SIGNATURE = /^[0-9a-f]{40}$/i;

export interface CardClick {
  readonly action: CardAction;
  /** The escalation id the button submits. */
  readonly incident: string;
  readonly person: { readonly id: string; readonly name: string };
  /** The card's message and its room, as Webex shows them (not as the delivery claims). */
  readonly messageId: string;
  readonly roomId: string;
  /** The bot's own person id: a click by the bot itself takes nothing. */
  readonly botId: string;
}

export interface WebexWebhookServices {
  /** The secret the bot registered its webhook with; undefined before it did. */
  readonly secret: () => string | undefined;
  readonly webex: WebexClient;
  /**
   * Acknowledges or resolves. Must be idempotent: the same click may arrive twice (a person clicks twice,
   * two webhooks of ours exist for a moment), and a click for an incident already past that state is a no-op.
   */
  readonly handle: (click: CardClick) => Promise<void>;
  /** Acts on a command given in a room. Must be idempotent too: a delivery may come twice. */
  readonly command: (message: CommandMessage) => Promise<void>;
  readonly log: Logger;
  readonly limitBytes?: number;
  /** Bound on the Webex reads (`handle` bounds its own work). */
  readonly deadlineMs?: number;
}

/**
 * The answer waits for the Webex reads (bounded by `deadlineMs`) and for `handle`, so its status says
 * whether the click was taken: 502 when Webex could not show it, 500 when handling failed. Answering 200
 * first would say "taken" for clicks that were not, and gain nothing: Webex documents no redelivery of
 * failed deliveries, and should one come, `handle` is idempotent. The work is two short GETs and a state
 * change, well within the time a webhook target is given.
 */
export function webexWebhookRoutes(services: WebexWebhookServices): express.Router {
  const { webex, log } = services;
  const deadlineMs = services.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const router = express.Router();
  // Who the bot is does not change while it runs: asked once, again only after a failure.
  let bot: Promise<Person> | undefined;
  const me = (call: ApiCall): Promise<Person> => (bot ??= webex.self(call).catch((error: unknown) => {
    bot = undefined;
    throw error;
  }));
  /** What a delivery names, read from Webex: the work to do and what the log says of it; undefined when it is not ours to do. */
  const read = async (resource: 'attachmentActions' | 'messages', id: string, call: ApiCall): Promise<Work | { readonly ignored: string }> => {
    if (resource === 'attachmentActions') {
      const action = await webex.getAttachmentAction(id, call);
      const submission = parseCardSubmission(action.inputs);
      if (submission === undefined) return { ignored: 'not one of our cards' };
      const [person, self] = await Promise.all([webex.getPerson(action.personId, call), me(call)]);
      const click: CardClick = { ...submission, person: { id: person.id, name: person.displayName }, messageId: action.messageId, roomId: action.roomId, botId: self.id };
      return { run: () => services.handle(click), fields: { action: click.action, incident: click.incident, person: click.person.id, message: click.messageId } };
    }
    const [message, self] = await Promise.all([webex.getMessage(id, call), me(call)]);
    if (message.personId === self.id) return { ignored: "the bot's own message" };
    const person = await webex.getPerson(message.personId, call);
    const command: CommandMessage = {
      messageId: message.id, roomId: message.roomId, person: { id: person.id, name: person.displayName }, text: message.text,
      bot: { id: self.id, name: self.displayName },
    };
    return { run: () => services.command(command), fields: { command: message.id, person: person.id, room: message.roomId } };
  };

  router.post(
    WEBEX_EVENTS_PATH,
    (req, res, next) => {
      // Checked before the body is read, so no body parser decides on its own what JSON is.
      if (req.is('application/json') === false || req.headers['content-type'] === undefined) {
        res.status(415).json({ error: 'expected application/json' });
        return;
      }
      next();
    },
    // Raw bytes: the signature covers exactly what Webex sent. No inflation, so the bytes are those signed.
    express.raw({ type: () => true, limit: services.limitBytes ?? DEFAULT_LIMIT_BYTES, inflate: false }),
    async (req: Request, res: Response) => {
      const body: unknown = req.body;
      const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const secret = services.secret();
      if (secret === undefined || !signedWith(raw, req.get('x-spark-signature'), secret)) {
        log('webex event refused', { why: secret === undefined ? 'no webhook secret yet' : 'bad or missing signature' });
        res.status(403).json({ error: 'forbidden' });
        return;
      }
      const event = parseEvent(raw);
      if (event === undefined) {
        res.status(400).json({ error: 'expected a Webex webhook event as a JSON object' });
        return;
      }
      if ((event.resource !== 'attachmentActions' && event.resource !== 'messages') || event.event !== 'created') {
        res.status(200).json({ ignored: `${event.resource}/${event.event}` });
        return;
      }
      if (event.dataId === undefined) {
        res.status(400).json({ error: `a ${event.resource} event without data.id` });
        return;
      }
      const what = event.resource === 'messages' ? 'message' : 'click';
      let work: Work | { readonly ignored: string };
      try {
        work = await read(event.resource, event.dataId, newCall(AbortSignal.timeout(deadlineMs)));
      } catch (error) {
        log(`webex ${what} unread`, { error: message(error) });
        res.status(502).json({ error: `could not read the ${what} from Webex` });
        return;
      }
      if ('ignored' in work) {
        log(`webex ${what} ignored`, { why: work.ignored });
        res.status(200).json({ ignored: work.ignored });
        return;
      }
      try {
        await work.run();
      } catch (error) {
        log(`webex ${what} failed`, { ...work.fields, error: message(error) });
        res.status(500).json({ error: `the ${what} could not be handled` });
        return;
      }
      log(`webex ${what}`, work.fields);
      res.status(200).json({ ok: true });
    },
  );

  // Body-parser's errors (413 past the limit, 400 for a body cut short): their status, no stack trace.
  router.use(WEBEX_EVENTS_PATH, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status !== 'number' || status < 400 || status > 499) {
      next(error);
      return;
    }
    log('webex event refused', { why: status === 413 ? 'too large' : 'unreadable body', status });
    res.status(status).json({ error: status === 413 ? 'too large' : 'unreadable body' });
  });
  return router;
}

/** Webex signs with hex HMAC-SHA1 of the body; compared in constant time on equal-length digests. */
function signedWith(raw: Buffer, signature: string | undefined, secret: string): boolean {
  if (signature === undefined || !SIGNATURE.test(signature)) return false;
  const expected = createHmac('sha1', secret).update(raw).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}

interface Work {
  readonly run: () => Promise<void>;
  readonly fields: Readonly<Record<string, string>>;
}

function parseEvent(raw: Buffer): { resource: string; event: string; dataId: string | undefined } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { resource, event, data } = value as Record<string, unknown>;
  const dataId = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).id : undefined;
  if (typeof resource !== 'string' || typeof event !== 'string') return undefined;
  return { resource, event, dataId: typeof dataId === 'string' && dataId !== '' ? dataId : undefined };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
