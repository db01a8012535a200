// Dry-run: nothing leaves the machine. Each request is described (for the log and the press record)
// and answered with the smallest plausible success, so the escalation runs end to end without credentials.

import { redactUrl, type CallTrace, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';

export class DryRunTransport implements Transport {
  private counter = 0;

  async send(req: HttpRequest, trace: CallTrace): Promise<HttpResponse> {
    trace.attempts = 1;
    trace.wouldSend.push({ method: req.method, url: redactUrl(req.url), body: describeBody(req.body) });
    const id = `dry-run-${++this.counter}`;
    const body = req.method === 'GET' ? { items: [] } : { id, sid: id, status: 'dry-run' };
    return { status: 200, headers: {}, body: JSON.stringify(body) };
  }

  async close(): Promise<void> {}
}

function describeBody(body: HttpRequest['body']): unknown {
  if (body === undefined) return undefined;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return Object.fromEntries(new URLSearchParams(body));
    }
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of body) {
    fields[name] = typeof value === 'string' ? value : `(file ${value.name}, ${value.type}, ${value.size} bytes)`;
  }
  return fields;
}
