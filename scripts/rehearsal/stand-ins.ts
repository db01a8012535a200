// Everything in which the rehearsal differs from production, in one place. The vendor repositories and
// the Webex and Twilio APIs cannot be reached from here, so:
// - Node.js and Caddy come from a local apt repository, built here: Debian's `caddy` package, and a
//   `nodejs` package holding the `node` binary of the project's own `node` npm package;
// - a drop-in points the bot at the fake Webex and Twilio (bot/test/fakes) on the container's loopback;
// - Let's Encrypt is pebble (scripts/rehearsal/acme.ts), a real ACME CA on this machine: the Caddy file
//   names its directory and the root of the directory's HTTPS certificate instead of Let's Encrypt's
//   short-lived profile (which Debian's Caddy 2.6 and pebble do not know), and the machine trusts
//   pebble's root as it trusts Let's Encrypt's;
// - the reserved IP is a DNAT rule in the rehearsal's network namespace (acme.ts);
// - DigitalOcean's metadata service is a server on 169.254.169.254 in that namespace that serves the user
//   data, on port 8169 since Caddy holds port 80 of every address there (the firewall rule it checks does
//   not look at ports); the machine itself reads its user data from a NoCloud seed (machine.ts).
// The machine's base is Debian 12 from debootstrap instead of DigitalOcean's Ubuntu image, with an sshd
// drop-in that allows passwords, as Ubuntu's cloud images have (run.ts). The rehearsal differs from
// production in its timeouts too (shorter), its SSH client (OpenSSH, not @pulumi/command's), and it has no
// DigitalOcean API: no cloud firewall, droplet, reserved IP or tags.

import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AcmeStandIn } from '../../infra/render/caddyfile.ts';
import type { PackageSource } from '../../infra/render/cloud-init.ts';
import type { Pebble } from './acme.ts';

/** Where the local repository sits inside the machine. */
export const LOCAL_REPOSITORY = '/srv/bttn-apt';

export const localSources = (repository = LOCAL_REPOSITORY): PackageSource[] => [
  { kind: 'local', name: 'bttn-rehearsal', repository: `file:${repository} ./`, packages: ['nodejs', 'caddy'] },
];

/**
 * Builds the flat repository into `dir`: caddy's .deb from Debian (downloaded once into `cache`) and a
 * nodejs .deb wrapping `nodeBinary`. Returns the Node.js version it holds.
 */
export function buildLocalRepository(dir: string, cache: string, nodeBinary: string): string {
  mkdirSync(dir, { recursive: true });
  mkdirSync(cache, { recursive: true });
  if (!readdirSync(cache).some((f) => f.startsWith('caddy_'))) {
    execFileSync('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', 'caddy'], { cwd: cache, stdio: 'inherit' });
  }
  for (const file of readdirSync(cache).filter((f) => f.startsWith('caddy_'))) copyFileSync(path.join(cache, file), path.join(dir, file));

  const version = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  const root = path.join(dir, '..', 'nodejs-package');
  mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  copyFileSync(nodeBinary, path.join(root, 'usr/bin/node'));
  chmodSync(path.join(root, 'usr/bin/node'), 0o755);
  writeFileSync(path.join(root, 'DEBIAN/control'), `Package: nodejs
Version: ${version}-1rehearsal
Architecture: amd64
Maintainer: bttn rehearsal <rehearsal@localhost>
Depends: libc6, libstdc++6
Description: Node.js ${version} from the node npm package, for the deployment rehearsal
`);
  // Uncompressed: the binary does not shrink much, and compressing it would take most of this phase.
  execFileSync('dpkg-deb', ['-Znone', '--root-owner-group', '--build', root, path.join(dir, `nodejs_${version}-1rehearsal_amd64.deb`)], { stdio: 'ignore' });
  writeFileSync(path.join(dir, 'Packages'), execFileSync('dpkg-scanpackages', ['-m', '.', '/dev/null'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  return version;
}

/** The unit drop-in that sends the bot's Webex and Twilio calls to the fakes. */
export function fakeApisDropIn(webexUrl: string, twilioUrl: string): string {
  return `[Service]\nEnvironment=WEBEX_API_BASE=${webexUrl}\nEnvironment=TWILIO_API_BASE=${twilioUrl}\n`;
}

/** Where the machine keeps the root of pebble's directory certificate, for Caddy (which runs as `caddy`). */
const ACME_DIRECTORY_ROOT = '/usr/local/share/bttn-rehearsal/acme-directory-root.pem';

/** What the Caddy file says instead of Let's Encrypt's profile. */
export const acmeStandIn = (pebble: Pebble): AcmeStandIn => ({ directory: pebble.directory, directoryRoot: ACME_DIRECTORY_ROOT });

/** Puts pebble's roots on the machine (`dir`, before it boots): its issuing root joins the system's trust store. */
export function trustPebble(dir: string, pebble: Pebble): void {
  mkdirSync(path.join(dir, path.dirname(ACME_DIRECTORY_ROOT)), { recursive: true });
  writeFileSync(path.join(dir, ACME_DIRECTORY_ROOT), pebble.directoryRoot, { mode: 0o644 });
  writeFileSync(path.join(dir, 'usr/local/share/ca-certificates/bttn-rehearsal-pebble.crt'), pebble.issuingRoot, { mode: 0o644 });
  execFileSync('chroot', [dir, 'update-ca-certificates'], { stdio: 'ignore' });
}

/** DigitalOcean's metadata address, and the stand-in's port. */
export const METADATA_ADDRESS = '169.254.169.254';
export const METADATA_PORT = 8169;

/** Serves `userData` at the metadata service's address and path, to every local process that asks. */
export async function startMetadataService(userData: string): Promise<Server> {
  execFileSync('ip', ['address', 'add', `${METADATA_ADDRESS}/32`, 'dev', 'lo']);
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/metadata/v1/user-data' ? 200 : 404;
    response.end(response.statusCode === 200 ? userData : '');
  });
  await new Promise<void>((resolve) => server.listen(METADATA_PORT, METADATA_ADDRESS, resolve));
  return server;
}
