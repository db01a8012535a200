// The floor `npm run bench` holds the bot against: the least a server can do for a press on this machine.
// POST /press/<n> makes n dependent requests (one after the other) to the fake Webex through undici, as the
// bot's critical path does, and answers; GET /health answers at once. Plain node:http, or Express with
// FLOOR_EXPRESS=1 (the bot's own server library, for the memory floor). It prints its port once listening.
// The bench runs it bundled, as the bot runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const target = process.env.FLOOR_TARGET!;
const authorization = `Bearer ${process.env.FLOOR_TOKEN!}`;
// The bot's own settings for its connections (http/undici-transport.ts).
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });

async function press(trips: number): Promise<number> {
  let status = 0;
  for (let trip = 0; trip < trips; trip++) {
    const answer = await request(`${target}/rooms?max=1`, { dispatcher: agent, headers: { authorization } });
    await answer.body.text();
    status = answer.statusCode;
  }
  return status;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const trips = /^\/press\/(\d+)$/.exec(req.url ?? '');
  if (req.method === 'POST' && trips !== null) {
    void press(Number(trips[1])).then((status) => answer(res, 200, { ok: true, status }), (error: unknown) => answer(res, 502, { error: String(error) }));
  } else {
    answer(res, req.url === '/health' ? 200 : 404, { ok: req.url === '/health' });
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// A function rather than top-level await: the bench bundles the floor as CommonJS, as the bot's bundle is.
async function listen(): Promise<Server> {
  let server: Server;
  if (process.env.FLOOR_EXPRESS === '1') {
    const { default: express } = await import('express');
    const app = express();
    app.use(express.json());
    app.use((req, res) => handle(req, res));
    server = app.listen(0, '127.0.0.1');
  } else {
    server = createServer(handle).listen(0, '127.0.0.1');
  }
  return new Promise((resolve) => server.once('listening', () => resolve(server)));
}

void listen().then(async (server) => {
  const port = (server.address() as AddressInfo).port;
  // The bot pays its first undici request at start (main.ts); so does the floor.
  await (await request(`http://127.0.0.1:${port}/health`, { dispatcher: agent })).body.text();
  console.log(`listening port=${port}`);
});
process.once('SIGTERM', () => process.exit(0));
