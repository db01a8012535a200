// The HTTP face of the bot: the button's press URL, the health check, and nothing else that leaks.

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { PressRecord } from '../core/state.ts';
import { scrubSecrets } from '../http/scrub.ts';
import type { Logger } from '../log.ts';
import type { Button } from '../press/button.ts';
import type { Settings } from '../settings/types.ts';
import type { StateStore } from '../state/store.ts';
import { errorAnswer } from './error-answer.ts';
import { EventStreams } from './event-streams.ts';
import { statusRoutes } from './status-routes.ts';

export interface AppServices {
  readonly button: Button;
  readonly store: StateStore;
  readonly buttonToken: string;
  /** Every secret to mask in an answer: the button token, the Webex token, Twilio's account SID and auth token. */
  readonly secrets: readonly (string | undefined)[];
  readonly log: Logger;
  readonly settings: Settings;
  /** Webex's and Twilio's callbacks (each checks its own signature), mounted before anything reads a body. */
  readonly callbacks: readonly express.Router[];
  /** Committed changes of the outbox, for the status page. */
  readonly onChange: (listener: () => void) => void;
}

export interface BotApp extends express.Express {
  /** Ends the status page's event streams; call it with server.close(), which waits for open connections. */
  closeStreams(): void;
}

/** A press needs no body; one this large is not a button's. */
const PRESS_BODY_LIMIT = '16kb';

export function createApp(services: AppServices): BotApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const tokenMatches = tokenChecker(services.buttonToken);
  const streams = new EventStreams();

  const press: RequestHandler[] = [
    (req, res, next) => {
      if (!tokenMatches(req.params.token)) {
        next('route'); // on to the 404 below, as for any unknown address
      } else if (req.method !== 'GET' && req.method !== 'POST') {
        // HEAD too, though Express would answer it with GET's handler: a HEAD must carry the headers the
        // GET would, and those depend on a press it must not make. Probes have /health.
        res.status(405).set('allow', 'GET, POST').json({ error: 'press with GET or POST' });
      } else {
        next();
      }
    },
    // Read (and drop) whatever body comes, so that an oversized one is refused before it presses.
    express.raw({ type: () => true, limit: PRESS_BODY_LIMIT }),
    async (_req, res) => {
      const record = await services.button.press();
      // 202: nothing failed, and some actions are still being tried after the press deadline.
      const pending = record.actions.some((action) => action.status === 'pending');
      res.status(!record.ok ? 502 : pending ? 202 : 200).json(pressAnswer(record));
    },
  ];
  app.all('/press/:token', ...press);

  app.get('/health', async (_req, res) => {
    const failure = services.store.writeFailure;
    // Public: it says what is wrong, not where (the log has the file's path).
    res.status(failure === undefined ? 200 : 503).json({
      ok: failure === undefined, settings: 'loaded', stateWritable: failure === undefined,
      ...(failure === undefined ? {} : { error: `the state file could not be written${/ \(\w+\)$/.exec(failure)?.[0] ?? ''}; see the bot's log` }),
    });
  });

  for (const callbacks of services.callbacks) app.use(callbacks);
  app.use(statusRoutes({ button: services.button, store: services.store, settings: services.settings, tokenMatches, press, streams, onChange: services.onChange, secrets: services.secrets }));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // What escapes a handler: a malformed request, or the state file that cannot be written, say.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const answer = errorAnswer(error, services.store.writeFailure);
    // A rejected request is logged by its reason, not its text: that holds what the client sent.
    if (answer.status < 500) services.log('request rejected', { method: req.method, status: answer.status, reason: answer.error });
    else services.log('error', { method: req.method, message: error instanceof Error ? error.message : String(error) });
    if (res.headersSent) res.destroy();
    else res.status(answer.status).json({ error: scrubSecrets(answer.error, services.secrets) });
  });
  return Object.assign(app, { closeStreams: () => streams.close() });
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
    ...(record.incident === undefined ? {} : { incident: record.incident }),
  };
}

/** Compares tokens in constant time: hashing first makes the lengths equal too. */
export function tokenChecker(expected: string): (candidate: unknown) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const want = digest(expected);
  return (candidate) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), want);
}
