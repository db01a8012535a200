// Everything the bot takes from its environment, read once at start. Secrets may also come as
// systemd credentials: a file per secret in $CREDENTIALS_DIRECTORY (LoadCredential=).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RETRY, type RetryPolicy } from '../http/retry.ts';
import { CREDENTIAL_NAMES } from './credentials.ts';
import type { Environment } from '../settings/load.ts';
import { stateDirectory } from '../state/store.ts';
import { DEFAULT_TWILIO_API_BASE } from '../twilio/client.ts';
import { DEFAULT_WEBEX_API_BASE } from '../webex/client.ts';

export interface Runtime {
  /** The environment with systemd credentials merged in (credentials win). */
  readonly env: Environment;
  readonly settingsFile: string;
  readonly stateDirectory: string;
  readonly port: number | undefined;
  readonly host: string | undefined;
  readonly publicUrl: string | undefined;
  readonly buttonToken: string;
  /** True when no BTTN_TOKEN was given and one was made up for this run. */
  readonly buttonTokenGenerated: boolean;
  readonly webexApiBase: string;
  readonly twilioApiBase: string;
  readonly retry: RetryPolicy;
  /** Going live after a dry-run rehearsal continues where it stopped instead of at step 1. */
  readonly continueFromDryRun: boolean;
}

/** The press URL's secret is all that stands between the internet and the escalation: shorter is guessable. */
export const SHORTEST_BUTTON_TOKEN = 16;

/** Throws, with what to do, on a setting the bot cannot run with. */
export function readRuntime(processEnv: Environment): Runtime {
  const env = { ...processEnv, ...credentials(processEnv.CREDENTIALS_DIRECTORY) };
  const given = env.BTTN_TOKEN?.trim();
  if (given && given.length < SHORTEST_BUTTON_TOKEN) {
    throw new Error(`BTTN_TOKEN is ${given.length} characters long; the press URL's secret needs at least ${SHORTEST_BUTTON_TOKEN} `
      + '(make one with `openssl rand -hex 16`, or leave BTTN_TOKEN unset for one made at each start)');
  }
  return {
    env,
    settingsFile: env.BTTN_SETTINGS || 'settings.yaml',
    stateDirectory: stateDirectory(env),
    port: env.PORT ? Number(env.PORT) : undefined,
    host: env.HOST || undefined,
    publicUrl: env.BTTN_PUBLIC_URL || undefined,
    buttonToken: given || randomBytes(18).toString('base64url'),
    buttonTokenGenerated: !given,
    webexApiBase: env.WEBEX_API_BASE || DEFAULT_WEBEX_API_BASE,
    twilioApiBase: env.TWILIO_API_BASE || DEFAULT_TWILIO_API_BASE,
    retry: {
      deadlineMs: Number(env.BTTN_RETRY_DEADLINE_MS) || DEFAULT_RETRY.deadlineMs,
      attemptTimeoutMs: Number(env.BTTN_HTTP_TIMEOUT_MS) || DEFAULT_RETRY.attemptTimeoutMs,
      firstPauseMs: DEFAULT_RETRY.firstPauseMs,
    },
    continueFromDryRun: env.BTTN_CONTINUE_FROM_DRY_RUN === '1',
  };
}

function credentials(directory: string | undefined): Record<string, string> {
  if (!directory) return {};
  const found: Record<string, string> = {};
  for (const name of CREDENTIAL_NAMES) {
    try {
      found[name] = readFileSync(path.join(directory, name), 'utf8').trim();
    } catch {
      // Not every secret is delivered: Webex or Twilio may run in dry-run.
    }
  }
  return found;
}
