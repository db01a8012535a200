// Reads the stack's configuration (`pulumi config set ...`) and the seed's environment variables, and
// checks it all before anything is created: every problem is reported at once, each with the command
// that fixes it.

import { isIP } from 'node:net';
import type * as pulumi from '@pulumi/pulumi';
import type { Settings } from '../bot/src/settings/types.ts';
import type { Environment } from '../bot/src/settings/load.ts';

/** What the program reads from `pulumi.Config`; an interface so tests and the program share one reader. */
export interface ConfigSource {
  get(key: string): string | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
}


export interface DeployConfig {
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly nodeMajor: number;
  readonly domain: string | undefined;
  readonly tls: boolean;
  readonly sshAllowedCidrs: readonly string[];
  readonly secrets: DeploySecrets;
}

/** Secrets from config or the environment; undefined when settings.yaml carries the value itself or no step needs it. */
export interface DeploySecrets {
  readonly webexToken: pulumi.Output<string> | string | undefined;
  readonly twilioAccountSid: pulumi.Output<string> | string | undefined;
  readonly twilioAuthToken: pulumi.Output<string> | string | undefined;
}

export const DEFAULTS = {
  region: 'fra1',
  // 1 vCPU / 1 GB: Node, Caddy and apt side by side without swapping; the 512 MB size runs short during upgrades.
  size: 's-1vcpu-1gb',
  image: 'ubuntu-24-04-x64',
  // The Node.js LTS line the bot is built and tested with.
  nodeMajor: 24,
  sshAllowedCidrs: ['0.0.0.0/0', '::/0'],
} as const;

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`The stack's configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

interface SecretSpec {
  readonly key: string;
  readonly env: string;
  readonly what: string;
  readonly example: string;
}

const SECRETS = {
  webexToken: { key: 'webexToken', env: 'CISCO_SPARK_BTTN_BOT', what: 'the Webex bot token', example: '<bot access token>' },
  twilioAccountSid: { key: 'twilioAccountSid', env: 'TWILIO_ACCOUNT_SID', what: 'the Twilio account SID', example: 'AC...' },
  twilioAuthToken: { key: 'twilioAuthToken', env: 'TWILIO_AUTH_TOKEN', what: 'the Twilio auth token', example: '<auth token>' },
} as const satisfies Record<keyof DeploySecrets, SecretSpec>;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** `buttons`: every button's settings (they share the Webex token and Twilio account of settings.yaml). */
export function readConfig(source: ConfigSource, env: Environment, buttons: readonly Settings[]): DeployConfig {
  const settings = buttons[0]!;
  const problems: string[] = [];
  const text = (key: string, fallback: string): string => source.get(key)?.trim() || fallback;

  const domain = source.get('domain')?.trim() || undefined;
  if (domain !== undefined && !HOSTNAME.test(domain)) {
    problems.push(`domain "${domain}" is not a host name; fix it with \`pulumi config set domain bttn.example.com\` or remove it with \`pulumi config rm domain\``);
  }

  const tlsText = source.get('tls')?.trim().toLowerCase();
  if (tlsText !== undefined && tlsText !== 'true' && tlsText !== 'false') {
    problems.push(`tls is "${tlsText}" but must be true or false: \`pulumi config set tls false\``);
  }

  const nodeText = source.get('nodeMajor')?.trim();
  const nodeMajor = nodeText === undefined ? DEFAULTS.nodeMajor : Number(nodeText);
  if (!Number.isInteger(nodeMajor) || nodeMajor < 22 || nodeMajor % 2 !== 0) {
    problems.push(`nodeMajor "${nodeText}" is not a Node.js LTS line (22, 24, ...): \`pulumi config set nodeMajor ${DEFAULTS.nodeMajor}\``);
  }

  const sshAllowedCidrs = parseCidrs(source.get('sshAllowedCidrs'), problems);

  const needsTwilio = buttons.some((button) => button.steps.some((step) => step.sms !== undefined || step.call !== undefined));
  const secret = (spec: SecretSpec, fromFile: string | undefined, needed: boolean): pulumi.Output<string> | string | undefined => {
    // A value written in settings.yaml travels with the file; no need to ask for it twice.
    if (fromFile !== undefined) return undefined;
    const value = source.getSecret(spec.key) ?? (env[spec.env] || undefined);
    if (value === undefined && needed) {
      problems.push(`${spec.what} is missing: \`pulumi config set --secret ${spec.key} ${spec.example}\` (or set ${spec.env} in the environment)`);
    }
    return value;
  };
  const secrets: DeploySecrets = {
    webexToken: secret(SECRETS.webexToken, settings.webex.token, true),
    twilioAccountSid: secret(SECRETS.twilioAccountSid, settings.twilio.accountSid, needsTwilio),
    twilioAuthToken: secret(SECRETS.twilioAuthToken, settings.twilio.authToken, needsTwilio),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    region: text('region', DEFAULTS.region),
    size: text('size', DEFAULTS.size),
    image: text('image', DEFAULTS.image),
    nodeMajor,
    domain,
    tls: tlsText !== 'false',
    sshAllowedCidrs,
    secrets,
  };
}

/** Accepts a JSON list (`pulumi config set --path 'sshAllowedCidrs[0]' ...`) or a comma-separated string. */
function parseCidrs(raw: string | undefined, problems: string[]): readonly string[] {
  if (raw === undefined || raw.trim() === '') return DEFAULTS.sshAllowedCidrs;
  let items: unknown;
  try {
    items = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',');
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items)) {
    problems.push('sshAllowedCidrs must be a list of addresses: `pulumi config set sshAllowedCidrs 203.0.113.5/32,2001:db8::/48`');
    return [];
  }
  const cidrs = items.map((item) => String(item).trim()).filter((item) => item !== '');
  for (const cidr of cidrs) {
    if (!isCidr(cidr)) {
      problems.push(`sshAllowedCidrs: "${cidr}" is not an address range such as 203.0.113.5/32: \`pulumi config set sshAllowedCidrs 203.0.113.5/32\``);
    }
  }
  if (cidrs.length === 0) {
    problems.push('sshAllowedCidrs is empty, which would lock pulumi out of the droplet: `pulumi config set sshAllowedCidrs 203.0.113.5/32`');
  }
  return cidrs;
}

function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (address === undefined || rest.length > 0) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}
