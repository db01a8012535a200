// One line per event, `key=value`, readable in journald and easy to grep. Callers never pass
// credentials; values are quoted when they contain spaces.

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;
export type Logger = (event: string, fields?: LogFields) => void;

export function createLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  return (event, fields = {}) => {
    const parts = [event];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const text = String(value);
      parts.push(`${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`);
    }
    write(parts.join(' '));
  };
}
