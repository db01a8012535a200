// Dry-run: nothing leaves the machine. Each request is described (for the log and the press record)
// and answered with the smallest plausible success, so the escalation runs end to end without credentials.

import { redactUrl, type ApiCall, type HttpRequest, type HttpResponse, type Transport } from './transport.ts';

export class DryRunTransport implements Transport {
  private counter = 0;

  async send(req: HttpRequest, call: ApiCall): Promise<HttpResponse> {
    call.attempts = Math.max(call.attempts, 1);
    call.wouldSend.push({ method: req.method, url: redactUrl(req.url), body: describeBody(req.body) });
    const json = typeof req.body === 'string' && req.headers['content-type'] === 'application/json' ? req.body : undefined;
    return { status: 200, headers: {}, body: dryRunAnswer(req.method, req.url, json, ++this.counter) };
  }

  async close(): Promise<void> {}
}

/**
 * The smallest plausible success, shaped like the real answers so the clients' checks of an answer pass:
 * Twilio SIDs are two letters and 32 hex digits, and a created thing echoes what was asked (a room's title),
 * as the real APIs do. `json`: the request's JSON body, if it had one; `counter` makes each id new.
 */
export function dryRunAnswer(method: string, url: string, json: string | undefined, counter: number): string {
  const id = `dry-run-${counter}`;
  const sid = `${/Calls\.json$/.test(url) ? 'CA' : 'SM'}${counter.toString(16).padStart(32, '0')}`;
  const asked = json === undefined ? {} : JSON.parse(json) as object;
  return JSON.stringify(method === 'GET' ? { items: [], messages: [], calls: [] } : { ...asked, id, sid, status: 'dry-run' });
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
  return { ...Object.fromEntries(body.fields), [body.file.field]: `(file ${body.file.name}, ${body.file.contentType}, ${body.file.bytes} bytes)` };
}
