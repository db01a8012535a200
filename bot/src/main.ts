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
import { buttonToken } from './config/button-tokens.ts';
import { assembleEscalations } from './press/assemble.ts';
import { warmUp } from './press/warm-up.ts';
import { createApp } from './server/app.ts';
import { loadBot, SettingsError } from './settings/load.ts';
import type { BotSettings } from './settings/types.ts';
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

  let bot: BotSettings;
  try {
    bot = loadBot(runtime.settingsFile, runtime.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    console.error('The bot did not start.');
    process.exit(1);
  }
  // The Webex token, Twilio and the server are settings.yaml's, the same in every button's settings.
  const settings = bot.buttons[0]!;
  const tokens = bot.buttons.map((button) => buttonToken(runtime.buttonToken, button.name, bot.folder));
  const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.authToken, settings.twilio.accountSid];
  const log = createLogger({ secrets });

  const webexLive = settings.webex.token !== undefined;
  const twilioLive = settings.twilio.accountSid !== undefined && settings.twilio.authToken !== undefined;
  const dryRun = !webexLive || !twilioLive;
  const store = await openState(runtime.stateDirectory, bot, dryRun, runtime.continueFromDryRun, log);
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
  const parts = { store, webex, twilio, log, dryRun, now, signal: stopping.signal, secrets, gather, statusCallback, cards: publicUrl !== undefined };
  const escalations = assembleEscalations(bot, tokens, parts);
  const callbacks = publicUrl === undefined ? [] : [...(!phoneAnswers ? [] : [twilioCallbackRoutes({
    publicUrl, authToken: settings.twilio.authToken!, log,
    numbers: () => escalations.numbers(),
    acknowledge: async (take) => {
      const address = take.via === 'phone' ? { by: 'escalation', id: take.escalation } as const : { by: 'number', number: take.number } as const;
      const outcome = await escalations.run(address, { kind: 'acknowledge', take });
      // No escalation of this call or number, someone else's number, a replayed message: nothing that says why.
      if (outcome === undefined || (!outcome.changed && outcome.refused)) return undefined;
      return outcome.changed ? 'Thank you, the escalation is yours. The others are told.' : `Nothing changed: ${outcome.why}.`;
    },
    status: async (report) => {
      await escalations.run({ by: 'contact', sid: report.sid }, { kind: 'report', report });
    },
  })]), webexWebhookRoutes({
    secret: () => store.current.shared.webhookSecret, webex, log,
    handle: async (click) => {
      const take = {
        via: 'Webex', name: click.person.name, personId: click.person.id, botId: click.botId,
        roomId: click.roomId, messageId: click.messageId, escalation: click.incident,
      } as const;
      await escalations.run({ by: 'escalation', id: click.incident }, { kind: click.action === 'ack' ? 'acknowledge' : 'resolve', take });
    },
    command: async (message) => {
      const done = await escalations.run({ by: 'room', roomId: message.roomId }, { kind: 'room', message });
      if (done === undefined) log('room command ignored', { why: "a message outside the buttons' rooms", room: message.roomId });
    },
  })];
  const app = createApp({ escalations, store, botToken: runtime.buttonToken, secrets, log, callbacks, publicUrl });

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
      settings: runtime.settingsFile, buttons: bot.folder ? bot.buttons.map((button) => button.name).join(', ') : undefined,
      steps: bot.folder ? undefined : settings.steps.length, room: bot.folder ? undefined : settings.webex.room, port: actual,
      state: store.file, webex: webexLive ? 'live' : 'dry-run', twilio: twilioLive ? 'live' : 'dry-run',
      next_step: bot.folder ? undefined : escalations.all[0]!.store.current.nextStep, press_timeout_s: settings.server.pressTimeoutMs / 1000,
    });
    if (!webexLive || !twilioLive) {
      const missing = [!webexLive && 'CISCO_SPARK_BTTN_BOT (Webex)', !twilioLive && 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio)'].filter(Boolean).join(', ');
      console.log(`Dry-run: no ${missing}, so those calls are only logged and kept in the state, not sent.`);
    }
    // The first request through undici costs milliseconds (parser compilation): paid now, not on the first press.
    const self = runtime.host === undefined || runtime.host === '::' || runtime.host === '0.0.0.0' ? '127.0.0.1' : runtime.host;
    void live.send({ method: 'GET', url: `http://${self.includes(':') ? `[${self}]` : self}:${actual}/health`, headers: {} }, newCall()).catch(() => undefined);
    // Each step's code runs slowly the first time, and the Twilio SDK loads with the first SMS or call
    // (press/warm-up.ts): both run a moment after the start, once the first health checks have their
    // answers, rather than in front of them or by the first press.
    setTimeout(() => {
      void warmUp(bot, parts)
        .then((ms) => log('warmed up', ms === undefined ? { ms, effect: 'it failed: the first press runs cold' } : { ms }));
    }, WARM_UP_AFTER_MS).unref();
    // A token made for this run is printed, or nobody could press; a BTTN_TOKEN given is never printed.
    if (runtime.buttonTokenGenerated && !bot.folder) {
      console.log(`No BTTN_TOKEN set; this run's press URL is ${base}/press/${runtime.buttonToken}`);
      console.log(`Try it: curl -X POST ${base}/press/${runtime.buttonToken}`);
      console.log(`Status page: ${base}/status/${runtime.buttonToken}`);
    } else if (runtime.buttonTokenGenerated) {
      console.log('No BTTN_TOKEN set; this run\'s URLs, one press URL and status page per button:');
      for (const { name, token } of escalations.all) console.log(`  ${name}: ${base}/press/${token}  status: ${base}/status/${token}`);
      console.log(`All buttons: ${base}/buttons/${runtime.buttonToken}`);
    } else if (bot.folder) {
      console.log(`Buttons: ${escalations.all.map(({ name }) => name).join(', ')}; their URLs are listed at ${base}/buttons/<BTTN_TOKEN>`);
    }
  });

  if (publicUrl === undefined) {
    console.log('No public URL (server.url or BTTN_PUBLIC_URL): escalations are acknowledged and resolved from the status page only.');
  } else {
    void registerWebhook(store, webex, publicUrl, log, stopping.signal);
  }
  for (const { name, outbox, button } of escalations.all) {
    const resumed = await outbox.resume();
    if (resumed > 0) log('outbox resumed', { button: bot.folder ? name : undefined, actions: resumed });
    button.start();
  }

  // systemd stops with SIGTERM (and kills after 10 s): stop taking presses, cancel what is under way (the
  // outbox keeps it, to check at the next start), write the state, and leave well within that.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log('stopping', { signal });
      server.close();
      app.closeStreams();
      server.closeIdleConnections();
      stopping.abort();
      for (const { button } of escalations.all) button.stop();
      const settled = Promise.all(escalations.all.flatMap(({ button, outbox }) => [button.idle(), outbox.idle()])).then(() => store.flush());
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
    if (store.current.shared.webhookSecret === undefined) {
      await store.update((state) => ({ ...state, shared: { ...state.shared, webhookSecret: state.shared.webhookSecret ?? newWebhookSecret() } }));
    }
    const secret = store.current.shared.webhookSecret!;
    const call = newCall(signal);
    const registered = await ensureWebhooks({ webex, publicUrl, secret, log }, call);
    log('webhook', { action: call.wouldSend.length > 0 ? 'dry-run' : registered.map((registration) => registration.action).join(', '), target: webhookTarget(publicUrl) });
    // In dry-run, what registering would have sent, like every other call (the secret is never part of a log).
    for (const request of call.wouldSend) log('would send', { request: `${request.method} ${request.url}` });
  } catch (error) {
    log('webhook failed', { error: error instanceof Error ? error.message : String(error), effect: 'card clicks and room commands are not received; the status page acknowledges' });
  }
}

