// The rehearsal's scenarios, run inside its own network namespace (see scripts/rehearse.ts): only
// loopback exists here, shared by this process, the fakes, pebble, SSH and the container. The machine's
// SSH answers on 127.0.0.1 (the droplet's own address); the button URL names 127.0.0.2 (the reserved IP),
// whose connections a DNAT rule delivers on 127.0.0.3 (the droplet's anchor address), as DigitalOcean's
// NAT does; pebble, in place of Let's Encrypt, listens on 127.0.0.4. Every HTTPS request to the URL is
// made without SNI and checks the chain against pebble's root, as bt.tn's server would against Let's
// Encrypt's.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { fetch as undiciFetch } from 'undici';
import { loadBot } from '../../bot/src/settings/load.ts';
import { startFakeTwilio } from '../../bot/test/fakes/twilio.ts';
import { startFakeWebex } from '../../bot/test/fakes/webex.ts';
import { seedSettings, TEST_TOKENS, workspace } from '../../bot/test/support/bot-process.ts';
import { DEFAULTS } from '../../infra/config.ts';
import { dropInDir, LAYOUT, type CredentialName } from '../../infra/layout.ts';
import { outsideCheckCommand } from '../../infra/outside-check.ts';
import { collectRelease, type Release } from '../../infra/release-files.ts';
import { credentialsStep, releaseSteps, uploadsOf, waitStep, type ReleaseSteps } from '../../infra/release-steps.ts';
import type { Front } from '../../infra/render/caddyfile.ts';
import { FIRST_BOOT_FAILURE, renderCloudInit } from '../../infra/render/cloud-init.ts';
import { hostKeyFrom, shellQuote } from '../../infra/render/remote-scripts.ts';
import { clientTrusting, natReservedIp, startPebble } from './acme.ts';
import { holdAptListsAtBoot } from './busy-apt.ts';
import { boot, powerOff, prepareMachine, type Container } from './machine.ts';
import { Phases } from './phases.ts';
import { sshTo, type Ssh, type SshResult } from './ssh.ts';
import { acmeStandIn, fakeApisDropIn, LOCAL_REPOSITORY, localSources, METADATA_ADDRESS, METADATA_PORT, startMetadataService, trustPebble } from './stand-ins.ts';

interface Input {
  readonly base: string;
  readonly bundle: string;
  readonly nodeVersion: string;
  readonly work: string;
}

const SSH_HOST = '127.0.0.1';
const PUBLIC_ADDRESS = '127.0.0.2';
const ANCHOR_ADDRESS = '127.0.0.3';
/** How long the main machine's first boot finds the package lists locked by another apt. */
const BUSY_APT_SECONDS = 75;
const front: Front = { kind: 'ip', ipv4: PUBLIC_ADDRESS };
const nodeMajor = DEFAULTS.nodeMajor;

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const phases = new Phases();
const webex = await startFakeWebex({ token: TEST_TOKENS.webex });
const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
natReservedIp(PUBLIC_ADDRESS, ANCHOR_ADDRESS);
const pebble = await startPebble({ dir: path.join(input.work, 'pebble'), host: '127.0.0.4' });
const button = clientTrusting(pebble.issuingRoot);
const pebbleRootFile = path.join(input.work, 'pebble', 'issuing-root.pem');
writeFileSync(pebbleRootFile, pebble.issuingRoot);
const buttonToken = randomBytes(24).toString('base64url');
const credentials = new Map<CredentialName, string>([
  ['BTTN_TOKEN', buttonToken],
  ['CISCO_SPARK_BTTN_BOT', TEST_TOKENS.webex],
  ['TWILIO_ACCOUNT_SID', TEST_TOKENS.accountSid],
  ['TWILIO_AUTH_TOKEN', TEST_TOKENS.authToken],
]);

const keyFile = path.join(input.work, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bttn-rehearsal', '-f', keyFile]);
const authorizedKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
// The droplet's host key, generated before the machine exists, as the stack does.
const hostKeyFile = path.join(input.work, 'host_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', hostKeyFile]);
const hostKey = { privateKey: readFileSync(hostKeyFile, 'utf8'), publicKey: readFileSync(`${hostKeyFile}.pub`, 'utf8').trim() };
const hostKeyPin = hostKey.publicKey.split(' ').slice(0, 2).join(' ');

let container: Container | undefined;
try {
  await rehearse();
  console.log('rehearsal: all scenarios passed');
} catch (error) {
  console.error(`rehearsal: ${error instanceof Error ? error.message : String(error)}`);
  if (container !== undefined) console.error(`--- the container's console (last lines) ---\n${container.output().split('\n').slice(-40).join('\n')}`);
  process.exitCode = 1;
} finally {
  if (container !== undefined) await powerOff(container);
  await Promise.all([webex.close(), twilio.close(), pebble.close()]);
}

