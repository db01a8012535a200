// Where Webex delivers card clicks (POST /webex/events): the signature is checked on the raw bytes before
// anything else, then the click and the person are read from Webex (deliveries carry neither), and the
// caller's `handle` acknowledges or resolves the incident.

import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parseCardSubmission, type CardAction } from '../core/card.ts';
import { newCall, type ApiCall } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { WebexClient } from '../webex/client.ts';
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
  const { webex, handle, log } = services;
  const deadlineMs = services.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const router = express.Router();
  // Who the bot is does not change while it runs: asked once, again only after a failure.
  let botId: Promise<string> | undefined;
  const me = (call: ApiCall): Promise<string> => (botId ??= webex.me(call).catch((error: unknown) => {
    botId = undefined;
    throw error;
  }));

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
      if (event.resource !== 'attachmentActions' || event.event !== 'created') {
        res.status(200).json({ ignored: `${event.resource}/${event.event}` });
        return;
      }
      if (event.actionId === undefined) {
        res.status(400).json({ error: 'a card click event without data.id' });
        return;
      }
      const call = newCall(AbortSignal.timeout(deadlineMs));
      const actionId = event.actionId;
      let click: CardClick;
      try {
        const action = await webex.getAttachmentAction(actionId, call);
        const submission = parseCardSubmission(action.inputs);
        if (submission === undefined) {
          log('webex click ignored', { why: 'not one of our cards', message: action.messageId });
          res.status(200).json({ ignored: 'not one of our cards' });
          return;
        }
        const [person, botId] = await Promise.all([webex.getPerson(action.personId, call), me(call)]);
        click = { ...submission, person: { id: person.id, name: person.displayName }, messageId: action.messageId, roomId: action.roomId, botId };
      } catch (error) {
        log('webex click unread', { error: message(error) });
        res.status(502).json({ error: 'could not read the click from Webex' });
        return;
      }
      try {
        await handle(click);
      } catch (error) {
        log('webex click failed', { action: click.action, incident: click.incident, error: message(error) });
        res.status(500).json({ error: 'the click could not be handled' });
        return;
      }
      log('webex click', { action: click.action, incident: click.incident, person: click.person.id, message: click.messageId });
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

function parseEvent(raw: Buffer): { resource: string; event: string; actionId: string | undefined } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { resource, event, data } = value as Record<string, unknown>;
  const actionId = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).id : undefined;
  if (typeof resource !== 'string' || typeof event !== 'string') return undefined;
  return { resource, event, actionId: typeof actionId === 'string' && actionId !== '' ? actionId : undefined };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
