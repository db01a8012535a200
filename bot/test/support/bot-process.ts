// Starts the real bot (bot/src/main.ts, or a bundle) as a child process on loopback, the way a
// user runs it, and talks to it over HTTP. Tests use this rather than calling our functions.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const seedSettings = path.resolve(repoRoot, 'bot/test/support/seed-settings.yaml');

export const TEST_TOKENS = {
  button: 'test-button-token-0123456789',
  webex: 'test-webex-bot-token',
  accountSid: `AC${'1'.repeat(32)}`,
  authToken: 'test-twilio-auth-token',
} as const;

export interface BotProcess {
  readonly pid: number;
  readonly baseUrl: string;
  readonly pressUrl: string;
  readonly stateDirectory: string;
  /** Everything the bot printed so far (stdout and stderr). */
  output(): string;
  press(method?: 'GET' | 'POST'): Promise<{ status: number; body: PressBody }>;
  /** Ends the process like systemd does (SIGTERM) and waits for it. */
  stop(): Promise<void>;
  /** Kills the process without warning, as a crash would. */
  kill(): Promise<void>;
}

export interface PressBody {
  readonly press?: string;
  readonly ok?: boolean;
  readonly kind?: string;
  readonly step?: number;
  readonly dryRun?: boolean;
  readonly actions?: { action: string; status: string; attempts: number; error?: string }[];
  readonly failed?: string[];
  readonly pending?: string[];
  readonly countedWith?: string;
  readonly coalesced?: number;
  readonly error?: string;
}

export interface StartOptions {
  /** Folder holding settings.yaml and files/; see workspace(). */
  readonly folder: string;
  readonly stateDirectory?: string;
  readonly env?: Record<string, string | undefined>;
  /** Run this file instead of bot/src/main.ts (the bundle). */
  readonly entry?: string;
  readonly nodeFlags?: readonly string[];
}

/** settings.yaml's text, or that and a buttons/ folder: one file per button, by name. */
export type Workspace = string | { readonly settings: string; readonly buttons: Readonly<Record<string, string>> };

/** A fresh folder with the given settings (default: the 2016 seed, unchanged) and a copy of files/. */
export function workspace(settings?: Workspace): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'bttn-'));
  cpSync(path.join(repoRoot, 'files'), path.join(folder, 'files'), { recursive: true });
  if (settings === undefined) {
    cpSync(seedSettings, path.join(folder, 'settings.yaml'));
  } else if (typeof settings === 'string') {
    writeFileSync(path.join(folder, 'settings.yaml'), settings);
  } else {
    writeFileSync(path.join(folder, 'settings.yaml'), settings.settings);
    mkdirSync(path.join(folder, 'buttons'));
    for (const [name, text] of Object.entries(settings.buttons)) writeFileSync(path.join(folder, 'buttons', `${name}.yaml`), text);
  }
  return folder;
}

/** Environment pointing the bot at the fakes with the test credentials. */
export function liveEnv(webexUrl: string, twilioUrl: string): Record<string, string> {
  return {
    WEBEX_API_BASE: webexUrl,
    TWILIO_API_BASE: twilioUrl,
    CISCO_SPARK_BTTN_BOT: TEST_TOKENS.webex,
    TWILIO_ACCOUNT_SID: TEST_TOKENS.accountSid,
    TWILIO_AUTH_TOKEN: TEST_TOKENS.authToken,
  };
}

export async function startBot(options: StartOptions): Promise<BotProcess> {
  const stateDirectory = options.stateDirectory ?? mkdtempSync(path.join(tmpdir(), 'bttn-state-'));
  const entry = options.entry ?? path.join(repoRoot, 'bot/src/main.ts');
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), entry], {
    cwd: options.folder,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BTTN_TOKEN: TEST_TOKENS.button,
      PORT: '0',
      HOST: '127.0.0.1',
      BTTN_STATE_DIR: stateDirectory,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bot did not start within 10 s:\n${output}`)), 10_000);
    const look = () => {
      const match = /^started .*\bport=(\d+)/m.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', look);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited with code ${code} before starting:\n${output}`));
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const pressUrl = `${baseUrl}/press/${TEST_TOKENS.button}`;
  return {
    pid: child.pid!,
    baseUrl,
    pressUrl,
    stateDirectory,
    output: () => output,
    async press(method = 'POST') {
      const response = await fetch(pressUrl, { method });
      return { status: response.status, body: (await response.json()) as PressBody };
    },
    stop: () => end(child, 'SIGTERM'),
    kill: () => end(child, 'SIGKILL'),
  };
}

function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Waits until `condition` holds, polling; fails with `what` after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port free on loopback now, for a bot that must know its own public URL before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
