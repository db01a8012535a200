// The droplet's user data (#cloud-config), as text. Pure: tests render it, run `cloud-init schema` on it
// and check that no secret is in it. User data is readable from the metadata service and the control
// panel, so it carries only what is public: packages, hardening, the first-boot script. Secrets, the
// unit and the release come later over SSH, so changing them does not replace the droplet.

import { stringify } from 'yaml';
import { dropInDir, releasesDir, type Layout } from '../layout.ts';

/** Where Node.js and Caddy come from. */
export type PackageSource =
  /** A third-party apt repository whose signing key is pinned by its full fingerprint: production. */
  | {
    readonly kind: 'signed';
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
  /** A flat repository in a folder of the machine, trusted as it is: only the rehearsal uses it. */
  | {
    readonly kind: 'local';
    readonly name: string;
    /** `file:/folder ./` */
    readonly repository: string;
    readonly packages: readonly string[];
  };

export const nodeSource = (nodeMajor: number): PackageSource => ({
  kind: 'signed',
  name: 'nodesource',
  keyUrl: 'https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key',
  fingerprint: '6F71F525282841EEDAF851B42F59B5F99B1BE0B4',
  repository: `https://deb.nodesource.com/node_${nodeMajor}.x nodistro main`,
  site: 'deb.nodesource.com',
  packages: ['nodejs'],
});

// The distributions ship Caddy 2.6, which cannot ask Let's Encrypt for its "shortlived" profile (2.10+).
export const caddySource: PackageSource = {
  kind: 'signed',
  name: 'caddy-stable',
  keyUrl: 'https://dl.cloudsmith.io/public/caddy/stable/gpg.key',
  fingerprint: '65760C51EDEA2017CEA2CA15155B6D79CA56EA34',
  repository: 'https://dl.cloudsmith.io/public/caddy/stable/deb/debian any-version main',
  site: 'dl.cloudsmith.io',
  packages: ['caddy'],
};

export interface CloudInitInput {
  readonly layout: Layout;
  readonly sources: readonly PackageSource[];
  /** The Node.js major version the first boot insists on. */
  readonly nodeMajor: number;
}

/** What the first boot installs from the distribution: the tools of bttn-add-apt-source, automatic updates. */
const BASE_PACKAGES = ['unattended-upgrades', 'ca-certificates', 'curl', 'gnupg'];

export const ADD_APT_SOURCE = '/usr/local/sbin/bttn-add-apt-source';
export const FIRST_BOOT = '/usr/local/sbin/bttn-first-boot';
/** Prefix of the lines in which the first boot names why it failed; the wait step prints them first. */
export const FIRST_BOOT_FAILURE = 'bttn-first-boot failed:';

// Fetches the key over HTTPS and keeps only the key with the pinned fingerprint: a swapped key makes this
// script exit non-zero, and the first boot (set -e) stops with it.
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

const q = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
const repositoryUri = (source: PackageSource): string => source.repository.split(' ')[0] ?? '';

/**
 * The whole first boot as one `set -eu` script: cloud-init runs runcmd as a plain sh script whose status is
 * its last command's, so a failed install among several commands would pass. Every failure ends here with
 * one line that names its cause, which the wait step prints.
 */
export function firstBootScript(input: CloudInitInput): string {
  const { layout, sources } = input;
  const addSources = sources.map((s) => s.kind === 'signed'
    ? `${ADD_APT_SOURCE} ${[s.name, s.keyUrl, s.fingerprint, s.repository].map(q).join(' ')}`
    : `echo ${q(`deb [trusted=yes] ${s.repository}`)} > /etc/apt/sources.list.d/${s.name}.list`).join('\n');
  const checks = sources.flatMap((s) => s.packages.map((p) => `from_source ${q(p)} ${q(repositoryUri(s))}`)).join('\n');
  const packages = sources.flatMap((s) => s.packages).map(q).join(' ');
  return `#!/bin/bash
# Managed by the Pulumi program in infra/ (rendered by infra/render/cloud-init.ts).
set -euo pipefail
fail() { echo "${FIRST_BOOT_FAILURE} $*" >&2; exit 1; }
trap 'fail "line $LINENO: \\\`$BASH_COMMAND\\\` exited with status $?"' ERR
# On a fresh droplet apt-daily.service and unattended-upgrades often run at first boot. DPkg::Lock::Timeout
# waits for dpkg's lock only; apt-get update takes /var/lib/apt/lists/lock without waiting. So every apt step
# tries again while another apt holds any of its locks, for up to 15 minutes.
apt() {
  local deadline=$(( $(date +%s) + 900 )) output status
  while :; do
    status=0
    output=$(LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1) || status=$?
    printf '%s\n' "$output"
    if [ "$status" -eq 0 ] || ! grep -q '^E: Could not get lock' <<<"$output" || [ "$(date +%s)" -ge "$deadline" ]; then
      return "$status"
    fi
    echo "apt-get $1: another apt holds a lock; trying again"
    sleep "\${BTTN_APT_LOCK_PAUSE:-10}"
  done
}
# An install that fell back to the distribution's own package is a failure: the installed version must
# be one that the expected repository serves.
from_source() {
  local version
  version=$(dpkg-query -W -f='\${Version}' "$1") || fail "$1 is not installed"
  apt-cache madison "$1" | awk -F'|' -v v="$version" -v uri="$2" '
    { gsub(/^ +| +$/, "", $2); gsub(/^ +/, "", $3) } $2 == v && index($3, uri) == 1 { found = 1 } END { exit !found }' ||
    fail "$1 $version does not come from $2 (a repository outage or a wrong key falls back to the distribution's package)"
}
# cloud-init's own package steps would not wait for a lock: they are here.
apt update || fail "apt-get update failed: a package source cannot be read"
apt dist-upgrade --yes -o Dpkg::Options::=--force-confold || fail "apt-get dist-upgrade failed"
apt install --yes --no-install-recommends ${BASE_PACKAGES.join(' ')} || fail "apt-get install ${BASE_PACKAGES.join(' ')} failed"
${addSources}
apt update || fail "apt-get update failed: a package source cannot be read"
apt install --yes --no-install-recommends ${packages} || fail "apt-get install ${packages.replaceAll("'", '')} failed"
${checks}
node_version=$(node --version) || fail "node does not run"
node_major=\${node_version#v}
node_major=\${node_major%%.*}
[ "$node_major" = ${input.nodeMajor} ] || fail "node $node_version is installed, the bot needs Node.js ${input.nodeMajor}"
install -d -m 0755 ${q(releasesDir(layout))} ${q(dropInDir(layout))}
install -d -m 0700 ${q(layout.credentialsDir)}
systemctl enable --now unattended-upgrades.service
systemctl try-restart ssh.service
echo "first boot done: node $node_version, caddy $(caddy version | cut -d' ' -f1)" | tee ${q(layout.firstBootDone)}
`;
}

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
  const signed = input.sources.flatMap((s) => s.kind === 'signed' ? [s] : []);
  const pins = signed
    .map((s) => `Package: ${s.packages.join(' ')}\nPin: origin ${s.site}\nPin-Priority: 600\n`)
    .join('\n');
  const origins = signed.map((s) => `    "site=${s.site}";`).join('\n');
  const config = {
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
      { path: FIRST_BOOT, permissions: '0755', content: firstBootScript(input) },
    ],
    // One command, so that its status is the status of the runcmd script and of cloud-init.
    runcmd: [[FIRST_BOOT]],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
