// A bare server on loopback that only records what reaches it: the other origin a test points a Link header
// (or any URL) at, to prove the bot did not follow it, or did not carry its token there.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedVisit {
  readonly method: string;
  /** Path and query, as requested. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Recorder {
  /** e.g. 'http://127.0.0.1:40999'; a different origin from every fake. */
  readonly url: string;
  readonly visits: RecordedVisit[];
  close(): Promise<void>;
}

/** Answers every request 200 with `body` (default `{"items":[]}`, an empty Webex list). */
export async function startRecorder(body: unknown = { items: [] }): Promise<Recorder> {
  const visits: RecordedVisit[] = [];
  const text = JSON.stringify(body);
  const server = createServer((req, res) => {
    visits.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    visits,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
