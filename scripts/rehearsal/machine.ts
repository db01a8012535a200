// A real Linux machine with systemd on this one: a Debian root file system from debootstrap (cached),
// booted by systemd-nspawn in the network namespace of the rehearsal, fed user data through cloud-init's
// NoCloud data source, as DigitalOcean feeds a droplet through its metadata service.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What the base image holds besides debootstrap's minimum: what a cloud image has (Ubuntu's has them all). */
export const BASE_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'cloud-init', 'python3-cffi-backend', 'openssh-server', 'openssh-sftp-server',
  'curl', 'gnupg', 'ca-certificates', 'unattended-upgrades', 'netbase', 'nftables',
  // Dependencies of Debian's caddy package, which the local repository does not carry.
  'libnss3-tools', 'media-types',
];

const MIRROR = 'http://deb.debian.org/debian';

/** The cached base root file system; built by debootstrap when missing. Returns its path. */
export function baseRootfs(cacheDir: string, log: string): string {
  const key = `bookworm-${createHash('sha256').update(BASE_PACKAGES.join(',')).digest('hex').slice(0, 12)}`;
  const done = path.join(cacheDir, key);
  if (existsSync(path.join(done, 'etc/os-release'))) return done;
  const building = `${done}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const built = spawnSync('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', building, MIRROR], { encoding: 'utf8' });
  writeFileSync(log, `${built.stdout}${built.stderr}`);
  if (built.status !== 0) {
    throw new Error(`debootstrap failed (status ${built.status}); the end of ${log}:\n${`${built.stdout}${built.stderr}`.split('\n').slice(-15).join('\n')}`);
  }
  // Cloud images come with their locale generated; cloud-init's locale module fails without it.
  writeFileSync(path.join(building, 'etc/locale.gen'), 'en_US.UTF-8 UTF-8\n');
  execFileSync('chroot', [building, 'locale-gen'], { stdio: 'ignore' });
  // The machine is offline: apt must not look for Debian's mirror, only for the sources the first boot adds.
  writeFileSync(path.join(building, 'etc/apt/sources.list'), '');
  rmSync(path.join(building, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(path.join(building, 'var/cache/apt/archives/partial'), { recursive: true });
  renameSync(building, done);
  return done;
}

export interface NoCloudSeed {
  readonly userData: string;
  readonly instanceId: string;
  readonly hostname: string;
  /** The stack key's public half, as DigitalOcean installs it for root. */
  readonly authorizedKey: string;
}

/** A fresh copy of the base with the seed and the local repository in place. */
export function prepareMachine(base: string, dir: string, seed: NoCloudSeed, repository: { from: string; to: string }): void {
  rmSync(dir, { recursive: true, force: true });
  execFileSync('cp', ['-a', '--reflink=auto', base, dir]);
  const nocloud = path.join(dir, 'var/lib/cloud/seed/nocloud');
  mkdirSync(nocloud, { recursive: true });
  writeFileSync(path.join(nocloud, 'user-data'), seed.userData);
  writeFileSync(path.join(nocloud, 'meta-data'), `instance-id: ${seed.instanceId}\nlocal-hostname: ${seed.hostname}\npublic-keys:\n  - ${seed.authorizedKey}\n`);
  // Only NoCloud, and no network configuration: the machine shares the rehearsal's loopback-only namespace.
  writeFileSync(path.join(dir, 'etc/cloud/cloud.cfg.d/90-rehearsal.cfg'), 'datasource_list: [NoCloud, None]\nnetwork: {config: disabled}\n');
  execFileSync('cp', ['-a', repository.from, path.join(dir, repository.to)]);
}

export interface Container {
  readonly process: ChildProcess;
  /** Resolves with nspawn's exit code; 133 means the machine asked to reboot. */
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Boots the machine; it shares this process's network namespace. */
export function boot(dir: string, name: string): Container {
  const child = spawn('systemd-nspawn', [
    '--quiet', '--boot', `--directory=${dir}`, `--machine=${name}`,
    // This host's PID 1 is not systemd: no machined to register with, no unit to keep.
    '--register=no', '--keep-unit', '--console=pipe', '--resolv-conf=off', '--timezone=off', '--link-journal=no',
    // The first boot's firewall rule (only root may ask the metadata service) goes into the rehearsal's own
    // network namespace, which the machine shares.
    '--capability=CAP_NET_ADMIN',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  // Never leave a machine running behind a rehearsal that died.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    process.off('exit', orphan);
    resolve(code);
  }));
  return { process: child, exited, output: () => output };
}

/** Powers the machine off (nspawn turns SIGTERM into a clean poweroff) and waits, killing it after a minute. */
export async function powerOff(container: Container): Promise<void> {
  if (container.process.exitCode !== null || container.process.signalCode !== null) return;
  container.process.kill('SIGTERM');
  const timer = setTimeout(() => container.process.kill('SIGKILL'), 60_000);
  await container.exited;
  clearTimeout(timer);
}
