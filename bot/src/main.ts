// Starts the bot: reads the environment and settings.yaml (refusing to start on any problem),
// opens the state, wires the Webex and Twilio clients (dry-run when credentials are missing)
// and serves the button.

import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRuntime } from './config/runtime.ts';
import { DryRunTransport } from './http/dry-run-transport.ts';
import { UndiciTransport } from './http/undici-transport.ts';
import { newCall } from './http/transport.ts';
import { createLogger, type Logger } from './log.ts';
import { Button } from './press/button.ts';
import { attempt } from './press/deliver.ts';
import { Outbox } from './press/outbox.ts';
import { RoomKeeper } from './press/rooms.ts';
import { createApp } from './server/app.ts';
import { loadSettings, SettingsError } from './settings/load.ts';
import type { Settings } from './settings/types.ts';
import { savedState, StateStore } from './state/store.ts';
import { gatherActionUrl, STATUS_PATH } from './core/twiml.ts';
import { twilioCallbackRoutes } from './server/twilio-callbacks.ts';
import { webexWebhookRoutes } from './server/webex-webhook.ts';
import { TwilioClient } from './twilio/client.ts';
import { WebexClient } from './webex/client.ts';
import { ensureWebhooks, newWebhookSecret, webhookTarget } from './webex/webhook-registration.ts';

// A function rather than top-level await: the deployed bundle is CommonJS.
async function main(): Promise<void> {
  const runtime = readRuntime(process.env);

  let settings: Settings;
  try {
    settings = loadSettings(runtime.settingsFile, runtime.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    console.error('The bot did not start.');
    process.exit(1);
  }
  const log = createLogger({ secrets: [runtime.buttonToken, settings.webex.token, settings.twilio.authToken] });

  const webexLive = settings.webex.token !== undefined;
  const twilioLive = settings.twilio.accountSid !== undefined && settings.twilio.authToken !== undefined;
  const dryRun = !webexLive || !twilioLive;
  const store = await openState(runtime.stateDirectory, dryRun, runtime.continueFromDryRun, log);
  const live = new UndiciTransport(runtime.retry);
  const rehearsal = new DryRunTransport();
  const webex = new WebexClient({ base: runtime.webexApiBase, token: settings.webex.token, transport: webexLive ? live : rehearsal });
  const twilio = new TwilioClient({
    base: runtime.twilioApiBase,
    accountSid: settings.twilio.accountSid,
    authToken: settings.twilio.authToken,
    transport: twilioLive ? live : rehearsal,
  });
  // Card clicks and phone keys come back only to a public address: without one, the status page acknowledges.
  // Twilio's callbacks also need the auth token, which checks their signature.
  const publicUrl = (runtime.publicUrl ?? settings.server.url)?.replace(/\/+$/, '');
  const phoneAnswers = publicUrl !== undefined && twilioLive;
  const gather = (incident: string | undefined) => (phoneAnswers ? { actionUrl: gatherActionUrl(publicUrl, incident) } : undefined);
  const statusCallback = phoneAnswers ? `${publicUrl}${STATUS_PATH}` : undefined;
  // Shutdown aborts every request and wait; what was on its way is checked with the provider at the next start.
  const stopping = new AbortController();
  const now = () => new Date();
  const secrets = [runtime.buttonToken, settings.webex.token, settings.twilio.authToken, settings.twilio.accountSid];
  const rooms = new RoomKeeper({ settings, store, webex, log });
  const outbox = new Outbox({
    store, rooms, log, now, deliverWithinMs: settings.server.deliverWithinMs, signal: stopping.signal,
    attempt: (entry, signal, source) => attempt({ store, webex, twilio, rooms, secrets, gather, statusCallback }, entry, signal, source),
  });
  const button = new Button({
    settings, store, rooms, outbox, log, dryRun, now, signal: stopping.signal, pressTimeoutMs: settings.server.pressTimeoutMs,
    cards: publicUrl !== undefined,
  });
  const callbacks = publicUrl === undefined ? [] : [...(!phoneAnswers ? [] : [twilioCallbackRoutes({
    publicUrl, authToken: settings.twilio.authToken!, log,
    numbers: () => (store.current.incident?.status === 'resolved' ? [] : store.current.incident?.reached ?? []),
    acknowledge: async (take) => {
      const outcome = await button.acknowledge(take);
      // Someone else's number, a replayed message, an earlier call: nothing that says why.
      if (!outcome.changed && outcome.refused) return undefined;
      return outcome.changed ? 'Thank you, the escalation is yours. The others are told.' : `Nothing changed: ${outcome.why}.`;
    },
    status: (report) => button.reported(report),
  })]), webexWebhookRoutes({
    secret: () => store.current.webhookSecret, webex, log,
    handle: async (click) => {
      const take = {
        via: 'Webex', name: click.person.name, personId: click.person.id, botId: click.botId,
        roomId: click.roomId, messageId: click.messageId, escalation: click.incident,
      } as const;
      await (click.action === 'ack' ? button.acknowledge(take) : button.resolve(take));
    },
    command: async (message) => {
      await button.command(message);
    },
  })];
  const app = createApp({
    button, store, buttonToken: runtime.buttonToken, secrets, log, settings, callbacks, onChange: (listener) => outbox.onChange(listener), publicUrl,
  });

  // The Twilio SDK's load holds the event loop (a few milliseconds from the bundle, which keeps only what the
  // bot uses of it; far more from the source): before listening, it makes no press or health check wait, and
  // the first SMS is no slower than the next. A failure to load shows on the first SMS or call.
  if (settings.steps.some((step) => step.sms !== undefined || step.call !== undefined)) await twilio.load().catch(() => undefined);
  const port = runtime.port ?? settings.server.port;
  // Without HOST, Node listens on every address, IPv6 too where the machine has it.
  const server = runtime.host === undefined ? app.listen(port) : app.listen(port, runtime.host);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `Port ${port} is already in use: set PORT or server.port to another one.` : error.message);
    process.exit(1);
  });
  server.on('listening', () => {
    const actual = (server.address() as AddressInfo).port;
    const base = (runtime.publicUrl ?? settings.server.url ?? `http://localhost:${actual}`).replace(/\/+$/, '');
    log('started', {
      settings: runtime.settingsFile, steps: settings.steps.length, room: settings.webex.room, port: actual,
      state: store.file, webex: webexLive ? 'live' : 'dry-run', twilio: twilioLive ? 'live' : 'dry-run',
      next_step: store.current.nextStep, press_timeout_s: settings.server.pressTimeoutMs / 1000,
    });
    if (!webexLive || !twilioLive) {
      const missing = [!webexLive && 'CISCO_SPARK_BTTN_BOT (Webex)', !twilioLive && 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio)'].filter(Boolean).join(', ');
      console.log(`Dry-run: no ${missing}, so those calls are only logged and kept in the state, not sent.`);
    }
    // The first request through undici costs milliseconds (parser compilation): paid now, not on the first press.
    const self = runtime.host === undefined || runtime.host === '::' || runtime.host === '0.0.0.0' ? '127.0.0.1' : runtime.host;
    void live.send({ method: 'GET', url: `http://${self.includes(':') ? `[${self}]` : self}:${actual}/health`, headers: {} }, newCall()).catch(() => undefined);
    if (runtime.buttonTokenGenerated) {
      console.log(`No BTTN_TOKEN set; this run's press URL is ${base}/press/${runtime.buttonToken}`);
      console.log(`Try it: curl -X POST ${base}/press/${runtime.buttonToken}`);
      console.log(`Status page: ${base}/status/${runtime.buttonToken}`);
    }
  });

  if (publicUrl === undefined) {
    console.log('No public URL (server.url or BTTN_PUBLIC_URL): escalations are acknowledged and resolved from the status page only.');
  } else {
    void registerWebhook(store, webex, publicUrl, log, stopping.signal);
  }
  const resumed = await outbox.resume();
  if (resumed > 0) log('outbox resumed', { actions: resumed });
  button.start();

  // systemd stops with SIGTERM (and kills after 10 s): stop taking presses, cancel what is under way (the
  // outbox keeps it, to check at the next start), write the state, and leave well within that.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log('stopping', { signal });
      server.close();
      app.closeStreams();
      server.closeIdleConnections();
      stopping.abort();
      button.stop();
      const settled = Promise.all([button.idle(), outbox.idle()]).then(() => store.flush());
      void Promise.race([settled, sleep(SHUTDOWN_MS, undefined, { ref: false })])
        .catch(() => undefined)
        .then(() => Promise.race([Promise.all([live.close(), rehearsal.close()]), sleep(1000, undefined, { ref: false })]))
        .finally(() => process.exit(0));
    });
  }
}

