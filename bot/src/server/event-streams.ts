// The status page's open server-sent event streams, bounded: at most MAX_EVENT_STREAMS at once (past
// that a new one is turned away with 503), each dropped as soon as it is noticed dead, and all ended
// together at shutdown so that server.close() does not wait on them.

import type { Request, Response } from 'express';

const MAX_EVENT_STREAMS = 100;
/** Seconds a client turned away is asked to wait, about one heartbeat: dead streams are dropped by then. */
const RETRY_AFTER_SECONDS = 30;
/**
 * Proxies (Caddy included) close a connection that stays silent too long; the comment line that keeps
 * a stream open doubles as the heartbeat. A client that vanished without closing never acknowledges
 * it, so the kernel gives up retransmitting after some minutes and the socket closes with an error.
 * A client that is connected but does not read fills its buffer instead: see `#heartbeat`.
 */
const HEARTBEAT_MS = 25_000;
const HEARTBEAT = ': keep-alive\n\n';
const HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' };

export class EventStreams {
  readonly #open = new Set<Response>();
  #accepting = true;

  constructor() {
    setInterval(() => this.#heartbeat(), HEARTBEAT_MS).unref();
  }

  /** Opens a stream whose first event is the one `render` makes, or answers 503 when MAX_EVENT_STREAMS are open or the bot is stopping. */
  open(req: Request, res: Response, render: () => string): void {
    if (!this.#accepting || this.#open.size >= MAX_EVENT_STREAMS) {
      const error = this.#accepting ? 'too many open event streams; try again later' : 'the bot is stopping; try again later';
      res.status(503).set('retry-after', String(RETRY_AFTER_SECONDS)).json({ error });
      return;
    }
    // A HEAD gets the headers and nothing to hold open: Node would drop the events anyway.
    if (req.method === 'HEAD') {
      res.writeHead(200, HEADERS).end();
      return;
    }
    res.writeHead(200, HEADERS);
    res.write(render());
    this.#open.add(res);
    res.on('close', () => this.#open.delete(res));
  }

  /** Sends the event `render` makes, if anyone listens: rendering the status is not free. */
  send(render: () => string): void {
    if (this.#open.size === 0) return;
    const event = render();
    for (const stream of this.#open) stream.write(event);
  }

  /** Ends every stream (an EventSource reconnects on its own) and turns new ones away. */
  close(): void {
    this.#accepting = false;
    for (const stream of this.#open) stream.end();
    this.#open.clear();
  }

  // Node buffers a write only once the kernel's send buffer is full, so a stream still waiting for
  // 'drain' belongs to a client that stopped reading: keeping it would hold memory and a socket for as
  // long as that client likes.
  #heartbeat(): void {
    for (const stream of this.#open) {
      if (stream.writableNeedDrain || stream.destroyed) {
        this.#open.delete(stream);
        stream.destroy();
      } else {
        stream.write(HEARTBEAT);
      }
    }
  }
}
