// The check from outside: run on the machine that runs `pulumi up` (a local.Command), after the release.
// It reaches /health the way the button does (through the cloud firewall and, with TLS, the real
// certificate chain), and makes sure the bot's own port does not answer from outside.
//
// Usage: node infra/outside-check.ts HEALTH_URL HOST BOT_PORT [TIMEOUT_SECONDS]

import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OutsideCheck {
  readonly healthUrl: string;
  readonly host: string;
  readonly botPort: number;
  readonly timeoutSeconds: number;
}

/** Resolves to a list of problems; empty when the deployment looks right from outside. */
export async function checkFromOutside(check: OutsideCheck, signal?: AbortSignal): Promise<string[]> {
  const problems: string[] = [];
  const health = await waitForHealth(check, signal);
  if (health !== undefined) problems.push(health);
  if (await answers(check.host, check.botPort, 5000)) {
    problems.push(`the bot's own port ${check.botPort} answers on ${check.host}: only Caddy (80, 443) should be reachable`);
  }
  return problems;
}

async function waitForHealth(check: OutsideCheck, signal?: AbortSignal): Promise<string | undefined> {
  const deadline = Date.now() + check.timeoutSeconds * 1000;
  let last = '';
  for (;;) {
    try {
      const response = await fetch(check.healthUrl, { signal: AbortSignal.any([AbortSignal.timeout(10_000), ...(signal ? [signal] : [])]) });
      if (response.ok) return undefined;
      last = `answered ${response.status}`;
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      last = `could not be reached: ${cause}`;
    }
    if (Date.now() >= deadline || signal?.aborted) {
      return `${check.healthUrl} ${last} (from this machine, after ${check.timeoutSeconds} s; the check on the droplet had passed, so look at the cloud firewall, the certificate or the reserved IP)`;
    }
    await sleep(3000, undefined, { signal }).catch(() => undefined);
  }
}

/** True when a TCP connection to host:port is accepted within ms. */
function answers(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: ms });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

/** The command line of the local step, run from the project folder. */
export function outsideCheckCommand(check: OutsideCheck): string {
  const q = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
  return `node infra/outside-check.ts ${[check.healthUrl, check.host, String(check.botPort), String(check.timeoutSeconds)].map(q).join(' ')}`;
}

if (import.meta.main) {
  const [healthUrl, host, port, timeout] = process.argv.slice(2);
  if (healthUrl === undefined || host === undefined || port === undefined) {
    console.error('usage: node infra/outside-check.ts HEALTH_URL HOST BOT_PORT [TIMEOUT_SECONDS]');
    process.exit(2);
  }
  const problems = await checkFromOutside({ healthUrl, host, botPort: Number(port), timeoutSeconds: Number(timeout ?? 60) });
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(`${healthUrl} answers from outside; port ${port} is closed`);
}
