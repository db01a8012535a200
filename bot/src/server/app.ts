// The HTTP face of the bot: the button's press URL, the health check, and nothing else that leaks.

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { PressRecord } from '../core/state.ts';
import type { Logger } from '../log.ts';
import type { Button } from '../press/button.ts';
import type { Settings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import { statusRoutes } from './status-routes.ts';

export interface AppServices {
  readonly button: Button;
  readonly store: StateStore;
  readonly buttonToken: string;
  readonly log: Logger;
  readonly settings: Settings;
}

export function createApp(services: AppServices): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const tokenMatches = tokenChecker(services.buttonToken);

  const press = async (req: Request, res: Response, next: NextFunction) => {
    if (!tokenMatches(req.params.token)) {
      next(); // on to the 404 below, as for any unknown address
      return;
    }
    const record = await services.button.press();
    // 202: nothing failed, and some actions are still being tried after the press deadline.
    const pending = record.actions.some((action) => action.status === 'pending');
    res.status(!record.ok ? 502 : pending ? 202 : 200).json(pressAnswer(record));
  };
  app.get('/press/:token', press);
  app.post('/press/:token', press);

  app.get('/health', async (_req, res) => {
    const failure = services.store.writeFailure;
    res.status(failure === undefined ? 200 : 503).json({ ok: failure === undefined, settings: 'loaded', stateWritable: failure === undefined, ...(failure === undefined ? {} : { error: failure }) });
  });

  app.use(statusRoutes({ button: services.button, store: services.store, settings: services.settings, tokenMatches, press }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // What escapes a handler (the state file cannot be written, say): a plain answer, no stack trace.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const message = error instanceof Error ? error.message : String(error);
    services.log('error', { message });
    res.status(500).json({ error: message });
  });
  return app;
}

/** What the button (and curl) gets back: the step and the outcome of each action, never a secret. */
export function pressAnswer(record: PressRecord): object {
  return {
    press: record.id,
    ok: record.ok,
    kind: record.kind,
    step: record.step,
    dryRun: record.dryRun,
    durationMs: record.durationMs,
    actions: record.actions.map(({ summary, status, attempts, error }) => ({ action: summary, status, attempts, ...(error ? { error } : {}) })),
    ...(record.ok ? {} : { failed: record.actions.filter((action) => action.status === 'failed' || action.status === 'given up').map((action) => action.summary) }),
    ...(record.actions.some((action) => action.status === 'pending') ? { pending: record.actions.filter((action) => action.status === 'pending').map((action) => action.summary) } : {}),
    ...(record.coalesced === undefined ? {} : { countedWith: record.id, coalesced: record.coalesced }),
  };
}

/** Compares tokens in constant time: hashing first makes the lengths equal too. */
export function tokenChecker(expected: string): (candidate: unknown) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const want = digest(expected);
  return (candidate) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), want);
}
