// Runs the Pulumi program under pulumi.runtime.setMocks and records every resource it registers, with
// its inputs as the engine would receive them: the door a `pulumi up` goes through, minus the cloud.

import * as pulumi from '@pulumi/pulumi';
import { stack, type StackOutputs } from '../stack.ts';
import { scratch } from './tools.ts';

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** Names of the resources it waits for (dependsOn and inputs taken from them), as the engine sees them. */
  readonly dependsOn: readonly string[];
  /** True when it carries an alias to the top level of the stack: it keeps the identity it had there. */
  readonly aliasedToRoot: boolean;
}

export interface StackRun {
  readonly resources: readonly Registered[];
  readonly outputs: Record<keyof StackOutputs, string>;
  readonly secretOutputs: ReadonlySet<string>;
}

/** The reserved IP: the public address of the URLs. */
export const IPV4 = '203.0.113.7';
/** The droplet's own address: SSH's. */
export const DROPLET_IPV4 = '198.51.100.23';
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfTheDroplet';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** True when an input arrived at the engine marked secret. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['4dabf18193072939515e22adb298388d'] === SECRET_SIG;
}

/** The plain value of an input, secret or not. */
export function plain(value: unknown): unknown {
  return isSecretInput(value) ? (value as { value: unknown }).value : value;
}

export const SAMPLE_SETTINGS = `bt.tn:
  - markdown: "First press"
    file: files/dashboard.png
    type: "image/png"
  - sms:
      - message: "Check Webex"
      - number: "+352691496401"
    markdown: "Second press"
spark:
  room: "Green Power Demonstration"
  moderators:
    - alice@example.com
twilio:
  customer_service_number: "+33644606827"
server:
  port: 8080
`;

/** A project folder with settings.yaml, the file it sends and a stand-in bundle. */
export function sampleProject(files: Readonly<Record<string, string>> = {}): string {
  return scratch({
    'settings.yaml': SAMPLE_SETTINGS,
    'files/dashboard.png': 'not really a png',
    'dist/bot.cjs': 'console.log("bot")\n',
    ...files,
  });
}

export const SECRETS = {
  webexToken: 'webex-secret-3f9a',
  twilioAccountSid: 'AC-secret-77c1',
  twilioAuthToken: 'twilio-secret-d20e',
} as const;

export interface RunOptions {
  readonly projectDir: string;
  /** Plain config values, without the project prefix. */
  readonly config?: Readonly<Record<string, string>>;
  /** Secret config values (`pulumi config set --secret`), without the project prefix. */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly preview?: boolean;
  /** The program to run; by default stack() with the sample project's stand-in bundle. */
  readonly program?: () => Promise<StackOutputs>;
  /** Receives every registered resource as it arrives, also when the program fails midway. */
  readonly registered?: Registered[];
}

export async function runStack(options: RunOptions): Promise<StackRun> {
  const resources: Registered[] = options.registered ?? [];
  const dependencies = new Map<string, { dependsOn: string[]; aliasedToRoot: boolean }>();
  await pulumi.runtime.setMocks({
    newResource(args) {
      const seen = dependencies.get(`${args.type}::${args.name}`);
      resources.push({ type: args.type, name: args.name, inputs: args.inputs, dependsOn: seen?.dependsOn ?? [], aliasedToRoot: seen?.aliasedToRoot ?? false });
      // DigitalOcean ids are numbers; the firewall takes the droplet's as one.
      const id = args.type === 'digitalocean:index/droplet:Droplet' ? '424242' : `${args.name}-id`;
      return { id, state: { ...args.inputs, ...fakeState(args.type, args.name) } };
    },
    call: (args) => args.inputs,
  }, 'bttn-webex', 'dev', options.preview ?? false);
  recordDependencies(dependencies);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...options.config, ...options.secrets })) config[`bttn-webex:${key}`] = value;
  pulumi.runtime.setAllConfig(config, Object.keys(options.secrets ?? {}).map((key) => `bttn-webex:${key}`));

  let outputs: StackOutputs;
  try {
    outputs = await (options.program ?? (() => stack({
      projectDir: options.projectDir,
      buildBundle: async () => `${options.projectDir}/dist/bot.cjs`,
      env: options.env ?? {},
    })))();
  } catch (error) {
    // Let registrations already sent reach the mocks, so a caller sees everything the program created.
    await new Promise((resolve) => setTimeout(resolve, 100));
    throw error;
  }
  const resolved = {} as Record<keyof StackOutputs, string>;
  const secretOutputs = new Set<string>();
  for (const [key, output] of Object.entries(outputs) as [keyof StackOutputs, pulumi.Output<string>][]) {
    resolved[key] = await new Promise<string>((resolve) => output.apply(resolve));
    if (await pulumi.isSecret(output)) secretOutputs.add(key);
  }
  return { resources, outputs: resolved, secretOutputs };
}

/** The mocks hide a request's dependencies and aliases; read them off the request before the mock monitor sees it. */
function recordDependencies(into: Map<string, { dependsOn: string[]; aliasedToRoot: boolean }>): void {
  interface Request {
    getName(): string;
    getType(): string;
    getAliasesList(): { toObject(): { spec?: { noparent?: boolean; parenturn?: string } } }[];
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(fn: (deps: { getUrnsList(): string[] }) => void): void };
  }
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Request, cb: unknown): Promise<void> };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const urns = new Set(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((urn) => urns.add(urn)));
    // Under the mocks there is no root stack resource, so an alias to it arrives as "no parent".
    const aliasedToRoot = req.getAliasesList().some((alias) => alias.toObject().spec?.noparent === true);
    into.set(`${req.getType()}::${req.getName()}`, { dependsOn: [...urns].map((urn) => urn.split('::').pop() ?? urn), aliasedToRoot });
    return register(req, cb);
  };
}

function fakeState(type: string, name: string): Record<string, unknown> {
  switch (type) {
    case 'digitalocean:index/droplet:Droplet': return { ipv4Address: DROPLET_IPV4 };
    case 'digitalocean:index/reservedIp:ReservedIp': return { ipAddress: IPV4 };
    case 'digitalocean:index/sshKey:SshKey': return { fingerprint: `fp-${name}` };
    case 'tls:index/privateKey:PrivateKey':
      return { privateKeyPem: `pem-${name}`, privateKeyOpenssh: `openssh-${name}`, publicKeyOpenssh: `ssh-ed25519 AAAA ${name}` };
    case 'command:remote:Command':
      return { stdout: name.endsWith('-wait-cloud-init') ? `first boot done\nhost-key ${HOST_KEY}\n` : `ran ${name}`, stderr: '' };
    case 'command:local:Command': return { stdout: `ran ${name}`, stderr: '' };
    default: return {};
  }
}

export function byType(run: StackRun, type: string): Registered[] {
  return run.resources.filter((r) => r.type === type);
}

export function one(run: StackRun, type: string, name?: string): Registered {
  const found = byType(run, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
