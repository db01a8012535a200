// The status page under /status/<token>: the page itself (or its JSON, for scripts), a stream of
// server-sent events that updates it after every press, and the virtual button and reset it posts to.
// A wrong token falls through to the bot's ordinary 404, as if the page did not exist.

import { randomBytes } from 'node:crypto';
import express, { type RequestHandler, type Response } from 'express';
import type { Button } from '../press/button.ts';
import type { Settings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import { statusPage, statusRegions } from '../status/page.ts';
import { statusView, type StatusView } from '../status/status-view.ts';

export interface StatusServices {
  readonly button: Button;
  readonly store: StateStore;
  readonly settings: Settings;
  readonly tokenMatches: (candidate: unknown) => boolean;
  /** The handler of /press/<token>: the virtual button presses exactly as the physical one does. */
  readonly press: RequestHandler;
}

/** Proxies (Caddy included) close a connection that stays silent too long; a comment line keeps the stream open. */
const KEEP_ALIVE_MS = 25_000;

export function statusRoutes(services: StatusServices): express.Router {
  const { button, store, settings, tokenMatches } = services;
  const view = (): StatusView => statusView(settings, store.current, button.dryRun, new Date());
  const streams = new Set<Response>();
  const broadcast = () => {
    if (streams.size === 0) return;
    const event = statusEvent(view());
    for (const stream of streams) stream.write(event);
  };
  button.onPress(broadcast);
  setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS).unref();

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
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    // The current status first: a press made between loading the page and connecting is not missed, nor one made while reconnecting.
    res.write(statusEvent(view()));
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  page.post('/press', services.press);
  page.post('/reset', express.json({ limit: '1kb' }), async (req, res) => {
    const deleteRoom = (req.body as { deleteRoom?: unknown } | undefined)?.deleteRoom ?? false;
    if (typeof deleteRoom !== 'boolean') {
      res.status(400).json({ error: 'deleteRoom must be true or false' });
      return;
    }
    const outcome = await button.reset({ deleteRoom });
    broadcast();
    res.status(outcome.error === undefined ? 200 : 502).json({ reset: true, ...outcome });
  });

  const router = express.Router();
  router.use('/status/:token', (req, res, next) => {
    if (tokenMatches(req.params.token)) page(req, res, next);
    else next();
  });
  return router;
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
