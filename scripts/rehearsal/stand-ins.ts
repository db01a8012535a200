// Everything in which the rehearsal differs from production, in one place. The vendor repositories and
// the Webex and Twilio APIs cannot be reached from here, so:
// - Node.js and Caddy come from a local apt repository, built here: Debian's `caddy` package, and a
//   `nodejs` package holding the `node` binary of the project's own `node` npm package;
// - a drop-in points the bot at the fake Webex and Twilio (bot/test/fakes) on the container's loopback.
// The machine's base is Debian 12 from debootstrap instead of DigitalOcean's Ubuntu image.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PackageSource } from '../../infra/render/cloud-init.ts';

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
