// The real transport: keep-alive connections through undici, retrying as http/retry.ts decides.

import { Agent, request } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, NetworkError, apiMessageOf, type CallTrace, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';
import { DEFAULT_RETRY, pauseBeforeRetry, type RetryPolicy } from './retry.ts';

export class UndiciTransport implements Transport {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  private readonly policy: RetryPolicy;

  constructor(policy: RetryPolicy = DEFAULT_RETRY) {
    this.policy = policy;
  }

  async send(req: HttpRequest, trace: CallTrace): Promise<HttpResponse> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      trace.attempts = attempt;
      let response: HttpResponse | undefined;
      let failure: NetworkError | undefined;
      try {
        response = await this.attempt(req);
      } catch (error) {
        failure = new NetworkError(req, error);
      }
      if (response !== undefined && response.status >= 200 && response.status < 300) return response;
      const retryAfter = response?.headers['retry-after'];
      const pause = pauseBeforeRetry(
        this.policy,
        attempt,
        response === undefined ? { status: 'no-answer' } : { status: response.status, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter },
        performance.now() - started,
      );
      if (pause === undefined) {
        throw failure ?? new ApiError(req, response!.status, apiMessageOf(response!.body));
      }
      await sleep(pause);
    }
  }

  private async attempt(req: HttpRequest): Promise<HttpResponse> {
    const answer = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.policy.attemptTimeoutMs),
    });
    return { status: answer.statusCode, headers: answer.headers, body: await answer.body.text() };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
