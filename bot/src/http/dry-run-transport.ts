// Dry-run: nothing leaves the machine. Each request is described (for the log and the press record)
// and answered with the smallest plausible success, so the escalation runs end to end without credentials.

import { redactUrl, type ApiCall, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';

export class DryRunTransport implements Transport {
  private counter = 0;

  async send(req: HttpRequest, call: ApiCall): Promise<HttpResponse> {
    call.attempts = Math.max(call.attempts, 1);
    call.wouldSend.push({ method: req.method, url: redactUrl(req.url), body: describeBody(req.body) });
    const id = `dry-run-${++this.counter}`;
    // Shaped like the real answers, so the clients' checks of an answer pass: Twilio SIDs are two letters and 32 hex digits.
    const sid = `${/Calls\.json$/.test(req.url) ? 'CA' : 'SM'}${this.counter.toString(16).padStart(32, '0')}`;
    // A created thing echoes what was asked (a room's title), as the real APIs do.
    const asked = typeof req.body === 'string' && req.headers['content-type'] === 'application/json' ? JSON.parse(req.body) as object : {};
    const body = req.method === 'GET' ? { items: [], messages: [], calls: [] } : { ...asked, id, sid, status: 'dry-run' };
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