/** After listening: a deploy's health checks come first. */
const WARM_UP_AFTER_MS = 250;

/** Leaves a second of the 10 s systemd gives for closing connections. */
const SHUTDOWN_MS = 8000;

/**
 * Dry-run and live runs keep separate state, so a rehearsal never moves the real escalation: going live
 * starts at step 1, unless the operator asks to continue where the rehearsal stopped (the room is never
 * carried over, a dry-run room does not exist).
 */
async function openState(directory: string, bot: BotSettings, dryRun: boolean, continueFromDryRun: boolean, log: Logger): Promise<StateStore> {
  const warn = (message: string) => log('warning', { message });
  const store = await StateStore.open(directory, dryRun ? 'dry-run' : 'live', warn);
  if (dryRun) return store;
  const rehearsal = savedState(directory, 'dry-run');
  for (const { name } of bot.buttons) {
    const rehearsed = rehearsal?.buttons[name];
    const button = store.button(name);
    if (button.current.pressCount > 0 || rehearsed === undefined || rehearsed.pressCount === 0) continue;
    const which = bot.folder ? ` of ${name}` : '';
    if (!continueFromDryRun) {
      console.log(`Live run: the escalation${which} starts at step 1. The dry-run rehearsal had reached step ${rehearsed.nextStep}; `
        + 'start with BTTN_CONTINUE_FROM_DRY_RUN=1 to go on from there instead.');
      continue;
    }
    const { nextStep, pressCount, lastPressAt } = rehearsed;
    await button.update((state) => ({ ...state, nextStep, pressCount, lastPressAt }));
    console.log(`Live run: continuing from the dry-run rehearsal at step ${nextStep}${which}, as BTTN_CONTINUE_FROM_DRY_RUN asks.`);
  }
  return store;
}

main().catch((error: unknown) => {
  console.error(`The bot stopped: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
