// Starts the bot: reads the environment and settings.yaml (refusing to start on any problem),
// opens the state, wires the Webex and Twilio clients (dry-run when credentials are missing)
// and serves the button.

import type { AddressInfo } from 'node:net';
import { readRuntime } from './config/runtime.ts';
import { DryRunTransport } from './http/dry-run-transport.ts';
import { UndiciTransport } from './http/undici-transport.ts';
import { createLogger } from './log.ts';
import { Button } from './press/button.ts';
import { createApp } from './server/app.ts';
import { loadSettings, SettingsError } from './settings/load.ts';
import type { Settings } from './settings/types.ts';
import { StateStore } from './state/store.ts';
import { TwilioClient } from './twilio/client.ts';
import { WebexClient } from './webex/client.ts';

// A function rather than top-level await: the deployed bundle is CommonJS.
async function main(): Promise<void> {
  const log = createLogger();
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

  const store = await StateStore.open(runtime.stateDirectory, (message) => log('warning', { message }));
  const live = new UndiciTransport(runtime.retry);
  const dryRun = new DryRunTransport();
  const webexLive = settings.webex.token !== undefined;
  const twilioLive = settings.twilio.accountSid !== undefined && settings.twilio.authToken !== undefined;
  const webex = new WebexClient({ base: runtime.webexApiBase, token: settings.webex.token, transport: webexLive ? live : dryRun });
  const twilio = new TwilioClient({
    base: runtime.twilioApiBase,
    accountSid: settings.twilio.accountSid,
    authToken: settings.twilio.authToken,
    transport: twilioLive ? live : dryRun,
  });
  const button = new Button({ settings, store, webex, twilio, log, dryRun: !webexLive || !twilioLive, now: () => new Date() });
  const app = createApp({ button, store, buttonToken: runtime.buttonToken, log, settings });

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
      next_step: store.current.nextStep,
    });
    if (!webexLive || !twilioLive) {
      const missing = [!webexLive && 'CISCO_SPARK_BTTN_BOT (Webex)', !twilioLive && 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio)'].filter(Boolean).join(', ');
      console.log(`Dry-run: no ${missing}, so those calls are only logged and kept in the state, not sent.`);
    }
    // The first request through undici and the first use of the Twilio SDK cost tens of milliseconds
    // (parser compilation, lazy modules): pay them now that the bot answers, not on the first press.
    if (settings.steps.some((step) => step.sms !== undefined || step.call !== undefined)) void twilio.load().catch(() => undefined); // a failure shows on the first SMS or call
    const self = runtime.host === undefined || runtime.host === '::' || runtime.host === '0.0.0.0' ? '127.0.0.1' : runtime.host;
    void live.send({ method: 'GET', url: `http://${self.includes(':') ? `[${self}]` : self}:${actual}/health`, headers: {} }, { attempts: 0, wouldSend: [] }).catch(() => undefined);
    if (runtime.buttonTokenGenerated) {
      console.log(`No BTTN_TOKEN set; this run's press URL is ${base}/press/${runtime.buttonToken}`);
      console.log(`Try it: curl -X POST ${base}/press/${runtime.buttonToken}`);
      console.log(`Status page: ${base}/status/${runtime.buttonToken}`);
    }
  });

  // systemd stops with SIGTERM: finish the press in progress so nothing is left half done.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log('stopping', { signal });
      server.close();
      server.closeIdleConnections();
      void Promise.race([button.idle(), new Promise((resolve) => setTimeout(resolve, 10_000))])
        .then(() => Promise.all([live.close(), dryRun.close()]))
        .finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(`The bot stopped: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
