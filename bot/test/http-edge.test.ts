// The bot's HTTP doors under requests no button sends: other methods, malformed URLs and bodies, a
// wrong token, too many event streams. Each is checked on the real bot, over plain HTTP, for its
// status, for the press it must or must not make, and for what it leaves in the bot's log.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeTwilio, type FakeTwilio } from './fakes/twilio.ts';
import { startFakeWebex, type FakeWebex } from './fakes/webex.ts';
import { liveEnv, seedSettings, startBot, TEST_TOKENS, until, workspace, type BotProcess } from './support/bot-process.ts';
import { listen } from './support/event-stream.ts';

/** The seed with the debounce window off, so that every press in the table counts. */
const SETTINGS = `${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`;
const TOKEN = TEST_TOKENS.button;
/** Every character of the token as %XX: what a log would hold if it echoed the raw URL. */
const ENCODED_TOKEN = [...Buffer.from(TOKEN)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const JSON_TYPE = { 'content-type': 'application/json' };
const MEGABYTE = Buffer.alloc(1024 * 1024, 'a');

interface Sent {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Request {
  readonly method: string;
  /** Sent as is: neither encoded nor checked on the way. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** One request on its own connection, with node:http so that the method, path and body go out exactly as written. */
function send(baseUrl: string, { method, path: target, headers = {}, body }: Request): Promise<Sent> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, method, path: target, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    // The bot may answer (413) before a large body is all sent; an error writing the rest comes after the answer and changes nothing.
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The id of the newest press in the bot's history: it changes exactly when a request pressed. */
async function newestPress(bot: BotProcess): Promise<string | undefined> {
  const response = await fetch(`${bot.baseUrl}/status/${TOKEN}`, { headers: { accept: 'application/json' } });
  const view = (await response.json()) as { history: { id: string }[] };
  return view.history[0]?.id;
}

describe('requests no button sends', () => {
  let webex: FakeWebex;
  let twilio: FakeTwilio;
  let bot: BotProcess;
  before(async () => {
    webex = await startFakeWebex({ token: TEST_TOKENS.webex });
    twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
    bot = await startBot({ folder: workspace(SETTINGS), env: liveEnv(webex.url, twilio.url) });
  });
  after(async () => {
    await bot.stop();
    await Promise.all([webex.close(), twilio.close()]);
  });

  interface Row extends Request {
    readonly status: number;
    /** The request runs a press (only GET and POST with the right token and a small body do). */
    readonly presses?: true;
    /** The answer's `error`, for the answers the bot words itself. */
    readonly error?: string;
    readonly allow?: string;
  }
  const MALFORMED_URL = 'the URL holds a malformed %-encoding';
  const RESET_SHAPE = 'the body must be {"deleteRoom": true} or {"deleteRoom": false}';
  const JSON_ONLY = 'send the body as application/json';
  const CROSS_SITE = 'refused: a page of another site cannot press or take the escalation';
  const rows: readonly Row[] = [
    { method: 'GET', path: `/press/${TOKEN}`, status: 200, presses: true },
    { method: 'POST', path: `/press/${TOKEN}`, status: 200, presses: true },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'button=green', status: 200, presses: true },
    { method: 'HEAD', path: `/press/${TOKEN}`, status: 405, allow: 'GET, POST, PUT' },
    { method: 'PUT', path: `/press/${TOKEN}`, status: 200, presses: true },
    ...['DELETE', 'PATCH', 'OPTIONS'].map((method): Row => ({ method, path: `/press/${TOKEN}`, status: 405, allow: 'GET, POST, PUT', error: 'press with GET, POST, PUT' })),
    ...['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS'].map((method): Row => ({ method, path: '/press/not-the-token', status: 404 })),
    { method: 'GET', path: `/press/${TOKEN}/more`, status: 404 },
    { method: 'GET', path: '/press/%ZZ', status: 400, error: MALFORMED_URL },
    { method: 'POST', path: `/press/${TOKEN}%ZZ`, status: 400, error: MALFORMED_URL },
    { method: 'POST', path: `/press/${TOKEN}`, body: MEGABYTE, status: 413, error: 'the body is too large' },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { 'transfer-encoding': 'chunked' }, body: MEGABYTE, status: 413 },
    { method: 'POST', path: '/press/not-the-token', body: MEGABYTE, status: 404 },
    // Node itself refuses a request line and headers over 16 kB, before the bot sees it.
    { method: 'GET', path: `/press/${'a'.repeat(20_000)}`, status: 431 },
    { method: 'GET', path: `/press/${'a'.repeat(8_000)}`, status: 404 },
    { method: 'GET', path: `/status/${TOKEN}`, status: 200 },
    { method: 'HEAD', path: `/status/${TOKEN}/events`, status: 200 },
    { method: 'POST', path: `/status/${TOKEN}/press`, headers: JSON_TYPE, body: '{}', status: 200, presses: true },
    // The status page's POSTs are JSON only: what a plain form or a "simple" cross-origin fetch sends is refused.
    { method: 'POST', path: `/status/${TOKEN}/press`, status: 415, error: JSON_ONLY },
    { method: 'POST', path: `/status/${TOKEN}/press`, headers: { 'content-type': 'text/plain' }, body: '{}', status: 415, error: JSON_ONLY },
    { method: 'POST', path: `/status/${TOKEN}/press`, headers: JSON_TYPE, body: MEGABYTE, status: 413 },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '{"deleteRoom":false}', status: 200 },
    { method: 'POST', path: `/status/${TOKEN}/reset`, status: 415, error: JSON_ONLY },
    { method: 'POST', path: `/status/${TOKEN}/reset`, body: '{"deleteRoom":false}', status: 415, error: JSON_ONLY },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'deleteRoom=false', status: 415, error: JSON_ONLY },
    { method: 'POST', path: `/status/${TOKEN}/ack`, headers: { 'content-type': 'text/plain' }, body: '{"name":"Eve"}', status: 415, error: JSON_ONLY },
    // A page of another site (an <img>, a form, a fetch) neither presses nor takes the escalation; bt.tn and curl send neither header.
    { method: 'GET', path: `/press/${TOKEN}`, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' }, status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, body: 'x', status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { origin: 'https://attacker.example' }, status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { origin: 'null' }, status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { 'sec-fetch-site': 'same-origin' }, status: 200, presses: true },
    { method: 'POST', path: `/press/${TOKEN}`, headers: { 'sec-fetch-site': 'none' }, status: 200, presses: true },
    { method: 'POST', path: `/status/${TOKEN}/press`, headers: { ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }, body: '{}', status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/status/${TOKEN}/ack`, headers: { ...JSON_TYPE, origin: 'https://attacker.example' }, body: '{"name":"Eve"}', status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: { ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }, body: '{"deleteRoom":true}', status: 403, error: CROSS_SITE },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '{"deleteRoom":', status: 400, error: 'the body is not valid JSON' },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '{"deleteRoom":"yes"}', status: 400, error: RESET_SHAPE },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '{"deleteroom":true}', status: 400, error: RESET_SHAPE },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '[true]', status: 400, error: RESET_SHAPE },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: { 'content-type': 'text/plain' }, body: '{"deleteRoom":true}', status: 415 },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: { ...JSON_TYPE, 'content-encoding': 'compress' }, body: '{}', status: 415 },
    { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: JSON.stringify({ deleteRoom: false, pad: 'x'.repeat(2000) }), status: 413 },
    { method: 'GET', path: '/status/%ZZ', status: 400, error: MALFORMED_URL },
    ...['', '/events', '/press', '/reset'].map((route): Row => ({ method: route === '' || route === '/events' ? 'GET' : 'POST', path: `/status/not-the-token${route}`, status: 404 })),
    { method: 'POST', path: '/status/not-the-token/reset', headers: JSON_TYPE, body: '{"deleteRoom":true}', status: 404 },
    { method: 'GET', path: '/health', status: 200 },
    { method: 'GET', path: '/nowhere', status: 404 },
  ];

  for (const row of rows) {
    const shown = `${row.method} ${row.path.length > 60 ? `${row.path.slice(0, 40)}… (${row.path.length} characters)` : row.path}`;
    const body = row.body === undefined ? '' : ` with ${row.body.length > 100 ? `${row.body.length} bytes` : String(row.body)}`;
    test(`${shown}${body}${row.headers ? ` ${JSON.stringify(row.headers)}` : ''} answers ${row.status}${row.presses ? ' and presses' : ''}`, async () => {
      const before = await newestPress(bot);
      const answer = await send(bot.baseUrl, row);
      assert.equal(answer.status, row.status, answer.body);
      assert.equal((await newestPress(bot)) !== before, row.presses === true, row.presses ? 'no press was made' : 'a press was made');
      if (row.allow !== undefined) assert.equal(answer.headers.allow, row.allow);
      if (row.error !== undefined) assert.deepEqual(JSON.parse(answer.body), { error: row.error });
    });
  }

  test('the bot never logs the button token, whatever URL holds it', async () => {
    const hostile = [
      `/press/%ZZ${TOKEN}`, `/press/${TOKEN}%ZZ`, `/press/%ZZ?token=${TOKEN}`, `/press/%ZZ${ENCODED_TOKEN}`,
      `/status/%E0%A4%A${TOKEN}/events`, `/status/${TOKEN}%ZZ`, `/nowhere/%ZZ${TOKEN}?token=${TOKEN}`, `/${TOKEN}`,
    ];
    const rejectedBefore = rejections(bot.output());
    for (const target of hostile) await send(bot.baseUrl, { method: 'GET', path: target });
    await send(bot.baseUrl, { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: `{"deleteRoom": ${TOKEN}}` });
    // The six malformed press and status URLs and the broken body each leave one line.
    await until(() => rejections(bot.output()) === rejectedBefore + 7, 'the rejections in the log');
    assert.ok(!bot.output().includes(TOKEN), 'the log holds the token');
    assert.ok(!bot.output().toUpperCase().includes(ENCODED_TOKEN), 'the log holds the token %-encoded');
  });
});

function rejections(output: string): number {
  return output.match(/^request rejected /gm)?.length ?? 0;
}

test('when the state cannot be written the 500 says so, and neither it nor the log holds the token', async () => {
  // A state directory named after the token puts the token in every sentence that names the state file.
  const stateDirectory = path.join(mkdtempSync(path.join(tmpdir(), 'bttn-state-')), TOKEN);
  const bot = await startBot({ folder: workspace(SETTINGS), stateDirectory });
  try {
    rmSync(stateDirectory, { recursive: true });
    writeFileSync(stateDirectory, 'not a directory');
    const answer = await send(bot.baseUrl, { method: 'POST', path: `/status/${TOKEN}/reset`, headers: JSON_TYPE, body: '{}' });
    assert.equal(answer.status, 500);
    assert.match((JSON.parse(answer.body) as { error: string }).error, /^the state file \S*…\/\S*state\.json could not be written \(ENOTDIR\)$/);
    await until(() => /^error method=POST message=.*could not be written/m.test(bot.output()), 'the error in the log');
    assert.match(bot.output(), /^started .*state=\S*…\/\S*state\.json/m);
    assert.ok(!bot.output().includes(TOKEN), 'the log holds the token');
  } finally {
    await bot.stop();
  }
});

describe('the status page event streams', () => {
  const MAX_STREAMS = 100;
  let bot: BotProcess;
  const open: IncomingMessage[] = [];
  before(async () => { bot = await startBot({ folder: workspace(SETTINGS) }); });
  after(async () => {
    for (const stream of open) stream.destroy();
    await bot.stop();
  });

  const descriptors = () => readdirSync(`/proc/${bot.pid}/fd`).length;

  /** Opens a stream; resolves with it once its first event arrived, or with the refusal. */
  const connect = (): Promise<{ stream: IncomingMessage } | { refused: Sent }> => {
    const { hostname, port } = new URL(bot.baseUrl);
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: hostname, port, path: `/status/${TOKEN}/events`, agent: false }, (response) => {
        if (response.statusCode === 200) {
          response.once('data', () => resolve({ stream: response }));
          return;
        }
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        response.on('end', () => resolve({ refused: { status: response.statusCode ?? 0, headers: response.headers, body: text } }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  };
  const accepted = async () => {
    const result = await connect();
    assert.ok('stream' in result, `a stream was refused: ${'refused' in result ? result.refused.status : ''}`);
    return result.stream;
  };

  test(`past ${MAX_STREAMS} open streams a new one gets 503 with Retry-After`, async () => {
    for (let index = 0; index < MAX_STREAMS; index += 1) open.push(await accepted());
    const result = await connect();
    assert.ok('refused' in result, 'stream 101 was accepted');
    assert.equal(result.refused.status, 503);
    assert.match(String(result.refused.headers['retry-after']), /^\d+$/);
  });

  test('closing streams makes room for new ones', async () => {
    for (const stream of open.splice(0, 5)) stream.destroy();
    for (let index = 0; index < 5; index += 1) open.push(await acceptedOnceRoom(connect));
    const result = await connect();
    assert.ok('refused' in result, 'more streams than the cap were accepted');
  });

  test('refused and closed streams hold no file descriptors', async () => {
    const full = descriptors();
    for (let index = 0; index < 50; index += 1) {
      const result = await connect();
      assert.ok('refused' in result);
    }
    await until(() => descriptors() <= full, 'the refused sockets to close');
    for (const stream of open.splice(0)) stream.destroy();
    await until(() => descriptors() <= full - MAX_STREAMS, 'the closed streams to let go of their sockets');
  });
});

/** Retries `connect` until a stream is accepted: the bot frees a slot once it sees the old socket close. */
async function acceptedOnceRoom(connect: () => Promise<{ stream: IncomingMessage } | { refused: Sent }>): Promise<IncomingMessage> {
  for (let attempt = 0; attempt < 250; attempt += 1) {
    const result = await connect();
    if ('stream' in result) return result.stream;
    assert.equal(result.refused.status, 503);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no room for a new stream after the old ones were closed');
}

test('a press made outside the page shows on an open page through its own event, with nothing else changing', async () => {
  // Under the default window the second press is debounced: it changes no outbox entry, so only the
  // press's own event can show it.
  const bot = await startBot({ folder: workspace(readFileSync(seedSettings, 'utf8')) });
  const events = await listen(`${bot.baseUrl}/status/${TOKEN}/events`);
  try {
    assert.equal((await bot.press()).body.step, 1);
    assert.equal((await bot.press()).body.kind, 'debounced');
    await until(() => events.text().includes('pressed again within the debounce window'), 'an event showing the debounced press', 3000);
  } finally {
    events.close();
    await bot.stop();
  }
});
