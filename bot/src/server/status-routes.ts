// The status page under /status/<token>: the page itself (or its JSON, for scripts), a stream of
// server-sent events that updates it after every press, and the virtual button and reset it posts to.
// A wrong token falls through to the bot's ordinary 404, as if the page did not exist.

import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { scrubSecrets } from '../http/scrub.ts';
import type { Escalation, Escalations } from '../press/escalations.ts';
import { EventStreams } from './event-streams.ts';
import { statusPage, statusRegions } from '../status/page.ts';
import { statusView, type StatusView } from '../status/status-view.ts';

export interface StatusServices {
  readonly escalations: Escalations;
  /** The handlers of /press/<token>: the virtual button presses exactly as the physical one does. */
  readonly press: readonly RequestHandler[];
  /** Refuses (403, answered) what a page of another site sends; see app.ts. */
  readonly fromThisSite: (req: Request, res: Response) => boolean;
  /** Masked in the reset's answer, which may quote Webex's refusal to delete the room. */
  readonly secrets: readonly (string | undefined)[];
}

/** Each button's page, under its own token; `closeStreams` ends every page's event streams, at shutdown. */
export function statusRoutes(services: StatusServices): { readonly router: express.Router; readonly closeStreams: () => void } {
  const pages = new Map(services.escalations.all.map((escalation) => [escalation, buttonPage(services, escalation)]));
  const router = express.Router();
  router.use('/status/:token', (req, res, next) => {
    const escalation = services.escalations.find({ by: 'token', token: req.params.token });
    if (escalation === undefined) next();
    else pages.get(escalation)!.page(req, res, next);
  });
  return { router, closeStreams: () => pages.forEach(({ streams }) => streams.close()) };
}

function buttonPage(services: StatusServices, escalation: Escalation): { readonly page: express.Router; readonly streams: EventStreams } {
  const { button, store, settings, outbox } = escalation;
  // Each button's own streams: a page never hears of another button's presses.
  const streams = new EventStreams();
  const view = (): StatusView => statusView(settings, store.current, button.dryRun, new Date());
  const broadcast = () => streams.send(() => statusEvent(view()));
  button.onPress(broadcast);
  outbox.onChange(broadcast);

  const page = express.Router({ mergeParams: true });
  page.get('/', (req, res) => {
    res.set({ 'cache-control': 'no-store', vary: 'Accept', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    if (req.accepts(['html', 'json']) === 'json') {
      res.json(view());
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    res.set('content-security-policy', contentSecurityPolicy(nonce)).type('html').send(statusPage(view(), nonce));
  });
  page.get('/events', (req, res) => {
    // The current status first: a press made between loading the page and connecting is not missed, nor one made while reconnecting.
    streams.open(req, res, () => statusEvent(view()));
  });
  // The page's POSTs are JSON only: a type a plain HTML form or a "simple" cross-origin request cannot send
  // without the browser asking the bot first (which it never allows). With the Sec-Fetch-Site and Origin check,
  // no page of another site presses, takes, resolves or resets.
  const jsonOnly = (req: Request, res: Response, next: NextFunction) => {
    if (!services.fromThisSite(req, res)) return;
    if (req.is('application/json') !== 'application/json') res.status(415).json({ error: 'send the body as application/json' });
    else next();
  };
  page.post('/press', jsonOnly, ...services.press);
  const jsonBody = [jsonOnly, express.json({ type: () => true, limit: '1kb' })];
  // "I'm on it" and "Resolved" from the page: in the press queue like every change, in the name typed there.
  for (const [path, kind] of [['/ack', 'acknowledge'], ['/resolve', 'resolve']] as const) {
    page.post(path, ...jsonBody, async (req, res) => {
      const name = takerName(req.body);
      if (name === undefined) {
        res.status(400).json({ error: 'the body must be {"name": "<who takes it>"}, at most 80 characters, or empty' });
        return;
      }
      const outcome = await button.run({ kind, take: { via: 'status page', name } });
      broadcast();
      res.status(outcome.changed ? 200 : 409).json(outcome.changed ? { changed: true, line: outcome.line } : outcome);
    });
  }
  page.post('/reset', ...jsonBody, async (req, res) => {
    const deleteRoom = resetRequest(req.body);
    if (deleteRoom === undefined) {
      res.status(400).json({ error: 'the body must be {"deleteRoom": true} or {"deleteRoom": false}' });
      return;
    }
    const outcome = await button.run({ kind: 'reset', deleteRoom });
    broadcast();
    const error = outcome.error === undefined ? {} : { error: scrubSecrets(outcome.error, services.secrets) };
    res.status(outcome.error === undefined ? 200 : 502).json({ reset: true, ...outcome, ...error });
  });

  return { page, streams };
}

/** Who takes the escalation from the page: the name typed, or a plain description when none was. */
function takerName(body: unknown): string | undefined {
  if (body === undefined) return 'someone on the status page';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { name = '', ...rest } = body as { name?: unknown };
  if (typeof name !== 'string' || name.length > 80 || Object.keys(rest).length > 0) return undefined;
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' ? 'someone on the status page' : clean;
}

/** Whether to delete the room: no body means no; a misspelt key is refused rather than read as no. */
function resetRequest(body: unknown): boolean | undefined {
  if (body === undefined) return false;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { deleteRoom = false, ...rest } = body as { deleteRoom?: unknown };
  return typeof deleteRoom === 'boolean' && Object.keys(rest).length === 0 ? deleteRoom : undefined;
}

function statusEvent(view: StatusView): string {
  return `event: status\ndata: ${JSON.stringify(statusRegions(view))}\n\n`;
}

/** Only the page's own style and script run; it talks to the bot alone and is never framed. */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, "connect-src 'self'",
    "img-src 'self' data:", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}