/**
 * The bot's own Webex webhooks for card clicks and room commands, with a secret made once and kept in the state. A failure is
 * logged and the bot runs on: the status page still acknowledges, and the next start tries again.
 */
async function registerWebhook(store: StateStore, webex: WebexClient, publicUrl: string, log: Logger, signal: AbortSignal): Promise<void> {
  try {
    if (store.current.webhookSecret === undefined) await store.update((state) => ({ ...state, webhookSecret: state.webhookSecret ?? newWebhookSecret() }));
    const secret = store.current.webhookSecret!;
    const call = newCall(signal);
    const registered = await ensureWebhooks({ webex, publicUrl, secret, log }, call);
    log('webhook', { action: call.wouldSend.length > 0 ? 'dry-run' : registered.map((registration) => registration.action).join(', '), target: webhookTarget(publicUrl) });
    // In dry-run, what registering would have sent, like every other call (the secret is never part of a log).
    for (const request of call.wouldSend) log('would send', { request: `${request.method} ${request.url}` });
  } catch (error) {
    log('webhook failed', { error: error instanceof Error ? error.message : String(error), effect: 'card clicks and room commands are not received; the status page acknowledges' });
  }
}

/** Leaves a second of the 10 s systemd gives for closing connections. */
const SHUTDOWN_MS = 8000;

/**
 * Dry-run and live runs keep separate state, so a rehearsal never moves the real escalation: going live
 * starts at step 1, unless the operator asks to continue where the rehearsal stopped (the room is never
 * carried over, a dry-run room does not exist).
 */
async function openState(directory: string, dryRun: boolean, continueFromDryRun: boolean, log: Logger): Promise<StateStore> {
  const warn = (message: string) => log('warning', { message });
  const store = await StateStore.open(directory, dryRun ? 'dry-run' : 'live', warn);
  if (dryRun || store.current.pressCount > 0) return store;
  const rehearsal = savedState(directory, 'dry-run');
  if (rehearsal === undefined || rehearsal.pressCount === 0) return store;
  if (!continueFromDryRun) {
    console.log(`Live run: the escalation starts at step 1. The dry-run rehearsal had reached step ${rehearsal.nextStep}; `
      + 'start with BTTN_CONTINUE_FROM_DRY_RUN=1 to go on from there instead.');
    return store;
  }
  const { nextStep, pressCount, lastPressAt } = rehearsal;
  await store.update((state) => ({ ...state, nextStep, pressCount, lastPressAt }));
  console.log(`Live run: continuing from the dry-run rehearsal at step ${nextStep}, as BTTN_CONTINUE_FROM_DRY_RUN asks.`);
  return store;
}

main().catch((error: unknown) => {
  console.error(`The bot stopped: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
