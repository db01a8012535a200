// What a client is told about an error that escapes a handler. The malformed requests are checked
// on the real bot (http-edge.test.ts); an unexpected failure cannot be provoked from outside, so the
// rule for it is checked here.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorAnswer } from '../src/server/error-answer.ts';

const STATE_FAILURE = 'the state file /var/lib/bttn/state.json could not be written (ENOSPC)';
const rows: readonly (readonly [string, unknown, string | undefined, { status: number; error: string }])[] = [
  ['a failure of ours answers a generic 500, never its own text',
    new TypeError("Cannot read properties of undefined (reading 'id') at https://webexapis.com/v1/rooms?token=abc"), undefined,
    { status: 500, error: "internal error; see the bot's log" }],
  ['a thrown string answers the generic 500', 'Bearer abc', undefined, { status: 500, error: "internal error; see the bot's log" }],
  ['a failure while the state cannot be written names the state file', new Error('ENOSPC: no space left on device'), STATE_FAILURE,
    { status: 500, error: STATE_FAILURE }],
  ["a client error from Express's libraries keeps its status, not its text",
    Object.assign(new Error('request aborted by https://example.com/press/abc'), { status: 400, type: 'request.aborted' }), undefined,
    { status: 400, error: 'Bad Request' }],
];

for (const [name, error, stateFailure, expected] of rows) {
  test(name, () => assert.deepEqual(errorAnswer(error, stateFailure), expected));
}
