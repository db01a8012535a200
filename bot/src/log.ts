// One line per event, `key=value`, readable in journald and easy to grep; values are quoted when they
// contain spaces. Every line is scrubbed here, whoever wrote it: an error can carry text a client chose
// (a malformed URL holding the button token, say), and no caller can be trusted to remember.

import { scrubSecrets } from './http/scrub.ts';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;
export type Logger = (event: string, fields?: LogFields) => void;

export interface LoggerOptions {
  /** Masked wherever they appear: the button token, the Webex token, the Twilio auth token. */
  readonly secrets?: readonly (string | undefined)[];
  readonly write?: (line: string) => void;
}

export function createLogger({ secrets = [], write = stdoutByTurn() }: LoggerOptions = {}): Logger {
  return (event, fields = {}) => {
    const parts = [event];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const text = String(value);
      parts.push(`${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`);
    }
    write(scrubSecrets(parts.join(' '), secrets));
  };
}

/**
 * Lines to standard output, written together once the current turn of the event loop is done: one write
 * (a system call, to journald's pipe) for all the lines of a press's step rather than one each, after the
 * press's answer has left. Lines still waiting when the process exits are written then.
 */
function stdoutByTurn(): (line: string) => void {
  let waiting = '';
  const flush = () => {
    const text = waiting;
    waiting = '';
    if (text !== '') process.stdout.write(text);
  };
  process.once('exit', flush);
  return (line) => {
    if (waiting === '') setImmediate(flush);
    waiting += `${line}\n`;
  };
}
