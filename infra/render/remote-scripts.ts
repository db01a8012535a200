// The shell scripts that the release chain runs on the droplet over SSH, as text. Pure: tests check
// them with `bash -n` and run them against a scratch layout, and the rehearsal runs them on a real
// machine. None of them takes a secret as text; secrets arrive on standard input (see credentialsScript).

import {
  CREDENTIAL_NAMES, currentDir, dropInDir, releasesDir, RELEASE_FILES, unitFile, type CredentialName, type Layout,
} from '../layout.ts';
import { FIRST_BOOT_FAILURE } from './cloud-init.ts';

/** Single-quotes a value for sh. */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * What each remote step runs: a shell reading its script from standard input. Pulumi's error for a
 * failed command quotes the command before its output, so a short command puts the failing lines first.
 */
export const REMOTE_SHELL = 'bash -s';

/**
 * Standard input for REMOTE_SHELL: the script, and the data it reads on its own standard input (the
 * credentials) as a here-document behind it.
 */
export function remoteInput(script: string, input?: string): string {
  if (input === undefined) return script;
  return `{\n${script}\n} <<'BTTN_INPUT_END'\n${input}BTTN_INPUT_END\n`;
}

/** The line of the wait step's output that carries the host key. */
export const HOST_KEY_PREFIX = 'host-key ';

/** Reads the host key (`type base64`) that the wait step printed. */
export function hostKeyFrom(waitOutput: string): string {
  const line = waitOutput.split('\n').find((l) => l.startsWith(HOST_KEY_PREFIX));
  if (line === undefined) throw new Error('the wait step printed no host key');
  return line.slice(HOST_KEY_PREFIX.length).trim();
}

/**
 * A shell function `scrub` that every log line printed on failure goes through: it hides the button's
 * token in /press/ and /status/ paths (Caddy logs the URI of each 5xx, and a restart answers 502) and
 * the value of every credential file.
 */
export function scrubFunction(layout: Layout): string {
  return `scrub() {
  BTTN_SECRETS="$(for f in ${shellQuote(layout.credentialsDir)}/*; do [ -f "$f" ] && { cat "$f"; echo; }; done 2>/dev/null)" awk '
    BEGIN { n = split(ENVIRON["BTTN_SECRETS"], secret, "\\n") }
    {
      for (i = 1; i <= n; i++) {
        if (length(secret[i]) < 4) continue
        while ((at = index($0, secret[i])) > 0) $0 = substr($0, 1, at - 1) "<secret>" substr($0, at + length(secret[i]))
      }
      gsub(/\\/press\\/[^ \\t"\\/?\\\\]+/, "/press/<token>")
      gsub(/\\/status\\/[^ \\t"\\/?\\\\]+/, "/status/<token>")
      print
    }'
}
`;
}

/**
 * Waits for the first boot, fails with its cause when it failed, and prints the machine's SSH host key
 * (read on this first contact) for every later connection to pin.
 */
