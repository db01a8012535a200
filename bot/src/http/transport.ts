// The one door through which the bot talks to Webex and Twilio. The real transport retries; the
// dry-run transport only records. Both clients are written against this interface.

import type { FormData } from 'undici';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | FormData;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** What one API call did, for the press record: how many attempts, and in dry-run the request it would have sent. */
export interface CallTrace {
  attempts: number;
  readonly wouldSend: DescribedRequest[];
}

export interface DescribedRequest {
  readonly method: string;
  readonly url: string;
  /** The body as a person would read it; secrets are never part of it. */
  readonly body?: unknown;
}

export interface Transport {
  /** Resolves with a 2xx response; rejects with ApiError or NetworkError once retrying is over. */
  send(request: HttpRequest, trace: CallTrace): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** The API answered with an error status. */
export class ApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** The service's own explanation, from its JSON error body. */
  readonly apiMessage: string;
  constructor(request: HttpRequest, status: number, apiMessage: string) {
    super(`${request.method} ${redactUrl(request.url)} answered ${status}${apiMessage ? `: ${apiMessage}` : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.method = request.method;
    this.url = redactUrl(request.url);
    this.apiMessage = apiMessage;
  }
}

/** The request never got an answer (refused, reset, timed out). */
export class NetworkError extends Error {
  readonly method: string;
  readonly url: string;
  constructor(request: HttpRequest, cause: unknown) {
    const reason = cause instanceof Error ? (cause as Error & { code?: string }).code ?? cause.message : String(cause);
    super(`${request.method} ${redactUrl(request.url)} got no answer (${reason})`, { cause });
    this.name = 'NetworkError';
    this.method = request.method;
    this.url = redactUrl(request.url);
  }
}

/** For messages and logs: origin and path only (query strings may carry anything), and no Twilio account SID. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/Accounts\/AC\w+/, '/Accounts/AC…')}`;
  } catch {
    return '(invalid URL)';
  }
}

/** The service's own error message from a Webex (`message`, `errors[].description`) or Twilio (`message`, `code`) body. */
export function apiMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; code?: unknown; errors?: { description?: unknown }[] };
    const message = typeof parsed.message === 'string' ? parsed.message
      : typeof parsed.errors?.[0]?.description === 'string' ? parsed.errors[0].description : '';
    return typeof parsed.code === 'number' && message ? `${message} (code ${parsed.code})` : message;
  } catch {
    return body.slice(0, 200);
  }
}
