// The bot's systemd unit and its credentials drop-in, as text. Pure: tests render them and check them
// with `systemd-analyze verify` and `systemd-analyze security --offline=yes`.

import { LEAN_ENVIRONMENT, LEAN_NODE_FLAGS } from '../../bot/src/config/lean-memory.ts';
import { currentDir, RELEASE_FILES, type CredentialName, type Layout } from '../layout.ts';

export function renderUnit(layout: Layout): string {
  const current = currentDir(layout);
  return `# Managed by the Pulumi program in infra/ (rendered by infra/render/unit.ts); edits are overwritten.
[Unit]
Description=bt.tn button bot (Webex and Twilio escalation)
After=network-online.target
Wants=network-online.target
# Nothing to run until the first release has been uploaded over SSH.
ConditionPathExists=${current}/${RELEASE_FILES.bundle}
# No start limit: after a crash loop of any length the bot keeps trying, and comes back by itself once the
# cause is gone (a start limit would leave it down for good).
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/bin/node ${LEAN_NODE_FLAGS.join(' ')} ${current}/${RELEASE_FILES.bundle}
WorkingDirectory=${current}
Environment=NODE_ENV=production
${Object.entries(LEAN_ENVIRONMENT).map(([name, value]) => `Environment=${name}=${value}\n`).join('')}# Node's compile cache, and the bundle's own of what its start runs: a start reads the compiled code instead of
# compiling it again (%S is /var/lib).
Environment=NODE_COMPILE_CACHE=%S/${layout.unitName}/compile-cache
Environment=HOST=127.0.0.1
Environment=PORT=${layout.botPort}
Environment=BTTN_SETTINGS=${current}/${RELEASE_FILES.settings}
# BTTN_PUBLIC_URL: known only once the droplet has its address, so each release carries it.
EnvironmentFile=${current}/${RELEASE_FILES.environment}
Restart=always
RestartSec=2s
# systemd 254 and later (Ubuntu 24.04 has 255): the pause grows from 2 s to 5 minutes over 10 restarts, so a
# loop costs little. Older systemd (the rehearsal's Debian 12) ignores both and keeps 2 s.
RestartSteps=10
RestartMaxDelaySec=5min

# A user made up at start and gone at stop; its only writable place is the state directory.
DynamicUser=yes
StateDirectory=${layout.unitName}
StateDirectoryMode=0700
UMask=0077

# Hardening. MemoryDenyWriteExecute= stays off: V8's JIT needs writable and executable pages.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateUsers=yes
PrivateIPC=yes
ProtectHostname=yes
ProtectClock=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectProc=invisible
ProcSubset=pid
KeyringMode=private
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
LockPersonality=yes
PrivateMounts=yes
# Internet sockets for Caddy on loopback and for Webex and Twilio; AF_UNIX for the resolver.
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
# Node raises its open-files limit at start; refuse that politely instead of killing the process.
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}

/** LoadCredential= lines for the secrets this stack has; a listed file that is missing would stop the unit. */
export function renderCredentialsDropIn(names: readonly CredentialName[], layout: Layout): string {
  const lines = names.map((name) => `LoadCredential=${name}:${layout.credentialsDir}/${name}`);
  return `# Managed by the Pulumi program in infra/; the files are root-only, the bot reads $CREDENTIALS_DIRECTORY/<NAME>.
[Service]
${lines.join('\n')}
`;
}
