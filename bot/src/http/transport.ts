// The one door through which the bot talks to Webex and Twilio. The real transport retries only what
// surely took no effect, or what is safe to repeat; the dry-run transport only records. Both clients
// are written against this interface, and their errors keep the provider's facts as fields.

import type { MultipartForm } from './multipart.ts';
import { scrubSecrets } from './scrub.ts';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | MultipartForm;
  /**
   * Sending it twice does no harm (reads, deletes, an invitation Webex answers 409 to), so it may be
   * sent again after a 5xx or a lost answer. Defaults to true for GET and DELETE, false otherwise.
   */
  readonly repeatable?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One API call: what it did (for the press record), and the signal that cancels it (deadline, shutdown). */
export interface ApiCall {
  /** The most tries any one of its requests took: 1 when nothing had to be sent again. */
  attempts: number;
  /** Dry-run: the requests that would have been sent. */
  readonly wouldSend: DescribedRequest[];
  readonly signal?: AbortSignal;
}

export function newCall(signal?: AbortSignal): ApiCall {
  return { attempts: 0, wouldSend: [], ...(signal === undefined ? {} : { signal }) };
}

export interface DescribedRequest {
  readonly method: string;
  readonly url: string;
  /** The body as a person would read it; secrets are never part of it. */
  readonly body?: unknown;
}

export interface Transport {
  /** Resolves with a 2xx response; rejects with ApiError or NetworkError once retrying is over. */
  send(request: HttpRequest, call: ApiCall): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function isRepeatable(request: HttpRequest): boolean {
  return request.repeatable ?? (request.method === 'GET' || request.method === 'DELETE');
}

/** The API answered with an error status. */
export class ApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** The service's own explanation, scrubbed of account SIDs and tokens. */
  readonly apiMessage: string;
  /** Twilio's numeric error code. */
  readonly code: number | undefined;
  /** Webex's tracking id, which Webex support asks for. */
  readonly trackingId: string | undefined;
  /** From Retry-After, when the service said when to come back. */
  readonly retryAfterMs: number | undefined;

  constructor(request: HttpRequest, response: HttpResponse) {
    const facts = errorFacts(response);
    const url = redactUrl(request.url);
    super(`${request.method} ${url} answered ${response.status}${facts.message ? `: ${facts.message}` : ''}`
      + `${facts.code === undefined ? '' : ` (code ${facts.code})`}${facts.trackingId === undefined ? '' : ` (tracking id ${facts.trackingId})`}`);
    this.name = 'ApiError';
    this.status = response.status;
    this.method = request.method;
    this.url = url;
    this.apiMessage = facts.message;
    this.code = facts.code;
    this.trackingId = facts.trackingId;
    this.retryAfterMs = retryAfterMs(header(response, 'retry-after'));
  }
}

/** What went wrong before an answer came back. */
export type NoAnswer =
  /** The connection was never made, so the request surely took no effect. */
  | { readonly kind: 'not sent'; readonly reason: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'lost'; readonly reason: string }
  | { readonly kind: 'cancelled' };

/** The request got no answer: refused, reset, timed out or cancelled. */
export class NetworkError extends Error {
  readonly method: string;
  readonly url: string;
  readonly failure: NoAnswer;
  constructor(request: HttpRequest, failure: NoAnswer, cause?: unknown) {
    const url = redactUrl(request.url);
    super(`${request.method} ${url} ${describeNoAnswer(failure)}`, { cause });
    this.name = 'NetworkError';
    this.method = request.method;
    this.url = url;
    this.failure = failure;
  }
}

/** A 2xx whose body is not what the API documents: the action fails, and nothing of it is kept. */
export class AnswerError extends Error {
  constructor(what: string, problem: string) {
    super(`${what}: unexpected answer (${problem})`);
    this.name = 'AnswerError';
  }
}

function describeNoAnswer(failure: NoAnswer): string {
  switch (failure.kind) {
    case 'not sent': return `could not be sent (${failure.reason})`;
    case 'timeout': return `got no answer within ${Math.round(failure.ms / 100) / 10} s`;
    case 'lost': return `lost its connection before the answer (${failure.reason})`;
    case 'cancelled': return 'was cancelled (deadline or shutdown)';
  }
}

/**
 * True when the provider may have done the work although the bot does not know it: a 5xx, a timeout, a
 * connection lost after the request went out. Such a request is checked with the provider before it is
 * sent again, or, where that cannot be done, sent again knowing it may make a copy.
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500;
  if (error instanceof NetworkError) return error.failure.kind !== 'not sent';
  return true; // anything else happened after the request may have left
}

/** Worth trying again later: throttled, unavailable, no answer. Other 4xx and unexpected answers are final. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 429 || error.status >= 500;
  return error instanceof NetworkError && error.failure.kind !== 'cancelled';
}

/** For messages and logs: origin and path only (query strings may carry anything), and no Twilio account SID. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return scrubSecrets(`${parsed.origin}${parsed.pathname}`);
  } catch {
    return '(invalid URL)';
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The service's own error message, code and tracking id from a Webex or Twilio body, scrubbed. */
function errorFacts(response: HttpResponse): { message: string; code: number | undefined; trackingId: string | undefined } {
  let parsed: { message?: unknown; code?: unknown; errors?: { description?: unknown }[]; trackingId?: unknown } = {};
  try {
    const value: unknown = JSON.parse(response.body);
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    parsed = { message: response.body.slice(0, 200) };
  }
  const message = typeof parsed.message === 'string' ? parsed.message
    : typeof parsed.errors?.[0]?.description === 'string' ? parsed.errors[0].description : '';
  const trackingId = typeof parsed.trackingId === 'string' ? parsed.trackingId : header(response, 'trackingid');
  return {
    message: scrubSecrets(message.replace(/\s+/g, ' ').trim()).slice(0, 300),
    code: typeof parsed.code === 'number' ? parsed.code : undefined,
    trackingId: trackingId === undefined ? undefined : scrubSecrets(trackingId).slice(0, 100),
  };
}

/** Retry-After is either seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
