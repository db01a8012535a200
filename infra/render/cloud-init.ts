// The droplet's user data (#cloud-config), as text. Pure: tests render it, run `cloud-init schema` on it
// and check that no secret is in it. User data is readable from the metadata service and the control
// panel, so it carries only what is public: packages, hardening, the unit. Secrets come later over SSH.

import { stringify } from 'yaml';
import { dropInDir, releasesDir, unitFile, type Layout } from '../layout.ts';

/** A third-party apt repository whose signing key is pinned by its full fingerprint. */
export interface AptSource {
  /** File name under /etc/apt/keyrings and sources.list.d. */
  readonly name: string;
  readonly keyUrl: string;
  readonly fingerprint: string;
  /** `URI suite component`, as after `deb [signed-by=...]`. */
  readonly repository: string;
  /** Origin host pinned above the distribution's package, and allowed in unattended upgrades. */
  readonly site: string;
  readonly packages: readonly string[];
}

export const nodeSource = (nodeMajor: number): AptSource => ({
  name: 'nodesource',
  keyUrl: 'https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key',
  fingerprint: '6F71F525282841EEDAF851B42F59B5F99B1BE0B4',
  repository: `https://deb.nodesource.com/node_${nodeMajor}.x nodistro main`,
  site: 'deb.nodesource.com',
  packages: ['nodejs'],
});

// The distributions ship Caddy 2.6, which cannot ask Let's Encrypt for its "shortlived" profile (2.10+).
export const caddySource: AptSource = {
  name: 'caddy-stable',
  keyUrl: 'https://dl.cloudsmith.io/public/caddy/stable/gpg.key',
  fingerprint: '65760C51EDEA2017CEA2CA15155B6D79CA56EA34',
  repository: 'https://dl.cloudsmith.io/public/caddy/stable/deb/debian any-version main',
  site: 'dl.cloudsmith.io',
  packages: ['caddy'],
};

export interface CloudInitInput {
  readonly layout: Layout;
  readonly unit: string;
  readonly aptSources: readonly AptSource[];
}

export const ADD_APT_SOURCE = '/usr/local/sbin/bttn-add-apt-source';

// Fetches the key over HTTPS and keeps only the key with the pinned fingerprint: a swapped key fails the boot.
const addAptSourceScript = `#!/bin/sh
# Usage: bttn-add-apt-source NAME KEY_URL FINGERPRINT "URI SUITE COMPONENT"
set -eu
name=$1 key_url=$2 fingerprint=$3 repository=$4
# Tests point BTTN_APT_DIR at a scratch folder.
apt=\${BTTN_APT_DIR:-/etc/apt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
curl --fail --silent --show-error --location --proto '=https' --retry 5 --output "$work/key" "$key_url"
gpg --batch --quiet --import "$work/key"
gpg --batch --export "$fingerprint" > "$work/keyring.gpg"
if [ ! -s "$work/keyring.gpg" ]; then
  echo "bttn-add-apt-source: $key_url does not hold the key $fingerprint; refusing the $name repository" >&2
  exit 1
fi
install -d -m 0755 "$apt/keyrings" "$apt/sources.list.d"
install -m 0644 "$work/keyring.gpg" "$apt/keyrings/$name.gpg"
echo "deb [signed-by=$apt/keyrings/$name.gpg] $repository" > "$apt/sources.list.d/$name.list"
`;

const sshdHardening = `# Keys only: the stack's generated key is the way in.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PermitEmptyPasswords no
MaxAuthTries 3
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
`;

const autoUpgrades = `APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
`;

export function renderCloudInit(input: CloudInitInput): string {
  const { layout, aptSources } = input;
  const pins = aptSources
    .map((s) => `Package: ${s.packages.join(' ')}\nPin: origin ${s.site}\nPin-Priority: 600\n`)
    .join('\n');
  const origins = aptSources.map((s) => `    "site=${s.site}";`).join('\n');
  const config = {
    package_update: true,
    package_upgrade: true,
    packages: ['unattended-upgrades', 'ca-certificates', 'curl', 'gnupg'],
    ssh_pwauth: false,
    disable_root: false,
    write_files: [
      { path: '/etc/ssh/sshd_config.d/60-bttn-hardening.conf', permissions: '0644', content: sshdHardening },
      { path: '/etc/apt/apt.conf.d/20auto-upgrades', permissions: '0644', content: autoUpgrades },
      {
        path: '/etc/apt/apt.conf.d/52bttn-unattended-upgrades',
        permissions: '0644',
        // Node.js and Caddy come from their own repositories; their fixes are security fixes for us too.
        content: `Unattended-Upgrade::Origins-Pattern {\n${origins}\n};\n`,
      },
      { path: '/etc/apt/preferences.d/60-bttn', permissions: '0644', content: pins },
      { path: ADD_APT_SOURCE, permissions: '0755', content: addAptSourceScript },
      { path: unitFile(layout), permissions: '0644', content: input.unit },
    ],
    runcmd: [
      ...aptSources.map((s) => [ADD_APT_SOURCE, s.name, s.keyUrl, s.fingerprint, s.repository]),
      ['apt-get', 'update'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '--yes', '--no-install-recommends',
        ...aptSources.flatMap((s) => s.packages)],
      ['install', '-d', '-m', '0755', releasesDir(layout)],
      ['install', '-d', '-m', '0700', layout.credentialsDir],
      ['install', '-d', '-m', '0755', dropInDir(layout)],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', `${layout.unitName}.service`],
      ['systemctl', 'enable', '--now', 'unattended-upgrades.service'],
      ['systemctl', 'try-restart', 'ssh.service'],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
