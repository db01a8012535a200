// The scripts the release chain runs over SSH, run here for real under bash against a scratch root,
// with the droplet's services (systemctl, caddy, journalctl, curl, cloud-init) replaced by stubs that
// record how they were called.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Layout } from '../layout.ts';
import {
  activateScript, credentialsInput, credentialsScript, healthScript, hostKeyFrom, REMOTE_SHELL, remoteInput, waitForCloudInitScript,
} from '../render/remote-scripts.ts';
import { renderCredentialsDropIn } from '../render/unit.ts';
import { run, scratch } from './tools.ts';

interface Droplet {
  readonly root: string;
  readonly layout: Layout;
  /** Runs a script as the SSH session would, with stubbed services first on PATH. */
  sh(script: string, input?: string): { status: number | null; output: string };
  /** Lines the stubs recorded, e.g. `systemctl restart bttn.service`. */
  calls(): string[];
  stub(name: string, body: string): void;
}

function droplet(): Droplet {
  const root = scratch();
  const bin = path.join(root, 'stub-bin');
  mkdirSync(bin);
  const log = path.join(root, 'calls.log');
  writeFileSync(log, '');
  const stub = (name: string, body: string) => {
    const file = path.join(bin, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
    chmodSync(file, 0o755);
  };
  for (const name of ['systemctl', 'caddy', 'journalctl']) stub(name, 'exit 0');
  const layout: Layout = {
    appDir: path.join(root, 'opt/bttn'),
    credentialsDir: path.join(root, 'etc/bttn/credentials'),
    unitName: 'bttn',
    botPort: 8080,
    caddyfile: path.join(root, 'etc/caddy/Caddyfile'),
    caddyAdminSocket: path.join(root, 'var/lib/caddy/admin.sock'),
    systemdDir: path.join(root, 'etc/systemd/system'),
    activationStamp: path.join(root, 'run/bttn-activated-at'),
    firstBootDone: path.join(root, 'var/lib/bttn-first-boot.done'),
  };
  mkdirSync(path.join(root, 'etc/caddy'), { recursive: true });
  mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(path.join(root, 'var/lib'), { recursive: true });
  mkdirSync(path.join(root, 'run'), { recursive: true });
  return {
    root,
    layout,
    sh: (script, input) => run('bash', ['-c', script], { input, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }),
    calls: () => readFileSync(log, 'utf8').split('\n').filter((line) => line !== ''),
    stub,
  };
}

const activate = (d: Droplet, releaseId: string, checksums: string, caddyfile: string, publicUrl: string): string =>
  activateScript({ layout: d.layout, releaseId, checksums, unit: '[Unit]\n', caddyfile, minimumCaddy: undefined, publicUrl });

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

test('every remote script is valid bash', () => {
  const { layout } = droplet();
  const scripts = [
    waitForCloudInitScript(layout),
    credentialsScript(renderCredentialsDropIn(['BTTN_TOKEN'], layout), layout),
    activateScript({ layout, releaseId: 'r1', checksums: '', unit: '', caddyfile: ':80 {\n}\n', minimumCaddy: '2.10.1', publicUrl: 'https://203.0.113.7' }),
    healthScript({ layout, healthUrl: 'https://203.0.113.7/health', dns: { domain: 'a.example.com', ipv4: '203.0.113.7' }, timeoutSeconds: 5 }),
  ];
  for (const script of scripts) {
    const result = run('bash', ['-n', '-c', script]);
    assert.equal(result.status, 0, `${result.output}\n${script}`);
  }
});

test('credentials land as root-only files with their exact bytes, and the drop-in loads them', () => {
  const d = droplet();
  const values = new Map([['BTTN_TOKEN', 'tok-123'], ['CISCO_SPARK_BTTN_BOT', "it's a \"token\" with spaces\nand a newline"]] as const);
  const script = credentialsScript(renderCredentialsDropIn([...values.keys()], d.layout), d.layout);
  const result = d.sh(script, credentialsInput(values));
  assert.equal(result.status, 0, result.output);
  for (const [name, value] of values) {
    const file = path.join(d.layout.credentialsDir, name);
    assert.equal(readFileSync(file, 'utf8'), value);
    assert.equal(mode(file), '600');
  }
  assert.equal(mode(d.layout.credentialsDir), '700');
  assert.equal(
    readFileSync(path.join(d.layout.systemdDir, 'bttn.service.d/credentials.conf'), 'utf8'),
    renderCredentialsDropIn([...values.keys()], d.layout),
  );
  assert.ok(d.calls().includes('systemctl daemon-reload'));
  assert.ok(!result.output.includes('tok-123'), 'the script does not print a secret');
});

test('a credential no longer configured is removed from the droplet', () => {
  const d = droplet();
  const all = new Map([['BTTN_TOKEN', 'a'], ['TWILIO_AUTH_TOKEN', 'b']] as const);
  assert.equal(d.sh(credentialsScript(renderCredentialsDropIn([...all.keys()], d.layout), d.layout), credentialsInput(all)).status, 0);
  const fewer = new Map([['BTTN_TOKEN', 'a']] as const);
  assert.equal(d.sh(credentialsScript(renderCredentialsDropIn([...fewer.keys()], d.layout), d.layout), credentialsInput(fewer)).status, 0);
  assert.ok(!existsSync(path.join(d.layout.credentialsDir, 'TWILIO_AUTH_TOKEN')));
  assert.ok(existsSync(path.join(d.layout.credentialsDir, 'BTTN_TOKEN')));
});

test('a credential with an unknown name is refused', () => {
  const d = droplet();
  const result = d.sh(credentialsScript('', d.layout), 'PATH L2Jpbg==\n');
  assert.notEqual(result.status, 0);
  assert.match(result.output, /unexpected credential name: PATH/);
});

function upload(d: Droplet, releaseId: string, files: Readonly<Record<string, string>>): string {
  const dir = path.join(d.layout.appDir, 'releases', releaseId);
  let checksums = '';
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
    checksums += `${createHash('sha256').update(content).digest('hex')}  ${name}\n`;
  }
  return checksums;
}

