// Before the first press, at start: each button's sequence runs once, step by step, against a throwaway state
// and a stand-in on loopback that answers as the dry-run does, through the same clients, transport, outbox
// and sequencer as a press. V8 runs a function's first calls slowly, whatever code cache it compiled it from
// (it learns the shapes of the objects each one meets as it goes): the first real press runs code that has
// already run, about 10 ms sooner. None of its presses is seen: they log nothing, no request leaves the
// machine, and their state and files are removed afterwards (the caller logs how long it took). It never
// fails the start: an error only leaves the first press cold.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dryRunAnswer } from '../http/dry-run-transport.ts';
import { UndiciTransport } from '../http/undici-transport.ts';
import type { BotSettings } from '../settings/types.ts';
import { StateStore } from '../state/store.ts';
import { TwilioClient } from '../twilio/client.ts';
import { WebexClient } from '../webex/client.ts';
import { assembleEscalations, type Parts } from './assemble.ts';

/** What the bot's own buttons are assembled with, so the warm-up's steps send what theirs would. */
export type WarmUpOptions = Pick<Parts, 'cards' | 'gather' | 'statusCallback'>;

/** Resolves with how long it took, in ms; undefined when it failed (the first press is then as it was). */
export async function warmUp(bot: BotSettings, options: WarmUpOptions): Promise<number | undefined> {
  const started = performance.now();
  const folder = mkdtempSync(path.join(tmpdir(), 'bttn-warm-up-'));
  const server = createServer(answerAsDryRun());
  const transport = new UndiciTransport();
  const done = new AbortController();
  let store: StateStore | undefined;
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    store = await StateStore.open(folder, 'dry-run', () => undefined);
    // Presses in a row: the debounce would count them as one.
    const buttons = bot.buttons.map((settings) => ({ ...settings, server: { ...settings.server, debounceMs: 0 } }));
    const escalations = assembleEscalations({ ...bot, buttons }, buttons.map(({ name }) => name), {
      // Only these of the caller's: a whole Parts passed in must not bring its store or log along.
      store, log: () => undefined, dryRun: false, now: () => new Date(), signal: done.signal, secrets: [],
      cards: options.cards, gather: options.gather, statusCallback: options.statusCallback,
      webex: new WebexClient({ base: `${base}/v1`, token: 'warm-up', transport }),
      twilio: new TwilioClient({ base, accountSid: undefined, authToken: undefined, transport }),
    });
    for (const { button, settings, outbox } of escalations.all) {
      for (const _step of settings.steps) await button.run({ kind: 'event', event: { gesture: 'press', type: undefined, eid: undefined } });
      button.stop();
      await outbox.idle();
    }
    return Math.round(performance.now() - started);
  } catch {
    return undefined;
  } finally {
    done.abort();
    store?.close();
    server.closeAllConnections();
    server.close();
    await transport.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Answers every request at once, as the dry-run transport answers it. */
function answerAsDryRun(): (req: IncomingMessage, res: ServerResponse) => void {
  let answered = 0;
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const json = req.headers['content-type'] === 'application/json' ? Buffer.concat(chunks).toString('utf8') : undefined;
      const body = dryRunAnswer(req.method ?? 'GET', req.url ?? '/', json, ++answered);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  };
}
