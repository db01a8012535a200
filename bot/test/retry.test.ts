import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseBeforeRetry, type RetryPolicy } from '../src/http/retry.ts';
import { retryAfterMs } from '../src/http/transport.ts';

const policy: RetryPolicy = { deadlineMs: 10_000, attemptTimeoutMs: 1000, firstPauseMs: 250 };

const cases: [string, Parameters<typeof pauseBeforeRetry>[2], boolean, number, number, number | undefined][] = [
  ['429 waits for Retry-After', { status: 429, retryAfterMs: 3000 }, false, 1, 0, 3000],
  ['429 without Retry-After backs off', { status: 429 }, false, 2, 0, 500],
  ['a connection never made is tried again, even for a POST', { status: 'not-sent' }, false, 1, 0, 250],
  ['503 on a read backs off, doubling each attempt', { status: 503 }, true, 3, 0, 1000],
  ['no answer to a read backs off too', { status: 'no-answer' }, true, 1, 0, 250],
  ['503 on a POST is not sent again blindly', { status: 503 }, false, 1, 0, undefined],
  ['no answer to a POST is not sent again blindly', { status: 'no-answer' }, false, 1, 0, undefined],
  ['400 is final', { status: 400 }, true, 1, 0, undefined],
  ['404 is final', { status: 404 }, true, 1, 0, undefined],
  ['a pause past the deadline gives up', { status: 500 }, true, 1, 9_800, undefined],
  ['a Retry-After past the deadline gives up', { status: 429, retryAfterMs: 30_000 }, false, 1, 0, undefined],
];

for (const [name, outcome, repeatable, attempt, elapsed, expected] of cases) {
  test(name, () => assert.equal(pauseBeforeRetry(policy, attempt, outcome, elapsed, repeatable), expected));
}

test('Retry-After is read in seconds or as an HTTP date', () => {
  assert.equal(retryAfterMs('3'), 3000);
  const pause = retryAfterMs(new Date(Date.now() + 2000).toUTCString())!;
  assert.ok(pause > 900 && pause <= 2000, `paused ${pause} ms`);
  assert.equal(retryAfterMs('soon'), undefined);
});
