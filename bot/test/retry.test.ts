import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseBeforeRetry, type RetryPolicy } from '../src/http/retry.ts';

const policy: RetryPolicy = { deadlineMs: 10_000, attemptTimeoutMs: 1000, firstPauseMs: 250 };

const cases: [string, Parameters<typeof pauseBeforeRetry>[2], number, number, number | undefined][] = [
  ['429 waits for Retry-After in seconds', { status: 429, retryAfter: '3' }, 1, 0, 3000],
  ['429 without Retry-After backs off', { status: 429 }, 2, 0, 500],
  ['503 backs off, doubling each attempt', { status: 503 }, 3, 0, 1000],
  ['no answer backs off too', { status: 'no-answer' }, 1, 0, 250],
  ['400 is final', { status: 400 }, 1, 0, undefined],
  ['404 is final', { status: 404 }, 1, 0, undefined],
  ['a pause past the deadline gives up', { status: 500 }, 1, 9_800, undefined],
  ['a Retry-After past the deadline gives up', { status: 429, retryAfter: '30' }, 1, 0, undefined],
];

for (const [name, outcome, attempt, elapsed, expected] of cases) {
  test(name, () => assert.equal(pauseBeforeRetry(policy, attempt, outcome, elapsed), expected));
}

test('429 with Retry-After as an HTTP date waits until then', () => {
  const pause = pauseBeforeRetry(policy, 1, { status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString() }, 0)!;
  assert.ok(pause > 900 && pause <= 2000, `paused ${pause} ms`);
});
