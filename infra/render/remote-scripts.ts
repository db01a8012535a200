// The shell scripts that the release chain runs on the droplet over SSH, as text. Pure: tests check
// them with `bash -n` and run them against a scratch layout. None of them takes a secret as text;
// secrets arrive on standard input (see credentialsScript).

import {
  CREDENTIAL_NAMES, currentDir, dropInDir, releasesDir, RELEASE_FILES, type CredentialName, type Layout,
} from '../layout.ts';

/** Single-quotes a value for sh. */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function waitForCloudInitScript(): string {
  return `set -u
status=0
cloud-init status --wait >/dev/null || status=$?
# 0: done; 2: done with recoverable problems such as deprecated keys; anything else: failed.
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
  echo "cloud-init failed on the droplet (status $status):" >&2
  cloud-init status --long >&2
  tail -n 40 /var/log/cloud-init-output.log >&2
  exit 1
fi
for tool in node caddy; do
  if ! command -v "$tool" >/dev/null; then
    echo "cloud-init finished but $tool is not installed; last lines of its log:" >&2
    tail -n 40 /var/log/cloud-init-output.log >&2
    exit 1
  fi
done
echo "cloud-init done: node $(node --version), caddy $(caddy version | cut -d' ' -f1)"
`;
}

/**
 * Writes the credential files from standard input (lines `NAME base64(value)`), removes those no longer
 * configured, and installs the matching LoadCredential= drop-in. Files are root-only; systemd hands
 * copies to the bot's dynamic user.
 */
export function credentialsScript(dropIn: string, layout: Layout): string {
  const dir = layout.credentialsDir;
  return `set -eu
umask 077
dir=${shellQuote(dir)}
install -d -m 0700 "$dir"
keep=" "
while read -r name value; do
  case "$name" in
    ${CREDENTIAL_NAMES.join('|')}) ;;
    *) echo "unexpected credential name: $name" >&2; exit 1 ;;
  esac
  printf '%s' "$value" | base64 -d > "$dir/$name.new"
  mv -f "$dir/$name.new" "$dir/$name"
  keep="$keep$name "
done
for file in "$dir"/*; do
  [ -e "$file" ] || continue
  case "$keep" in *" $(basename "$file") "*) ;; *) rm -f "$file" ;; esac
done
install -d -m 0755 ${shellQuote(dropInDir(layout))}
echo ${b64(dropIn)} | base64 -d > ${shellQuote(`${dropInDir(layout)}/credentials.conf`)}
systemctl daemon-reload
echo "credentials in place:$keep"
`;
}

/** Standard input for credentialsScript: one line per secret, values base64-encoded so any byte survives. */
export function credentialsInput(values: ReadonlyMap<CredentialName, string>): string {
  return [...values].map(([name, value]) => `${name} ${b64(value)}\n`).join('');
}

export interface ActivationInput {
  readonly layout: Layout;
  readonly releaseId: string;
  /** `sha256  name` lines of the uploaded files, checked before switching. */
  readonly checksums: string;
  readonly caddyfile: string;
  readonly publicUrl: string;
}

/** Checks the uploaded release, switches `current` to it, reloads Caddy and restarts the bot. */
export function activateScript(input: ActivationInput): string {
  const { layout } = input;
  const release = `${releasesDir(layout)}/${input.releaseId}`;
  const current = currentDir(layout);
  const unit = `${layout.unitName}.service`;
  return `set -eu
release=${shellQuote(release)}
cd "$release"
echo ${b64(input.checksums)} | base64 -d > ${RELEASE_FILES.manifest}
if ! sha256sum --check --quiet ${RELEASE_FILES.manifest}; then
  echo "the upload of release ${input.releaseId} is incomplete or damaged; run pulumi up again" >&2
  exit 1
fi
printf 'BTTN_PUBLIC_URL=%s\\n' ${shellQuote(input.publicUrl)} > ${RELEASE_FILES.environment}
chmod -R u=rwX,go=rX "$release"
echo ${b64(input.caddyfile)} | base64 -d > ${shellQuote(`${layout.caddyfile}.new`)}
caddy validate --config ${shellQuote(`${layout.caddyfile}.new`)} --adapter caddyfile >/dev/null
mv -f ${shellQuote(`${layout.caddyfile}.new`)} ${shellQuote(layout.caddyfile)}
ln -sfn "$release" ${shellQuote(`${current}.new`)}
mv -fT ${shellQuote(`${current}.new`)} ${shellQuote(current)}
date +%s > ${shellQuote(layout.activationStamp)}
systemctl reload-or-restart caddy.service
systemctl daemon-reload
systemctl restart ${unit}
# Keep the two releases before this one for a quick manual rollback; drop older ones.
ls -1dt ${shellQuote(releasesDir(layout))}/*/ | tail -n +4 | grep -vxF "$release/" | xargs -r rm -rf
echo "release ${input.releaseId} is live"
`;
}

export interface HealthInput {
  readonly layout: Layout;
  /** The public /health URL, as the button would reach it. */
  readonly healthUrl: string;
  /** A domain to wait for in DNS before expecting a certificate; with the IP it must point at. */
  readonly dns: { readonly domain: string; readonly ipv4: string } | undefined;
  readonly timeoutSeconds: number;
}

/**
 * Waits until the bot answers /health through the public URL (which, with TLS, means Caddy holds a
 * certificate). Fails early with Caddy's own reason when it cannot get one, and always with the last
 * log lines of Caddy and the bot.
 */
export function healthScript(input: HealthInput): string {
  const unit = `${input.layout.unitName}.service`;
  const dns = input.dns === undefined ? '' : `
until getent ahostsv4 ${shellQuote(input.dns.domain)} | grep -qwF ${shellQuote(input.dns.ipv4)}; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "${input.dns.domain} does not point at ${input.dns.ipv4} yet: add a DNS A record and run pulumi up again." >&2
    exit 1
  fi
  echo "waiting for DNS: add an A record ${input.dns.domain} -> ${input.dns.ipv4}"
  sleep 15
done
`;
  return `set -u
since=$(cat ${shellQuote(input.layout.activationStamp)} 2>/dev/null || echo 0)
deadline=$(( $(date +%s) + ${input.timeoutSeconds} ))
explain() {
  echo "$1" >&2
  reason=$(journalctl -u caddy.service --since "@$since" --no-pager -o cat | grep -F '"will retry"' | tail -n 1)
  if [ -n "$reason" ]; then
    echo "Caddy could not get a certificate; its reason:" >&2
    echo "$reason" >&2
  fi
  echo "--- last log lines of Caddy and the bot ---" >&2
  journalctl -u caddy.service -u ${unit} -n 50 --no-pager >&2
  exit 1
}
${dns}
until curl --fail --silent --show-error --max-time 10 --output /dev/null ${shellQuote(input.healthUrl)} 2>/dev/null; do
  if systemctl is-failed --quiet ${unit}; then
    explain "the bot stopped (${unit} failed)."
  fi
  # Caddy retries for ever; after a second failed attempt it is not going to work this time.
  if [ "$(journalctl -u caddy.service --since "@$since" --no-pager -o cat | grep -cF '"will retry"')" -ge 2 ]; then
    explain "${input.healthUrl} does not answer: no certificate."
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    explain "${input.healthUrl} did not answer within ${input.timeoutSeconds} seconds."
  fi
  sleep 5
done
echo "${input.healthUrl} answers"
`;
}
