// The HTTP face of the bot: the button's press URL, the health check, and nothing else that leaks.

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { PressRecord } from '../core/state.ts';
import { pressCompiled } from '../config/code-cache.ts';
import { scrubSecrets } from '../http/scrub.ts';
import type { Logger } from '../log.ts';
import { buttonEvent } from '../core/button-event.ts';
import type { EventAnswer } from '../press/button.ts';
import type { Escalation, Escalations } from '../press/escalations.ts';
import type { StateStore } from '../state/store.ts';
import { errorAnswer } from './error-answer.ts';
import { buttonsIndex } from './buttons-index.ts';
import { statusRoutes } from './status-routes.ts';

export interface AppServices {
  /** The buttons, found by the token in their URLs. */
  readonly escalations: Escalations;
  /** The whole state, for the health check. */
  readonly store: StateStore;
  /** BTTN_TOKEN: the index page of the buttons. */
  readonly botToken: string;
  /** Every secret to mask in an answer: the tokens, the Webex token, Twilio's account SID and auth token. */
  readonly secrets: readonly (string | undefined)[];
  readonly log: Logger;
  /** Webex's and Twilio's callbacks (each checks its own signature), mounted before anything reads a body. */
  readonly callbacks: readonly express.Router[];
  /** The bot's public URL, if any: a browser's Origin may name it (behind Caddy the bot sees another scheme). */
  readonly publicUrl?: string | undefined;
}

export interface BotApp extends express.Express {
  /** Ends the status page's event streams; call it with server.close(), which waits for open connections. */
  closeStreams(): void;
}

/** A press needs no body; one this large is not a button's. */
const PRESS_BODY_LIMIT = '16kb';
/** bt.tn's HTTP action sends GET, POST or PUT. */
const PRESS_METHODS: readonly string[] = ['GET', 'POST', 'PUT'];

export function createApp(services: AppServices): BotApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const { escalations } = services;
  /** The button each press request's token found, from the first handler to the last. */
  const pressed = new WeakMap<Request, Escalation>();
  const fromThisSite = sameSiteOnly(services.publicUrl, services.log);

  const press: RequestHandler[] = [
    (req, res, next) => {
      const escalation = escalations.find({ by: 'token', token: req.params.token });
      if (escalation === undefined) {
        next('route'); // on to the 404 below, as for any unknown address
      } else if (!fromThisSite(req, res)) {
        // Answered: another site's page (an <img>, a form) does not press.
      } else if (!PRESS_METHODS.includes(req.method)) {
        // HEAD too, though Express would answer it with GET's handler: a HEAD must carry the headers the
        // GET would, and those depend on a press it must not make. Probes have /health.
        res.status(405).set('allow', PRESS_METHODS.join(', ')).json({ error: `press with ${PRESS_METHODS.join(', ')}` });
      } else {
        pressed.set(req, escalation);
        next();
      }
    },
    // Read whatever body comes, so that an oversized one is refused before it presses.
    express.raw({ type: () => true, limit: PRESS_BODY_LIMIT }),
    async (req, res) => {
      const read = pressArguments(req);
      const event = read.args === undefined ? read : buttonEvent(read.args);
      if ('error' in event) {
        res.status(400).json({ error: event.error });
        return;
      }
      const answer = await pressed.get(req)!.button.run({ kind: 'event', event });
      res.status(eventStatus(answer)).json(eventAnswer(answer));
      pressCompiled();
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
  const status = statusRoutes({ escalations, press, fromThisSite, secrets: services.secrets });
  app.use(status.router);
  app.use(buttonsIndex({ escalations, botToken: services.botToken, publicUrl: services.publicUrl, tokenMatches: tokenChecker(services.botToken) }));

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
  return Object.assign(app, { closeStreams: status.closeStreams });
}

/**
 * The press's arguments, from the query string and a form or JSON body (as bt.tn's HTTP action sends
 * them), the body's winning; a body of another type is not read.
 */
function pressArguments(req: Request): { readonly args: Record<string, unknown> } | { readonly args?: undefined; readonly error: string } {
  const args: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body.toString('utf8') : undefined;
  if (body === undefined) return { args };
  if (req.is('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body)) args[key] = value;
    return { args };
  }
  if (!req.is(['application/json', '+json'])) return { args };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { error: 'the body is not valid JSON; send {"eid": "<EID>", "type": "<ETYPE>"} or no body' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { error: 'the JSON body must be an object, such as {"eid": "<EID>", "type": "<ETYPE>"}' };
  return { args: { ...args, ...(json as Record<string, unknown>) } };
}

/** 2xx for everything the button should show green; a step that failed is 502, so its LED shows red. */
function eventStatus(answer: EventAnswer): number {
  switch (answer.kind) {
    case 'press': {
      // 202: nothing failed, and some actions are still being tried after the press deadline.
      const pending = answer.record.actions.some((action) => action.status === 'pending');
      return !answer.record.ok ? 502 : pending ? 202 : 200;
    }
    case 'reset': return answer.outcome.error === undefined ? 200 : 502;
    default: return 200;
  }
}

function eventAnswer(answer: EventAnswer): object {
  switch (answer.kind) {
    case 'press': return pressAnswer(answer.record);
    case 'already handled': return { alreadyHandled: true, eid: answer.eid, handledBy: answer.handledBy };
    case 'heartbeat': return { heartbeat: true, at: answer.at };
    case 'acknowledge': case 'resolve': {
      const { outcome } = answer;
      return { gesture: answer.gesture, did: answer.kind, changed: outcome.changed, ...(outcome.changed ? { line: outcome.line } : { why: outcome.why }) };
    }
    case 'reset': return { gesture: answer.gesture, did: 'reset', ...answer.outcome };
    case 'nothing': return { gesture: answer.gesture, did: 'nothing' };
  }
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

/**
 * Whether a request may change something: a browser marks what another site's page sends (an <img>, a form,
 * a fetch) with `Sec-Fetch-Site: cross-site`, and a POST with its `Origin`. bt.tn's server and curl send
 * neither. Answers 403 itself when not, and returns false.
 */
export function sameSiteOnly(publicUrl: string | undefined, log: Logger): (req: Request, res: Response) => boolean {
  const publicOrigin = publicUrl === undefined ? undefined : originOf(publicUrl);
  return (req, res) => {
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const ownOrigin = origin === undefined || origin === publicOrigin || (originOf(origin) !== undefined && new URL(origin).host === req.get('host'));
    if (site !== 'cross-site' && ownOrigin) return true;
    log('request refused', { method: req.method, why: 'sent by a page of another site', site, origin });
    res.status(403).json({ error: 'refused: a page of another site cannot press or take the escalation' });
    return false;
  };
}

/** The origin of a URL, or undefined (an Origin of `null`, say, from a sandboxed page). */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Compares tokens in constant time: hashing first makes the lengths equal too. */
export function tokenChecker(expected: string): (candidate: unknown) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const want = digest(expected);
  return (candidate) => typeof candidate === 'string' && timingSafeEqual(digest(candidate), want);
}