export function waitForCloudInitScript(layout: Layout): string {
  return `set -u
status=0
cloud-init status --wait >/dev/null 2>&1 || status=$?
# cloud-init 22.4 stops waiting at the first recorded error while later stages still run: wait for the
# end of the boot, which includes them.
systemctl is-system-running --wait >/dev/null 2>&1 || true
cloud-init status >/dev/null 2>&1 || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ] || [ ! -e ${shellQuote(layout.firstBootDone)} ]; then
  cause=$(grep -h -F ${shellQuote(FIRST_BOOT_FAILURE)} /var/log/cloud-init-output.log 2>/dev/null | tail -n 3)
  echo "the droplet's first boot failed (cloud-init status $status): \${cause:-no cause recorded, see below}" >&2
  echo "--- cloud-init status ---" >&2
  cloud-init status --long >&2
  echo "--- last lines of /var/log/cloud-init-output.log ---" >&2
  tail -n 30 /var/log/cloud-init-output.log >&2
  exit 1
fi
cat ${shellQuote(layout.firstBootDone)}
printf '${HOST_KEY_PREFIX}%s\\n' "$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
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
  readonly unit: string;
  readonly caddyfile: string;
  /** The oldest Caddy that can serve this Caddy file, when it needs a recent one. */
  readonly minimumCaddy: string | undefined;
  readonly publicUrl: string;
}

/**
 * Checks the uploaded release, switches `current` to it, installs the unit and the Caddy file, reloads
 * Caddy and restarts the bot. Nothing switches unless every check passed.
 */
export function activateScript(input: ActivationInput): string {
  const { layout } = input;
  const release = `${releasesDir(layout)}/${input.releaseId}`;
  const current = currentDir(layout);
  const unit = `${layout.unitName}.service`;
  const caddyCheck = input.minimumCaddy === undefined ? '' : `caddy_version=$(caddy version | cut -d' ' -f1)
if ! printf '%s\\n%s\\n' ${shellQuote(input.minimumCaddy)} "\${caddy_version#v}" | sort -V -C; then
  echo "Caddy $caddy_version is installed; this Caddy file needs ${input.minimumCaddy} or later" >&2
  exit 1
fi
`;
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
${caddyCheck}echo ${b64(input.caddyfile)} | base64 -d > ${shellQuote(`${layout.caddyfile}.new`)}
caddy validate --config ${shellQuote(`${layout.caddyfile}.new`)} --adapter caddyfile >/dev/null
mv -f ${shellQuote(`${layout.caddyfile}.new`)} ${shellQuote(layout.caddyfile)}
echo ${b64(input.unit)} | base64 -d > ${shellQuote(`${unitFile(layout)}.new`)}
mv -f ${shellQuote(`${unitFile(layout)}.new`)} ${shellQuote(unitFile(layout))}
ln -sfn "$release" ${shellQuote(`${current}.new`)}
mv -fT ${shellQuote(`${current}.new`)} ${shellQuote(current)}
date +%s > ${shellQuote(layout.activationStamp)}
# A reload goes through the admin socket named in the running configuration; a Caddy started with another
# admin address (the package's first start, or a release before the socket) needs a restart instead.
systemctl reload caddy.service 2>/dev/null || systemctl restart caddy.service
systemctl daemon-reload
systemctl enable --quiet ${unit}
# A failed state and the restart count (which the health step reads) belong to the earlier release.
systemctl reset-failed ${unit}
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
 * Waits until the bot answers /health through the public URL, from the droplet itself: with TLS, this
 * means Caddy holds a certificate. The check from outside (infra/outside-check.ts) comes after it; this one
 * stays for its diagnosis: Caddy's own reason when it cannot get a certificate, and the last log lines of
 * Caddy and the bot, scrubbed.
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
${scrubFunction(input.layout)}since=$(cat ${shellQuote(input.layout.activationStamp)} 2>/dev/null || echo 0)
deadline=$(( $(date +%s) + ${input.timeoutSeconds} ))
explain() {
  echo "$1" >&2
  reason=$(journalctl -u caddy.service --since "@$since" --no-pager -o cat | grep -F '"will retry"' | tail -n 1)
  if [ -n "$reason" ]; then
    echo "Caddy could not get a certificate; its reason:" >&2
    echo "$reason" | scrub >&2
  fi
  echo "--- last log lines of Caddy and the bot ---" >&2
  journalctl -u caddy.service -u ${unit} -n 50 --no-pager | scrub >&2
  exit 1
}
${dns}
# Straight to Caddy on this machine, with the public name and certificate: whether the public address
# routes here through the cloud firewall is the outside check's question.
until last=$(curl --fail --silent --show-error --max-time 10 --connect-to ::127.0.0.1: --output /dev/null ${shellQuote(input.healthUrl)} 2>&1); do
  if systemctl is-failed --quiet ${unit}; then
    explain "the bot stopped (${unit} failed)."
  fi
  # The unit never gives up restarting (a start limit would leave the bot down); a loop is the failure here.
  restarts=$(systemctl show --property NRestarts --value ${unit} 2>/dev/null)
  if [ "\${restarts:-0}" -ge 3 ] 2>/dev/null; then
    explain "the bot keeps crashing (${unit} restarted $restarts times since this release started)."
  fi
  # Caddy retries for ever; after a second failed attempt it is not going to work this time.
  if [ "$(journalctl -u caddy.service --since "@$since" --no-pager -o cat | grep -cF '"will retry"')" -ge 2 ]; then
    explain "${input.healthUrl} does not answer: no certificate."
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    explain "${input.healthUrl} did not answer within ${input.timeoutSeconds} seconds; the last try: $last"
  fi
  # Caddy's first certificate usually comes within two seconds of its start: a try a second.
  sleep 1
done
echo "${input.healthUrl} answers"
`;
}
