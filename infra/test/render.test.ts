// The text that ends up on the droplet passes the tools that will read it there.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { LAYOUT } from '../layout.ts';
import { renderCaddyfile, type Front } from '../render/caddyfile.ts';
import { caddySource, nodeSource, renderCloudInit } from '../render/cloud-init.ts';
import { renderCredentialsDropIn, renderUnit } from '../render/unit.ts';
import { hasTool, run, scratch, TEST_HOST_KEY } from './tools.ts';

const userData = renderCloudInit({ layout: LAYOUT, sources: [nodeSource(24), caddySource], nodeMajor: 24, hostKey: TEST_HOST_KEY });

test('the user data is valid cloud-config for cloud-init', (t) => {
  if (!hasTool('cloud-init')) return t.skip('cloud-init is not installed (Debian package: cloud-init)');
  const dir = scratch({ 'user-data': userData });
  const result = run('cloud-init', ['schema', '--config-file', path.join(dir, 'user-data')]);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /Valid cloud-config/);
});

test('the first boot is one command: the set -e script that installs Node.js and Caddy from their own repositories', () => {
  const config = parse(userData.replace(/^#cloud-config\n/, '')) as { runcmd: string[][]; write_files: { path: string; content: string }[] };
  assert.deepEqual(config.runcmd, [['/usr/local/sbin/bttn-first-boot']]);
  const script = config.write_files.find((f) => f.path === '/usr/local/sbin/bttn-first-boot')?.content ?? '';
  assert.match(script, /^set -euo pipefail$/m);
  const sources = [...script.matchAll(/^\/usr\/local\/sbin\/bttn-add-apt-source '([^']+)' '[^']+' '([0-9A-F]{40})'/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(sources, [
    ['nodesource', '6F71F525282841EEDAF851B42F59B5F99B1BE0B4'],
    ['caddy-stable', '65760C51EDEA2017CEA2CA15155B6D79CA56EA34'],
  ]);
  assert.match(script, /apt-get -o DPkg::Lock::Timeout=600/);
  // cloud-init's own package steps do not wait for apt's locks; the script's do.
  assert.equal((config as { package_update?: boolean }).package_update, undefined);
  assert.match(script, /^from_source 'nodejs' 'https:\/\/deb\.nodesource\.com\/node_24\.x'$/m);
  assert.match(script, /^from_source 'caddy' 'https:\/\/dl\.cloudsmith\.io\/public\/caddy\/stable\/deb\/debian'$/m);
  assert.match(script, /the bot needs Node\.js 24/);
});

test('the user data turns on unattended upgrades and key-only SSH', () => {
  const config = parse(userData.replace(/^#cloud-config\n/, '')) as {
    ssh_pwauth: boolean; write_files: { path: string; content: string }[];
  };
  assert.equal(config.ssh_pwauth, false);
  const script = config.write_files.find((f) => f.path === '/usr/local/sbin/bttn-first-boot')?.content ?? '';
  assert.match(script, /^apt install --yes --no-install-recommends unattended-upgrades /m);
  const file = (p: string) => config.write_files.find((f) => f.path === p)?.content ?? '';
  assert.match(file('/etc/apt/apt.conf.d/20auto-upgrades'), /Unattended-Upgrade "1"/);
  assert.match(file('/etc/ssh/sshd_config.d/01-bttn-hardening.conf'), /^PasswordAuthentication no$/m);
  assert.match(file('/etc/ssh/sshd_config.d/01-bttn-hardening.conf'), /^PermitRootLogin prohibit-password$/m);
  // The host key comes with the user data; after the first boot only root may ask the metadata service for it.
  const keys = (config as { ssh_keys?: Record<string, string> }).ssh_keys;
  assert.deepEqual(Object.keys(keys ?? {}), ['ed25519_private', 'ed25519_public']);
  assert.match(file('/etc/bttn/metadata-root-only.nft'), /ip daddr 169\.254\.169\.254 meta skuid != 0 reject/);
  assert.match(file('/etc/systemd/system/bttn-metadata-root-only.service'), /^Before=caddy\.service bttn\.service$/m);
  assert.match(file('/usr/local/sbin/bttn-first-boot'), /^systemctl enable --now bttn-metadata-root-only\.service$/m);
  // Upgrades restart nothing on their own, and run at a fixed hour.
  assert.match(file('/etc/needrestart/conf.d/60-bttn.conf'), /^\$nrconf\{restart\} = 'l';$/m);
  assert.match(file('/etc/systemd/system/apt-daily-upgrade.timer.d/60-bttn.conf'), /^OnCalendar=\*-\*-\* 03:00:00 UTC$/m);
  assert.match(file('/etc/apt/apt.conf.d/52bttn-unattended-upgrades'), /^Unattended-Upgrade::Automatic-Reboot "false";$/m);
  // The unit comes over SSH with each release: changing it must not replace the droplet.
  assert.equal(file('/etc/systemd/system/bttn.service'), '');
});

function unitFolder(): string {
  return scratch({
    'bttn.service': renderUnit(LAYOUT),
    // Where systemd looks for drop-ins of a unit found in this folder.
    'bttn.service.d/credentials.conf': renderCredentialsDropIn(['BTTN_TOKEN', 'CISCO_SPARK_BTTN_BOT'], LAYOUT),
  });
}

test('the unit and its credentials drop-in pass systemd-analyze verify without a warning', (t) => {
  if (!hasTool('systemd-analyze')) return t.skip('systemd-analyze is not installed (Debian package: systemd)');
  const dir = unitFolder();
  const result = run('systemd-analyze', ['verify', path.join(dir, 'bttn.service')], {
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
  });
  assert.equal(result.status, 0, result.output);
  // systemd before 254 (this machine's, perhaps) does not know the growing restart pause; the droplet's does.
  const output = result.output.split('\n').filter((line) => !/Unknown key (name )?'Restart(Steps|MaxDelaySec)'/.test(line)).join('\n');
  assert.equal(output.trim(), '', 'verify prints nothing for a clean unit and drop-in');
});

test('the unit is exposed 1.5 or less by systemd-analyze security', (t) => {
  if (!hasTool('systemd-analyze')) return t.skip('systemd-analyze is not installed (Debian package: systemd)');
  const dir = unitFolder();
  const result = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(dir, 'bttn.service')]);
  const exposure = /Overall exposure level for bttn\.service: (\d+\.\d+)/.exec(result.output)?.[1];
  assert.ok(exposure !== undefined, result.output);
  assert.ok(Number(exposure) <= 1.5, `exposure ${exposure}:\n${result.output}`);
  t.diagnostic(`systemd-analyze security exposure: ${exposure}`);
});

test('the unit runs as a dynamic user with a state directory, never stops restarting, and leaves the JIT alone', () => {
  const unit = renderUnit(LAYOUT);
  assert.match(unit, /^DynamicUser=yes$/m);
  assert.match(unit, /^StateDirectory=bttn$/m);
  assert.match(unit, /^Restart=always$/m);
  assert.match(unit, /^StartLimitIntervalSec=0$/m);
  assert.match(unit, /^RestartSteps=\d+$/m);
  assert.match(unit, /^RestartMaxDelaySec=5min$/m);
  assert.doesNotMatch(unit, /^MemoryDenyWriteExecute=/m);
  assert.match(unit, /^Environment=HOST=127\.0\.0\.1$/m);
});

test('the credentials drop-in loads each secret from a root-only file', () => {
  assert.equal(
    renderCredentialsDropIn(['BTTN_TOKEN', 'TWILIO_AUTH_TOKEN'], LAYOUT).split('\n').filter((l) => l.startsWith('LoadCredential=')).join('\n'),
    'LoadCredential=BTTN_TOKEN:/etc/bttn/credentials/BTTN_TOKEN\nLoadCredential=TWILIO_AUTH_TOKEN:/etc/bttn/credentials/TWILIO_AUTH_TOKEN',
  );
});

function caddyVersion(): [number, number] | undefined {
  const match = /v?(\d+)\.(\d+)/.exec(run('caddy', ['version']).output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

const fronts: readonly [string, Front, [number, number]][] = [
  ['a certificate for a domain', { kind: 'domain', domain: 'bttn.example.com' }, [2, 0]],
  ['plain HTTP (tls: false)', { kind: 'http', host: '203.0.113.7' }, [2, 0]],
  // The `profile` option of the ACME issuer arrived in Caddy 2.10.
  ["a Let's Encrypt certificate for the IP address", { kind: 'ip', ipv4: '203.0.113.7' }, [2, 10]],
];

for (const [label, front, needs] of fronts) {
  test(`the Caddy file for ${label} passes caddy validate`, (t) => {
    if (!hasTool('caddy')) return t.skip('caddy is not installed (Debian package: caddy)');
    const version = caddyVersion();
    if (version === undefined || version[0] < needs[0] || (version[0] === needs[0] && version[1] < needs[1])) {
      return t.skip(`caddy ${version?.join('.') ?? '?'} is older than ${needs.join('.')}, which this Caddy file needs (the droplet gets Caddy from its own repository)`);
    }
    const dir = scratch({ Caddyfile: renderCaddyfile(front, LAYOUT) });
    const result = run('caddy', ['validate', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    });
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /Valid configuration/);
  });
}

for (const [label, front] of fronts) {
  test(`the Caddy file for ${label} keeps its admin API on a unix socket and the token out of its logs`, () => {
    const text = renderCaddyfile(front, LAYOUT);
    assert.match(text, /^\tadmin unix\/\/var\/lib\/caddy\/admin\.sock$/m);
    assert.match(text, /^\t\t\t\trequest>uri delete$/m);
    assert.match(text, /^\t\t\t\trequest>headers delete$/m);
  });
}

test('the Caddy file for an IP address asks Let\'s Encrypt for its short-lived profile', () => {
  const text = renderCaddyfile({ kind: 'ip', ipv4: '203.0.113.7' }, LAYOUT);
  assert.match(text, /^https:\/\/203\.0\.113\.7 \{$/m);
  assert.match(text, /issuer acme \{\s+profile shortlived\s+\}/);
  // Clients send no SNI for an IP-address URL, and the reserved IP's traffic arrives on another address.
  assert.match(text, /^\tdefault_sni 203\.0\.113\.7$/m);
  assert.match(text, /reverse_proxy 127\.0\.0\.1:8080/);
});
