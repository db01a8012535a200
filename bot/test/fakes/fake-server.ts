// What the fake Webex and Twilio servers share: the loopback HTTP server, body parsing, the record of
// every request, latency and queued faults. Each fake only supplies its routes and its error format.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UploadedFile {
  readonly field: string;
  readonly name: string;
  /** The part's declared Content-Type; '' when the part declared none. */
  readonly type: string;
  readonly bytes: Buffer;
}

export interface RecordedRequest {
  readonly method: string;
  /** Pathname only, e.g. '/v1/rooms' or '/2010-04-01/Accounts/AC.../Messages.json'. */
  readonly path: string;
  readonly query: Record<string, string>;
  /** Media type without parameters, e.g. 'multipart/form-data'. */
  readonly contentType: string | undefined;
  readonly json?: unknown;
  /** URL-encoded body; a repeated key becomes an array. */
  readonly form?: Record<string, string | string[]>;
  readonly multipart?: { fields: Record<string, string>; files: UploadedFile[] };
  /** What the fake answered; 0 while unanswered ('hang' never answers, 'reset' ends the connection instead). */
  readonly status: number;
  /** The kind of the queued fault this request met, if any. */
  readonly fault?: Fault['kind'];
  /** With an `afterWork` fault: the status the route itself produced (its work done), before the fault replaced the answer. */
  readonly workStatus?: number;
  /** performance.now() when the request arrived. */
  readonly at: number;
}

/**
 * What a queued fault does to the request it meets. `afterWork: true` lets the route run first and change the
 * fake's state (the room, message, SMS or call exists), then the real answer is lost: the way a timeout or a
 * dropped connection looks to a client after the provider did the work.
 */
export type Fault =
  /**
   * Answer `status` with `body` (default: the service's error body) and `headers` (e.g. Link); `retryAfterSeconds` adds
   * Retry-After. `text: true` answers the message as text/plain instead, as a proxy or load balancer in front does.
   */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: unknown; text?: boolean; headers?: Record<string, string>; afterWork?: boolean }
  /** Never answer; the connection stays open until close(). */
  | { kind: 'hang'; afterWork?: boolean }
  /** Destroy the connection with a TCP reset instead of answering: ECONNRESET at the client. */
  | { kind: 'reset'; afterWork?: boolean }
  /** Do the work and send the real answer `ms` late (on top of latencyMs). */
  | { kind: 'delay'; ms: number }
  /** Do the work and send the real answer with these headers added or replaced, e.g. a Link that loops or leaves the origin. */
  | { kind: 'headers'; headers: Record<string, string> };

export interface FakeServer {
  /** Base URL to give the bot. */
  readonly url: string;
  /** Every request received, in arrival order, including rejected ones. */
  readonly requests: RecordedRequest[];
  /** The connections clients opened since the start or the last reset: each costs a TLS handshake with the real service. */
  readonly connections: number;
  /** Added before every answer. */
  latencyMs: number;
  /**
   * Every error answer (the fake's refusals and injected status faults) ends its message with the credentials the
   * request carried, decoded, as some services and proxies echo them: the bot must mask them wherever it shows an
   * error. Off until set; reset() turns it off.
   */
  echoCredentials: boolean;
  /**
   * Queue a fault for the next request(s) matching method/path; `times` defaults to 1, and `Infinity` keeps it
   * (an outage) until clearFaults() or reset(). Faults stand for the service failing, so they apply before the
   * fake's own checks (a 429 comes back even with a bad token); with `afterWork` the route and its checks run first.
   */
  fail(match: FaultMatch, fault: Fault, times?: number): void;
  /** Forget the queued faults (an outage queued with `times: Infinity` ends), keeping requests and state. */
  clearFaults(): void;
  /** Forget requests, queued faults and the fake's state. */
  reset(): void;
  /** Stop listening and end every open connection, hanging requests included. */
  close(): Promise<void>;
}

export interface FaultMatch {
  readonly method?: string;
  /** Compared with the request's pathname: equal string, or a RegExp that matches it. */
  readonly path?: string | RegExp;
}

/** A request body, parsed once according to its Content-Type. */
export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: Record<string, string | string[]> }
  | { kind: 'multipart'; fields: Record<string, string>; files: UploadedFile[] }
  | { kind: 'unparsable'; contentType: string; problem: string }
  | { kind: 'other'; contentType: string };