function release(settingsText: string, bundle = input.bundle): Release {
  const folder = workspace(settingsText);
  copyFileSync(bundle, path.join(folder, 'bot.cjs'));
  return collectRelease(loadBot(path.join(folder, 'settings.yaml'), {}), path.join(folder, 'bot.cjs'));
}

function stepsFor(r: Release): ReleaseSteps {
  return releaseSteps({ layout: LAYOUT, release: r, front, publicAddress: PUBLIC_ADDRESS, healthTimeoutSeconds: 60, acme: acmeStandIn(pebble) });
}

function ok(result: SshResult, what: string): SshResult {
  assert.equal(result.status, 0, `${what} failed (status ${result.status}):\n${result.stderr}${result.stdout}`);
  return result;
}

async function startMachine(name: string, sourcesRepository?: string, busyApt = false): Promise<{ ssh: Ssh; machine: Container }> {
  const dir = path.join(input.work, name);
  const userData = renderCloudInit({ layout: LAYOUT, sources: localSources(sourcesRepository), nodeMajor, hostKey });
  prepareMachine(input.base, dir, { userData, instanceId: `${name}-${Date.now()}`, hostname: name, authorizedKey }, {
    from: path.join(input.work, 'repository'), to: LOCAL_REPOSITORY,
  });
  trustPebble(dir, pebble);
  // Ubuntu's cloud images come with sshd drop-ins of their own that allow passwords; ours must win.
  writeFileSync(path.join(dir, 'etc/ssh/sshd_config.d/50-cloud-init.conf'), 'PasswordAuthentication yes\n');
  if (busyApt) holdAptListsAtBoot(dir, BUSY_APT_SECONDS);
  const machine = boot(dir, name);
  container = machine;
  const ssh = sshTo(SSH_HOST, keyFile, path.join(input.work, `${name}.known_hosts`), hostKeyPin);
  await untilSshAnswers(ssh, machine);
  return { ssh, machine };
}

async function untilSshAnswers(ssh: Ssh, machine: Container): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (machine.process.exitCode !== null) throw new Error(`the container stopped (exit ${machine.process.exitCode})`);
    const result = await ssh.run('true');
    if (result.status === 0) return;
    if (Date.now() > deadline) throw new Error(`SSH did not answer within 120 s: ${result.stderr}`);
    await sleep(1000);
  }
}

interface PressAnswer { readonly ok?: boolean; readonly actions?: readonly { action: string; status: string }[] }

/** A request to the button URL the way bt.tn's server makes it: no SNI, the chain checked. */
function request(pathname: string, method = 'GET'): ReturnType<typeof undiciFetch> {
  return undiciFetch(`https://${PUBLIC_ADDRESS}${pathname}`, { method, dispatcher: button });
}

async function press(): Promise<{ status: number; body: PressAnswer }> {
  const response = await request(`/press/${buttonToken}`, 'POST');
  return { status: response.status, body: await response.json() as PressAnswer };
}

async function deploy(ssh: Ssh, r: Release): Promise<ReleaseSteps> {
  const steps = stepsFor(r);
  ok(await ssh.upload(uploadsOf(r, LAYOUT)), 'the upload');
  ok(await ssh.step(credentialsStep(LAYOUT, credentials)), 'the credentials step');
  ok(await ssh.run(`cat > ${shellQuote(`${dropInDir(LAYOUT)}/rehearsal-fake-apis.conf`)}`, fakeApisDropIn(webex.url, twilio.url)), 'the fake APIs drop-in');
  ok(await ssh.step(steps.activate), 'the activation');
  return steps;
}

