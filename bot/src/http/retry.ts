// When to try an API call again: 429 after Retry-After, 5xx and no answer with growing pauses,
// all within a deadline; any other 4xx is final.

export interface RetryPolicy {
  /** Total time allowed for one call, all attempts and pauses included. */
  readonly deadlineMs: number;
  /** Longest wait for one attempt's answer. */
  readonly attemptTimeoutMs: number;
  readonly firstPauseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { deadlineMs: 20_000, attemptTimeoutMs: 10_000, firstPauseMs: 250 };

export type Attempted = { readonly status: number; readonly retryAfter?: string } | { readonly status: 'no-answer' };

/** Milliseconds to wait before the next attempt, or undefined when the call should fail now. */
export function pauseBeforeRetry(policy: RetryPolicy, attempt: number, outcome: Attempted, elapsedMs: number): number | undefined {
  let pause: number;
  if (outcome.status === 429) {
    pause = retryAfterMs(outcome.retryAfter) ?? policy.firstPauseMs * 2 ** (attempt - 1);
  } else if (outcome.status === 'no-answer' || outcome.status >= 500) {
    pause = policy.firstPauseMs * 2 ** (attempt - 1);
  } else {
    return undefined;
  }
  return elapsedMs + pause < policy.deadlineMs ? pause : undefined;
}

/** Retry-After is either seconds or an HTTP date. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