/** What a fake's routes see of a request. */
export interface Call {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Body;
  /** e.g. 'http://127.0.0.1:40123', to build absolute links back to the fake. */
  readonly origin: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Sent as JSON; no body when undefined. */
  readonly body?: unknown;
  /** Sent as text/plain instead of `body`. */
  readonly text?: string;
}

/** Thrown by a route to refuse a request; the fake renders it in its service's error format. */
export class Rejection extends Error {
  readonly status: number;
  /** Service-specific error code (Twilio's `code`). */
  readonly code: number | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, code?: number, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'Rejection';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function reject(status: number, message: string, code?: number, headers?: Record<string, string>): never {
  throw new Rejection(status, message, code, headers);
}

export interface FakeServerOptions {
  /** Path prefix of `url`, e.g. '/v1' for Webex, '' for Twilio. */
  readonly basePath: string;
  readonly latencyMs?: number;
  /** Answer a request (after faults); throw a Rejection to refuse it. */
  readonly handle: (call: Call) => Answer;
  /** The service's error body for a rejection or an injected status fault. */
  readonly errorBody: (status: number, message: string, code: number | undefined) => unknown;
  /** Forget the fake's own state (rooms, messages...). */
  readonly resetState: () => void;
  /** Last touch on every answer, faults included (Webex adds its TrackingID header here). */
  readonly decorate?: (answer: Answer) => Answer;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface QueuedFault {
  readonly match: FaultMatch;
  readonly fault: Fault;
  remaining: number;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const queue: QueuedFault[] = [];
  // Aborted by close(), so answers still waiting out their latency give up instead of keeping the process alive.
  const closing = new AbortController();

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      // A bug in the fake itself: answer loudly rather than leave the bot waiting.
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, { status: 500, body: { message: `fake server error: ${String(error)}` } });
      }
    });
  });
  let connections = 0;
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeServer = {
    url: origin + options.basePath,
    requests,
    get connections() {
      return connections;
    },
    latencyMs: options.latencyMs ?? 0,
    echoCredentials: false,
    fail(match, fault, times = 1) {
      queue.push({ match, fault, remaining: times });
    },
    clearFaults() {
      queue.length = 0;
    },
    reset() {
      requests.length = 0;
      connections = 0;
      queue.length = 0;
      fake.echoCredentials = false;
      options.resetState();
    },
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const url = new URL(req.url ?? '/', origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const rawType = req.headers['content-type'];
    const record: Mutable<RecordedRequest> = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: rawType === undefined ? undefined : mediaType(rawType),
      status: 0,
      at,
    };
    requests.push(record);

    const body = await parseBody(rawType, await readBody(req));
    if (body.kind === 'json') record.json = body.value;
    if (body.kind === 'form') record.form = body.value;
    if (body.kind === 'multipart') record.multipart = { fields: body.fields, files: body.files };

    const fault = takeFault(method, url.pathname);
    if (fault !== undefined) record.fault = fault.kind;
    const echo = (message: string) => (fake.echoCredentials ? `${message} (credentials sent: ${credentialsOf(req.headers)})` : message);
    const work = (): Answer => answerCall({ method, path: url.pathname, query: record.query, headers: req.headers, body, origin }, echo);
    if (fault !== undefined && 'afterWork' in fault && fault.afterWork === true) record.workStatus = work().status;
    if (fault?.kind === 'hang') return; // the connection stays open until close()

    let answer: Answer | undefined;
    if (fault?.kind === 'status') answer = faultAnswer(fault, echo);
    else if (fault?.kind !== 'reset') answer = work();
    if (answer !== undefined && fault?.kind === 'headers') answer = { ...answer, headers: { ...answer.headers, ...fault.headers } };
    // Latency counts from the request's arrival: the fake's own parsing is part of it, not added to it.
    const wait = at + fake.latencyMs + (fault?.kind === 'delay' ? fault.ms : 0) - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: closing.signal });
      } catch {
        return; // closing: the connection is being destroyed anyway
      }
    }
    if (answer === undefined) {
      req.socket.resetAndDestroy();
      return;
    }
    const decorated = options.decorate?.(answer) ?? answer;
    record.status = decorated.status;
    sendJson(res, decorated);
  }

  function answerCall(call: Call, echo: (message: string) => string): Answer {
    try {
      return options.handle(call);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      return { status: error.status, headers: error.headers, body: options.errorBody(error.status, echo(error.message), error.code) };
    }
  }

  function faultAnswer(fault: Extract<Fault, { kind: 'status' }>, echo: (message: string) => string): Answer {
    const headers: Record<string, string> =
      fault.retryAfterSeconds === undefined ? { ...fault.headers } : { 'Retry-After': String(fault.retryAfterSeconds), ...fault.headers };
    const message = echo(`injected fault: HTTP ${fault.status}`);
    if (fault.text === true) return { status: fault.status, headers, text: message };
    return { status: fault.status, headers, body: fault.body ?? options.errorBody(fault.status, message, undefined) };
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const index = queue.findIndex(({ match }) =>
      (match.method === undefined || match.method.toUpperCase() === method) &&
      (match.path === undefined || (typeof match.path === 'string' ? match.path === path : match.path.test(path))));
    const queued = queue[index];
    if (queued === undefined) return undefined;
    queued.remaining -= 1;
    if (queued.remaining <= 0) queue.splice(index, 1);
    return queued.fault;
  }

  return fake;
}

