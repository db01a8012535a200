// When to send an API call again within one attempt at an action: after a 429 (Retry-After), after a
// failure that surely took no effect (the connection was never made), and after a 5xx or a lost answer
// only when the request is safe to repeat. Everything else goes back to the caller, which checks with
// the provider before sending again (press/deliver.ts).

export interface RetryPolicy {
  /** Total time allowed for one call, all attempts and pauses included. */
  readonly deadlineMs: number;
  /** Longest wait for one attempt's answer. */
  readonly attemptTimeoutMs: number;
  readonly firstPauseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { deadlineMs: 20_000, attemptTimeoutMs: 10_000, firstPauseMs: 250 };

export type Attempted =
  | { readonly status: number; readonly retryAfterMs?: number | undefined }
  | { readonly status: 'not-sent' | 'no-answer' };

/** Milliseconds to wait before the next attempt, or undefined when the call should fail now. */
export function pauseBeforeRetry(policy: RetryPolicy, attempt: number, outcome: Attempted, elapsedMs: number, repeatable: boolean): number | undefined {
  const backoff = policy.firstPauseMs * 2 ** (attempt - 1);
  let pause: number;
  if (outcome.status === 429) pause = outcome.retryAfterMs ?? backoff;
  else if (outcome.status === 'not-sent') pause = backoff;
  else if (repeatable && (outcome.status === 'no-answer' || outcome.status >= 500)) pause = backoff;
  else return undefined;
  return elapsedMs + pause < policy.deadlineMs ? pause : undefined;
}