test('activation switches current to the release, installs the Caddy file and the URL, and restarts the bot', () => {
  const d = droplet();
  const checksums = upload(d, 'r1', { 'bot.cjs': 'bot', 'settings.yaml': 'bt.tn: []', 'files/a.png': 'png' });
  const caddyfile = 'https://203.0.113.7 {\n\treverse_proxy 127.0.0.1:8080\n}\n';
  const result = d.sh(activate(d, 'r1', checksums, caddyfile, 'https://203.0.113.7'));
  assert.equal(result.status, 0, result.output);
  const current = path.join(d.layout.appDir, 'current');
  assert.equal(readlinkSync(current), path.join(d.layout.appDir, 'releases', 'r1'));
  assert.equal(readFileSync(path.join(current, 'release.env'), 'utf8'), 'BTTN_PUBLIC_URL=https://203.0.113.7\n');
  assert.equal(readFileSync(d.layout.caddyfile, 'utf8'), caddyfile);
  const calls = d.calls();
  assert.ok(calls.some((c) => c.startsWith('caddy validate --config') && c.includes('Caddyfile.new')));
  const order = ['systemctl reload caddy.service', 'systemctl restart bttn.service'].map((c) => calls.indexOf(c));
  assert.ok(order.every((i) => i >= 0) && order[0]! < order[1]!, calls.join('\n'));
  assert.match(readFileSync(d.layout.activationStamp, 'utf8'), /^\d+\n$/);
});

test('a damaged upload is not activated', () => {
  const d = droplet();
  const good = upload(d, 'r1', { 'bot.cjs': 'bot v1' });
  assert.equal(d.sh(activate(d, 'r1', good, '', 'u')).status, 0);
  const expected = upload(d, 'r2', { 'bot.cjs': 'bot v2' });
  writeFileSync(path.join(d.layout.appDir, 'releases/r2/bot.cjs'), 'bot v2, cut sho');
  const result = d.sh(activate(d, 'r2', expected, '', 'u'));
  assert.notEqual(result.status, 0);
  assert.match(result.output, /release r2 is incomplete or damaged/);
  assert.equal(readlinkSync(path.join(d.layout.appDir, 'current')), path.join(d.layout.appDir, 'releases', 'r1'));
  assert.equal(d.calls().filter((c) => c === 'systemctl restart bttn.service').length, 1, 'only the first release restarted the bot');
});

test('a Caddy file that Caddy rejects stops the activation before anything switches', () => {
  const d = droplet();
  d.stub('caddy', 'echo "Error: adapting config using caddyfile: unrecognized directive: bogus" >&2; exit 1');
  const checksums = upload(d, 'r1', { 'bot.cjs': 'bot' });
  const result = d.sh(activate(d, 'r1', checksums, 'bogus\n', 'u'));
  assert.notEqual(result.status, 0);
  assert.match(result.output, /unrecognized directive: bogus/);
  assert.ok(!existsSync(path.join(d.layout.appDir, 'current')));
});