/** What an Authorization header carries, as a person would read it: the bearer token, or Basic's user:password. */
function credentialsOf(headers: IncomingHttpHeaders): string {
  const [scheme = '', value = ''] = (headers.authorization ?? '').split(' ');
  return scheme.toLowerCase() === 'basic' ? Buffer.from(value, 'base64').toString('utf8') : value || 'none';
}

function sendJson(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.text !== undefined) {
    headers['Content-Type'] = 'text/plain; charset=utf-8';
    res.writeHead(answer.status, headers).end(answer.text);
    return;
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers).end();
    return;
  }
  const text = JSON.stringify(answer.body);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(answer.status, headers).end(text);
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(rawType: string | undefined, bytes: Buffer): Promise<Body> {
  if (rawType === undefined) return bytes.length === 0 ? { kind: 'none' } : { kind: 'other', contentType: '' };
  const contentType = mediaType(rawType);
  switch (contentType) {
    case 'application/json':
      try {
        return { kind: 'json', value: JSON.parse(bytes.toString('utf8')) };
      } catch (error) {
        return { kind: 'unparsable', contentType, problem: `the body is not valid JSON (${(error as Error).message})` };
      }
    case 'application/x-www-form-urlencoded': {
      const value: Record<string, string | string[]> = {};
      for (const [key, item] of new URLSearchParams(bytes.toString('utf8'))) {
        const previous = value[key];
        value[key] = previous === undefined ? item : [...(Array.isArray(previous) ? previous : [previous]), item];
      }
      return { kind: 'form', value };
    }
    case 'multipart/form-data':
      return parseMultipart(rawType, bytes);
    default:
      return { kind: 'other', contentType };
  }
}

async function parseMultipart(rawType: string, bytes: Buffer): Promise<Body> {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': rawType } }).formData();
  } catch {
    return { kind: 'unparsable', contentType: 'multipart/form-data', problem: 'the body is not valid multipart/form-data' };
  }
  const declaredTypes = declaredFileTypes(rawType, bytes);
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  for (const [field, value] of form) {
    if (typeof value === 'string') {
      fields[field] = value;
    } else {
      files.push({ field, name: value.name, type: declaredTypes[files.length] ?? '', bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { kind: 'multipart', fields, files };
}

// formData() reports 'text/plain' for a file part that declared no Content-Type; reading the part headers
// keeps that omission visible, in the order of the file parts.
function declaredFileTypes(rawType: string, bytes: Buffer): string[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(rawType)?.[1];
  if (boundary === undefined) return [];
  const types: string[] = [];
  for (const part of bytes.toString('latin1').split(`--${boundary}`)) {
    const headers = part.slice(0, Math.max(part.indexOf('\r\n\r\n'), 0));
    if (!/;\s*filename\*?=/i.test(headers)) continue;
    types.push(/^content-type:\s*([^\r\n;]+)/im.exec(headers.trim())?.[1]?.trim().toLowerCase() ?? '');
  }
  return types;
}