async function rehearse(): Promise<void> {
  const settings = `${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`;
  const first = release(settings);

  const { ssh, machine } = await phases.run('boot until SSH answers', () => startMachine('bttn-rehearsal', undefined, true));
  const waited = await phases.run(`wait step: first boot, apt lists locked ${BUSY_APT_SECONDS} s`, async () => {
    const result = ok(await ssh.step(waitStep(LAYOUT)), 'the wait step');
    const retries = ok(await ssh.run('grep -c "another apt holds a lock" /var/log/cloud-init-output.log || true'), 'reading the first boot\'s log');
    assert.ok(Number(retries.stdout.trim()) > 0, 'the first boot never found the package lists locked: the busy apt did not hold them in time');
    return result;
  });
  console.log(`rehearsal:   ${waited.stdout.split('\n')[0]}`);
  assert.equal(hostKeyFrom(waited.stdout), hostKeyPin, 'the machine serves the host key from its user data');
  const sshd = ok(await ssh.run('sshd -T | grep -E "^(passwordauthentication|kbdinteractiveauthentication) "'), 'reading sshd\'s configuration');
  assert.deepEqual(sshd.stdout.trim().split('\n').sort(), ['kbdinteractiveauthentication no', 'passwordauthentication no'], 'the hardening drop-in loses to an earlier one');

  const steps = await phases.run('upload, credentials, activate', () => deploy(ssh, first));
  await phases.run('health on the machine, then from outside', async () => {
    ok(await ssh.step(steps.health), 'the health step');
    // The command line the local.Command runs, from the project folder.
    const outside = outsideCheckCommand({ healthUrl: steps.healthUrl, host: PUBLIC_ADDRESS, botPort: LAYOUT.botPort, timeoutSeconds: 30 });
    // Asynchronously: the fakes in this process must stay able to answer while it runs.
    // Node trusts Let's Encrypt's root out of the box; here pebble's stands in for it.
    await promisify(execFile)('sh', ['-c', outside], {
      cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: pebbleRootFile },
    })
      .catch((error: { stderr?: string }) => assert.fail(`the check from outside failed:\n${error.stderr ?? String(error)}`));
  });

  await phases.run('presses through Caddy to the fakes', async () => {
    const one = await press();
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.body.ok, true, JSON.stringify(one.body));
    assert.ok(webex.messages.some((m) => m.files.some((f) => f.name === 'dashboard.png')), 'the first press posted the dashboard to Webex');
    const two = await press();
    assert.equal(two.body.ok, true, JSON.stringify(two.body));
    assert.deepEqual(twilio.messages.map((m) => [m.to, m.body]), [['+352691496401', 'Check Cisco Spark']]);
    const status = await request(`/status/${buttonToken}`);
    assert.equal(status.status, 200);
    // The warm-up writes its throwaway state and runs its stand-in under the unit's hardening (private /tmp).
    const warmed = ok(await ssh.run(`journalctl -u ${LAYOUT.unitName}.service --no-pager -o cat | grep -E '^warmed up ' || true`), 'reading the journal');
    assert.match(warmed.stdout, /^warmed up ms=\d+$/m, `the warm-up did not run under the unit: ${warmed.stdout}`);
  });

  const restarted = await phases.run('reboot, press again (state survives)', async () => {
    const before = webex.messages.length + twilio.messages.length + twilio.calls.length;
    await ssh.run('systemctl reboot');
    const code = await machine.exited;
    assert.equal(code, 133, `nspawn exit code ${code} (133: reboot asked)`);
    const again = boot(path.join(input.work, 'bttn-rehearsal'), 'bttn-rehearsal');
    container = again;
    await untilSshAnswers(ssh, again);
    ok(await ssh.step(steps.health), 'the health step after the reboot');
    const third = await press();
    assert.equal(third.body.ok, true, JSON.stringify(third.body));
    assert.notDeepEqual(third.body.actions?.map((a) => a.action), [], 'the third press did something');
    assert.ok(!webex.messages.slice(before).some((m) => m.files.some((f) => f.name === 'dashboard.png')), 'the third press did not start over at the first step');
    return again;
  });

  await phases.run('a damaged release is refused, the old one serves', async () => {
    const second = release(settings.replace('Green Power has been invoked again', 'Green Power, release two'));
    const uploads = uploadsOf(second, LAYOUT);
    ok(await ssh.upload(uploads), 'the upload');
    const bundleUpload = uploads.find((u) => u.name === 'bot.cjs');
    ok(await ssh.run(`truncate -s -100 ${shellQuote(bundleUpload!.remotePath)}`), 'cutting the upload short');
    const refused = await ssh.step(stepsFor(second).activate);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /is incomplete or damaged/);
    const health = await request('/health');
    assert.equal(health.status, 200);
    ok(await ssh.step(steps.health), 'the health step');
  });

  await phases.run('only root asks the metadata service (host key)', async () => {
    const metadata = await startMetadataService(renderCloudInit({ layout: LAYOUT, sources: localSources(), nodeMajor, hostKey }));
    try {
      const url = `http://${METADATA_ADDRESS}:${METADATA_PORT}/metadata/v1/user-data`;
      const asRoot = ok(await ssh.run(`curl --fail --silent --show-error --max-time 5 ${url}`), 'root asking the metadata service');
      assert.ok(asRoot.stdout.includes('ed25519_private'), 'root reads the user data');
      const asBot = await ssh.run(`systemd-run --quiet --wait --pipe --property DynamicUser=yes curl --silent --show-error --max-time 5 ${url}`);
      assert.notEqual(asBot.status, 0, `the bot's kind of user read the user data: ${asBot.stdout.slice(0, 80)}`);
    } finally {
      await new Promise((resolve) => metadata.close(resolve));
    }
  });

  await phases.run('only root drives Caddy (admin socket)', async () => {
    const socket = shellQuote(LAYOUT.caddyAdminSocket);
    ok(await ssh.run(`curl --fail --silent --show-error --unix-socket ${socket} -H 'Host;' http://localhost/config/ >/dev/null`), 'root reading Caddy\'s config');
    const tcp = await ssh.run('curl --silent --max-time 5 http://localhost:2019/config/');
    assert.notEqual(tcp.status, 0, `Caddy's admin API answers on localhost:2019: ${tcp.stdout}`);
    // A user like the bot's: systemd's dynamic user, with no other rights.
    const asBot = await ssh.run(`systemd-run --quiet --wait --pipe --property DynamicUser=yes curl --silent --show-error --unix-socket ${socket} -H 'Host;' http://localhost/config/`);
    assert.notEqual(asBot.status, 0, `the bot's kind of user reached Caddy's admin socket: ${asBot.stdout}`);
    assert.match(asBot.stderr, /Permission denied|Couldn't connect/);
  });

  await phases.run('a crash loop: the bot comes back by itself', async () => {
    // While another process holds the bot's port, the bot exits at start (EADDRINUSE) and the unit restarts it.
    ok(await ssh.run('systemctl stop bttn.service'), 'stopping the bot');
    const squatter = createServer().listen(LAYOUT.botPort, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      ok(await ssh.run('systemctl start bttn.service'), 'starting the bot');
      // More restarts than a start limit of 5 in 60 s (the unit's before) would allow.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const restarts = Number((await ssh.run('systemctl show --property NRestarts --value bttn.service')).stdout.trim());
        if (restarts >= 8) break;
        assert.ok((await ssh.run('systemctl is-failed --quiet bttn.service')).status !== 0, `the unit gave up after ${restarts} restarts`);
        assert.ok(Date.now() < deadline, `only ${restarts} restarts in 90 s`);
        await sleep(1000);
      }
    } finally {
      squatter.close();
    }
    // Nobody runs a command: the next restart finds the port free.
    const back = Date.now() + 60_000;
    while ((await request('/health').then((r) => r.status, () => 0)) !== 200) {
      assert.ok(Date.now() < back, 'the bot did not come back within 60 s of its port coming free');
      await sleep(1000);
    }
  });

  await phases.run('a failing bot: logs scrubbed of token and secrets', async () => {
    const crashing = path.join(input.work, 'crashing-bot.cjs');
    writeFileSync(crashing, 'throw new Error("this release cannot start (rehearsal)");\n');
    const broken = release(settings, crashing);
    ok(await ssh.upload(uploadsOf(broken, LAYOUT)), 'the upload');
    const brokenSteps = stepsFor(broken);
    ok(await ssh.step(brokenSteps.activate), 'the activation');
    // While the bot crash-loops, presses get Caddy's 502, which it logs with the request, never its URI.
    const deadline = Date.now() + 60_000;
    while (Number((await ssh.run('systemctl show --property NRestarts --value bttn.service')).stdout.trim()) < 3) {
      assert.ok(Date.now() < deadline, 'the crashing release was not restarted 3 times within 60 s');
      await sleep(1000);
    }
    for (let i = 0; i < 3; i++) await request(`/press/${buttonToken}`, 'POST').catch(() => undefined);
    const journal = ok(await ssh.run(`journalctl -u caddy.service --no-pager -o cat | grep -cF ${shellQuote(buttonToken)} || true`), 'reading the journal');
    assert.equal(Number(journal.stdout.trim()), 0, 'Caddy\'s journal holds the button token');
    const logged502 = ok(await ssh.run('journalctl -u caddy.service --no-pager -o cat | grep -c \'"status":502\' || true'), 'reading the journal');
    assert.ok(Number(logged502.stdout.trim()) > 0, 'Caddy logged the 502 answers (without their URI)');
    const failed = await ssh.step(brokenSteps.health);
    assert.notEqual(failed.status, 0, 'the health step fails');
    const shown = `${failed.stdout}${failed.stderr}`;
    assert.match(shown, /last log lines of Caddy and the bot/);
    assert.match(shown, /the bot keeps crashing \(bttn\.service restarted \d+ times/);
    for (const secret of credentials.values()) assert.ok(!shown.includes(secret), `the failure output holds a secret (${secret.slice(0, 4)}…)`);
  });
  await phases.run('power off', () => powerOff(restarted));

  await phases.run('a broken package source fails the first boot', async () => {
    const { ssh: other } = await startMachine('bttn-rehearsal-broken', '/srv/no-such-repository');
    const result = await other.step(waitStep(LAYOUT));
    assert.notEqual(result.status, 0, 'the wait step fails');
    assert.match(result.stderr, new RegExp(`first boot failed \\(cloud-init status \\d+\\): ${FIRST_BOOT_FAILURE} apt-get (update|install)`));
    console.log(`rehearsal:   ${result.stderr.split('\n')[0]}`);
  });
}