test('activation keeps the two previous releases and removes older ones', () => {
  const d = droplet();
  for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) {
    const checksums = upload(d, id, { 'bot.cjs': id });
    assert.equal(d.sh(`sleep 0.01; ${activate(d, id, checksums, '', 'u')}`).status, 0);
  }
  const left = run('ls', [path.join(d.layout.appDir, 'releases')]).output.trim().split('\n');
  assert.deepEqual(left, ['r3', 'r4', 'r5']);
});

const health = (d: Droplet, timeoutSeconds = 20) =>
  healthScript({ layout: d.layout, healthUrl: 'https://203.0.113.7/health', dns: undefined, timeoutSeconds });

test('the health check passes as soon as the public URL answers', () => {
  const d = droplet();
  d.stub('curl', 'exit 0');
  const result = d.sh(health(d));
  assert.equal(result.status, 0, result.output);
  assert.ok(d.calls().some((c) => c.includes('https://203.0.113.7/health')));
});

test('the health check fails with Caddy\'s own reason when no certificate can be had', () => {
  const d = droplet();
  d.stub('curl', 'exit 35');
  d.stub('systemctl', 'exit 1');
  const reason = '{"level":"error","logger":"tls.obtain","msg":"will retry","error":"[203.0.113.7] Obtain: rateLimited: too many certificates"}';
  d.stub('journalctl', `case "$*" in *--since*) echo '${reason}'; echo '${reason}';; *) echo 'caddy[1]: last lines';; esac`);
  const result = d.sh(health(d));
  assert.equal(result.status, 1);
  assert.match(result.output, /Caddy could not get a certificate; its reason:\n.*rateLimited: too many certificates/);
  assert.match(result.output, /last log lines of Caddy and the bot ---\ncaddy\[1\]: last lines/);
  assert.ok(d.calls().includes('journalctl -u caddy.service -u bttn.service -n 50 --no-pager'));
});

test('the health check stops at once with the logs when the bot has failed', () => {
  const d = droplet();
  d.stub('curl', 'exit 7');
  d.stub('systemctl', 'case "$*" in *is-failed*) exit 0;; esac; exit 1');
  d.stub('journalctl', 'echo "bttn[9]: Error: cannot read settings"');
  const result = d.sh(health(d));
  assert.equal(result.status, 1);
  assert.match(result.output, /the bot stopped \(bttn\.service failed\)/);
  assert.match(result.output, /cannot read settings/);
});

test('the health check stops with the logs when the bot keeps crashing (the unit itself never gives up)', () => {
  const d = droplet();
  d.stub('curl', 'exit 7');
  d.stub('systemctl', 'case "$*" in *NRestarts*) echo 4;; *is-failed*) exit 1;; esac');
  d.stub('journalctl', 'echo "bttn[9]: Error: listen EADDRINUSE 127.0.0.1:8080"');
  const result = d.sh(health(d));
  assert.equal(result.status, 1);
  assert.match(result.output, /the bot keeps crashing \(bttn\.service restarted 4 times since this release started\)/);
  assert.match(result.output, /EADDRINUSE/);
});

test('a failed first boot fails the wait step with its cause on the first line', () => {
  const d = droplet();
  d.stub('cloud-init', 'case "$*" in *--long*) echo "status: error";; *) exit 1;; esac');
  d.stub('grep', 'echo "bttn-first-boot failed: caddy 2.6.2 does not come from https://dl.cloudsmith.io/public/caddy/stable/deb/debian"');
  d.stub('tail', 'case "$*" in *cloud-init-output.log) echo "E: Unable to locate package caddy";; *) cat;; esac');
  const result = d.sh(waitForCloudInitScript(d.layout));
  assert.equal(result.status, 1);
  assert.match(result.output.split('\n')[0]!, /^the droplet's first boot failed \(cloud-init status 1\): bttn-first-boot failed: caddy 2\.6\.2 does not come from https:\/\/dl\.cloudsmith\.io/);
  assert.match(result.output, /Unable to locate package caddy/);
  assert.ok(d.calls().includes('systemctl is-system-running --wait'), 'it waits for the end of the boot, not only for the first error');
});

test('a first boot that did not finish fails the wait step even when cloud-init reports no error', () => {
  const d = droplet();
  d.stub('cloud-init', 'exit 0');
  const result = d.sh(waitForCloudInitScript(d.layout));
  assert.equal(result.status, 1);
  assert.match(result.output, /first boot failed \(cloud-init status 0\): no cause recorded/);
});

test('the wait step passes once the first boot is done, and prints the host key for later connections to pin', () => {
  const d = droplet();
  d.stub('cloud-init', 'exit 0');
  writeFileSync(d.layout.firstBootDone, 'first boot done: node v24.11.0, caddy v2.11.4\n');
  d.stub('cut', 'echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"');
  const result = d.sh(waitForCloudInitScript(d.layout));
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /node v24\.11\.0, caddy v2\.11\.4/);
  assert.equal(hostKeyFrom(result.output), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample');
});

test('activation installs the unit it was given, and clears the start limit before the restart', () => {
  const d = droplet();
  const checksums = upload(d, 'r1', { 'bot.cjs': 'bot' });
  const result = d.sh(activateScript({
    layout: d.layout, releaseId: 'r1', checksums, unit: '[Unit]\nDescription=new\n', caddyfile: '', minimumCaddy: undefined, publicUrl: 'u',
  }));
  assert.equal(result.status, 0, result.output);
  assert.equal(readFileSync(path.join(d.layout.systemdDir, 'bttn.service'), 'utf8'), '[Unit]\nDescription=new\n');
  const calls = d.calls();
  const order = ['systemctl daemon-reload', 'systemctl reset-failed bttn.service', 'systemctl restart bttn.service'].map((c) => calls.lastIndexOf(c));
  assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), calls.join('\n'));
});

