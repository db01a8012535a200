// Where things live on the droplet. The renderers (cloud-init, unit, Caddy file, remote scripts) and
// the release chain all read these names from here, so a path is spelled once.

export interface Layout {
  /** Root of the deployed bot: holds releases/ and the `current` symlink. */
  readonly appDir: string;
  /** Root-only folder of the credential files that systemd hands to the bot (LoadCredential=). */
  readonly credentialsDir: string;
  /** The bot's systemd unit, without the `.service` suffix; also the StateDirectory= name. */
  readonly unitName: string;
  /** Loopback port the bot listens on behind Caddy. */
  readonly botPort: number;
  readonly caddyfile: string;
  /** Caddy's admin API: a unix socket in the home of the `caddy` user, which only it (and root) can connect to. */
  readonly caddyAdminSocket: string;
  /** Where unit files and their drop-ins go. */
  readonly systemdDir: string;
  /** Time of the last activation, so the health check reads only the log lines of this release. */
  readonly activationStamp: string;
  /** Written at the end of the first boot: without it the machine is not ready, whatever cloud-init says. */
  readonly firstBootDone: string;
}

export const LAYOUT: Layout = {
  appDir: '/opt/bttn',
  credentialsDir: '/etc/bttn/credentials',
  unitName: 'bttn',
  botPort: 8080,
  caddyfile: '/etc/caddy/Caddyfile',
  caddyAdminSocket: '/var/lib/caddy/admin.sock',
  systemdDir: '/etc/systemd/system',
  activationStamp: '/run/bttn-activated-at',
  firstBootDone: '/var/lib/bttn-first-boot.done',
};

export const releasesDir = (layout: Layout): string => `${layout.appDir}/releases`;
export const currentDir = (layout: Layout): string => `${layout.appDir}/current`;
export const unitFile = (layout: Layout): string => `${layout.systemdDir}/${layout.unitName}.service`;
export const dropInDir = (layout: Layout): string => `${layout.systemdDir}/${layout.unitName}.service.d`;

/** The secrets the bot reads from $CREDENTIALS_DIRECTORY: its list, so the two cannot drift apart. */
export { CREDENTIAL_NAMES, type CredentialName } from '../bot/src/config/credentials.ts';

/** File names inside a release directory. */
export const RELEASE_FILES = {
  bundle: 'bot.cjs',
  settings: 'settings.yaml',
  environment: 'release.env',
  manifest: 'SHA256SUMS',
} as const;
