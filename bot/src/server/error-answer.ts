// What a client is told about an error that escaped a handler. Malformed requests (a bad %-encoding in
// the URL, a body that is not JSON, too large or in an encoding we do not read) get their 4xx and a
// fixed sentence. Anything else is our fault: a 500 that names the state file that cannot be written,
// the one such failure the person at the button can act on (the store words it, /health shows it too),
// or else a generic sentence, because an error's own text can hold a provider's answer or whatever the
// client sent.

import { STATUS_CODES } from 'node:http';

export interface ErrorAnswer {
  readonly status: number;
  readonly error: string;
}

const INTERNAL_ERROR: ErrorAnswer = { status: 500, error: "internal error; see the bot's log" };

/** body-parser's error types (they carry their status too); the wording is ours. */
const BODY_ERRORS: Readonly<Record<string, ErrorAnswer>> = {
  'entity.parse.failed': { status: 400, error: 'the body is not valid JSON' },
  'entity.too.large': { status: 413, error: 'the body is too large' },
  'encoding.unsupported': { status: 415, error: 'the body is in an unsupported content encoding' },
  'charset.unsupported': { status: 415, error: 'the body is in an unsupported charset' },
};

export function errorAnswer(error: unknown, stateFailure: string | undefined): ErrorAnswer {
  const internal = stateFailure === undefined ? INTERNAL_ERROR : { status: 500, error: stateFailure };
  if (typeof error !== 'object' || error === null) return internal;
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof type === 'string' && BODY_ERRORS[type] !== undefined) return BODY_ERRORS[type];
  // Express's router marks a path parameter it cannot decode (`/press/%ZZ`) with status 400.
  if (error instanceof URIError && status === 400) return { status: 400, error: 'the URL holds a malformed %-encoding' };
  // Other client errors from Express's own libraries (an aborted upload, a bad content length).
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, error: STATUS_CODES[status] ?? 'bad request' };
  return internal;
}
