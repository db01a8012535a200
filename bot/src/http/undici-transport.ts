// The real transport: keep-alive connections through undici, retrying as http/retry.ts decides, each
// attempt bounded by a timeout and every wait cancelled by the caller's signal.

import { Agent } from 'undici';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeForm } from './multipart.ts';
import { ApiError, NetworkError, isRepeatable, type ApiCall, type HttpRequest, type HttpResponse, type NoAnswer, type Transport } from './transport.ts';
import { DEFAULT_RETRY, pauseBeforeRetry, type RetryPolicy } from './retry.ts';

/** Errors raised before a connection exists: the request cannot have reached the service. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export class UndiciTransport implements Transport {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  private readonly policy: RetryPolicy;

  constructor(policy: RetryPolicy = DEFAULT_RETRY) {
    this.policy = policy;
  }

  async send(req: HttpRequest, call: ApiCall): Promise<HttpResponse> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      call.attempts = Math.max(call.attempts, attempt);
      let error: ApiError | NetworkError;
      try {
        const response = await this.attempt(req, call.signal);
        if (response.status >= 200 && response.status < 300) return response;
        error = new ApiError(req, response);
      } catch (failure) {
        if (!(failure instanceof NetworkError)) throw failure;
        error = failure;
      }
      const outcome = error instanceof ApiError ? { status: error.status, retryAfterMs: error.retryAfterMs }
        : { status: error.failure.kind === 'not sent' ? 'not-sent' as const : 'no-answer' as const };
      const cancelled = error instanceof NetworkError && error.failure.kind === 'cancelled';
      const pause = cancelled ? undefined : pauseBeforeRetry(this.policy, attempt, outcome, performance.now() - started, isRepeatable(req));
      if (pause === undefined) throw error;
      try {
        await sleep(pause, undefined, call.signal === undefined ? {} : { signal: call.signal });
      } catch {
        throw error; // cancelled while waiting: the last failure says what happened
      }
    }
  }

  private async attempt(req: HttpRequest, signal: AbortSignal | undefined): Promise<HttpResponse> {
    if (signal?.aborted) throw new NetworkError(req, { kind: 'cancelled' });
    const timeout = AbortSignal.timeout(this.policy.attemptTimeoutMs);
    try {
      const url = new URL(req.url);
      // The agent's own request(): undici's top-level request() only adds this parsing of the URL.
      const answer = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        ...wire(req),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      const response = { status: answer.statusCode, headers: answer.headers, body: await answer.body.text() };
      // undici gives a connection back one turn of the event loop after its answer ends (it first checks the
      // server kept it open): a request sent at once, as the next step of a press is, would open another
      // connection, with a TLS handshake in front of it. After this turn it reuses this one.
      await new Promise((resolve) => setImmediate(resolve));
      return response;
    } catch (error) {
      throw new NetworkError(req, classify(error, signal, timeout, this.policy.attemptTimeoutMs), error);
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

/** The headers and body as they go out: a form is encoded again for each attempt. */
function wire(req: HttpRequest): { headers: Record<string, string>; body?: string | Readable } {
  if (typeof req.body !== 'object') return { headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }) };
  const form = encodeForm(req.body);
  return { headers: { ...req.headers, 'content-type': form.contentType, 'content-length': String(form.length) }, body: form.body };
}

function classify(error: unknown, signal: AbortSignal | undefined, timeout: AbortSignal, timeoutMs: number): NoAnswer {
  if (signal?.aborted) return { kind: 'cancelled' };
  if (timeout.aborted) return { kind: 'timeout', ms: timeoutMs };
  const code = errorCode(error);
  if (code !== undefined && NOT_SENT.has(code)) return { kind: 'not sent', reason: code };
  return { kind: 'lost', reason: code ?? (error instanceof Error ? error.message : String(error)) };
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
  }
  return undefined;
}