const withCaddy = (d: Droplet, version: string) => {
  d.stub('caddy', `case "$1" in version) echo "${version} h1:abc";; esac`);
  const checksums = upload(d, 'r1', { 'bot.cjs': 'bot' });
  return d.sh(activateScript({ layout: d.layout, releaseId: 'r1', checksums, unit: '', caddyfile: '', minimumCaddy: '2.10.1', publicUrl: 'u' }));
};

test('a Caddy file that needs Caddy 2.10.1 is refused by an older Caddy, and nothing switches', () => {
  const d = droplet();
  const result = withCaddy(d, 'v2.10.0');
  assert.notEqual(result.status, 0);
  assert.match(result.output, /Caddy v2\.10\.0 is installed; this Caddy file needs 2\.10\.1 or later/);
  assert.ok(!existsSync(path.join(d.layout.appDir, 'current')));
});

test('a Caddy file that needs Caddy 2.10.1 is accepted by 2.10.1 and later', () => {
  for (const version of ['v2.10.1', 'v2.10.2', 'v2.11.0']) assert.equal(withCaddy(droplet(), version).status, 0, version);
});

test('the log lines a failed health check prints hide the button token and every credential', () => {
  const d = droplet();
  const values = new Map([['BTTN_TOKEN', 'tok3nTOKENtok3n'], ['CISCO_SPARK_BTTN_BOT', 'webex-s3cret']] as const);
  assert.equal(d.sh(credentialsScript('', d.layout), credentialsInput(values)).status, 0);
  d.stub('curl', 'exit 7');
  d.stub('systemctl', 'case "$*" in *is-failed*) exit 0;; esac; exit 1');
  d.stub('journalctl', [
    `echo '{"logger":"http.log.error","status":502,"request":{"uri":"/press/tok3nTOKENtok3n"}}'`,
    `echo 'GET /status/tok3nTOKENtok3n/events 502'`,
    `echo 'webex answered 401 for token webex-s3cret'`,
  ].join('\n'));
  const result = d.sh(health(d));
  assert.equal(result.status, 1);
  assert.ok(!result.output.includes('tok3nTOKENtok3n'), result.output);
  assert.ok(!result.output.includes('webex-s3cret'), result.output);
  assert.match(result.output, /"uri":"\/press\/<token>"/);
  assert.match(result.output, /GET \/status\/<token>\/events 502/);
  assert.match(result.output, /for token <secret>/);
});

test('a step runs as a short command reading its script, then its input, from standard input', () => {
  const d = droplet();
  const values = new Map([['BTTN_TOKEN', 'tok-123']] as const);
  const script = credentialsScript(renderCredentialsDropIn([...values.keys()], d.layout), d.layout);
  const result = run('bash', ['-c', REMOTE_SHELL], { input: remoteInput(script, credentialsInput(values)), env: { ...process.env, PATH: `${path.join(d.root, 'stub-bin')}:${process.env.PATH}` } });
  assert.equal(result.status, 0, result.output);
  assert.equal(readFileSync(path.join(d.layout.credentialsDir, 'BTTN_TOKEN'), 'utf8'), 'tok-123');
  assert.ok(REMOTE_SHELL.length < 20, 'Pulumi quotes the command before the output of a failure');
});
