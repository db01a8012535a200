// The stack's configuration is checked before anything is created, and each problem names its fix.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { loadSettings } from '../../bot/src/settings/load.ts';
import type { Settings } from '../../bot/src/settings/types.ts';
import { ConfigError, readConfig, type ConfigSource } from '../config.ts';
import { scratch } from './tools.ts';

// Settings come from real files through the bot's own loader, as in the program.
const PLAIN = 'bt.tn:\n  - markdown: "hi"\nspark:\n  room: "Room"\n';
const SMS = `bt.tn:
  - sms:
      - message: "Check Webex"
      - number: "+352691496401"
spark:
  room: "Room"
twilio:
  customer_service_number: "+33644606827"
`;
const SECRETS_IN_FILE = `${SMS.replace('room: "Room"', 'room: "Room"\n  CISCO_SPARK_BTTN_BOT: "in-file"')}  TWILIO_ACCOUNT_SID: "AC1"\n  TWILIO_AUTH_TOKEN: "a"\n`;

function settings(yaml = PLAIN): Settings {
  return loadSettings(path.join(scratch({ 'settings.yaml': yaml }), 'settings.yaml'), {});
}

function source(values: Record<string, string>, secrets: Record<string, string> = {}): ConfigSource {
  return {
    get: (key) => values[key],
    getSecret: (key) => (secrets[key] === undefined ? undefined : pulumi.secret(secrets[key]!)),
  };
}

function problems(values: Record<string, string>, secrets: Record<string, string> = { webexToken: 't' }, s = settings()): string[] {
  try {
    readConfig(source(values, secrets), {}, [s]);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
}

const broken: readonly [string, Record<string, string>, RegExp][] = [
  ['a domain that is not a host name', { domain: 'https://bttn.example.com/' }, /domain "https:\/\/bttn\.example\.com\/" is not a host name; .*`pulumi config set domain bttn\.example\.com`/],
  ['tls that is not a boolean', { tls: 'maybe' }, /tls is "maybe" but must be true or false: `pulumi config set tls false`/],
  ['an odd Node.js major', { nodeMajor: '23' }, /nodeMajor "23" is not a Node\.js LTS line/],
  ['an SSH range that is not one', { sshAllowedCidrs: '203.0.113.5/33' }, /sshAllowedCidrs: "203\.0\.113\.5\/33" is not an address range/],
  ['an SSH list that is not a list', { sshAllowedCidrs: '[oops' }, /sshAllowedCidrs must be a list of addresses/],
  ['an empty SSH list', { sshAllowedCidrs: '[]' }, /sshAllowedCidrs is empty, which would lock pulumi out/],
];

for (const [label, values, message] of broken) {
  test(`config with ${label} is refused with the command that fixes it`, () => {
    const found = problems(values);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, message);
  });
}

test('every problem is reported at once', () => {
  assert.equal(problems({ tls: 'maybe', domain: 'x' }, {}).length, 3);
});

test('defaults apply when nothing is set', () => {
  const config = readConfig(source({}, { webexToken: 't' }), {}, [settings()]);
  assert.deepEqual(
    [config.region, config.size, config.image, config.nodeMajor, config.tls, config.domain, config.sshAllowedCidrs],
    ['fra1', 's-1vcpu-1gb', 'ubuntu-24-04-x64', 24, true, undefined, ['0.0.0.0/0', '::/0']],
  );
});

test('SSH ranges may be a list set with --path or a comma-separated string', () => {
  const fromList = readConfig(source({ sshAllowedCidrs: '["198.51.100.4/32","2001:db8::/48"]' }, { webexToken: 't' }), {}, [settings()]);
  const fromText = readConfig(source({ sshAllowedCidrs: '198.51.100.4/32, 2001:db8::/48' }, { webexToken: 't' }), {}, [settings()]);
  assert.deepEqual(fromList.sshAllowedCidrs, ['198.51.100.4/32', '2001:db8::/48']);
  assert.deepEqual(fromText.sshAllowedCidrs, fromList.sshAllowedCidrs);
});

test('the Webex token is required, naming the config command and the seed variable', () => {
  assert.deepEqual(problems({}, {}), [
    'the Webex bot token is missing: `pulumi config set --secret webexToken <bot access token>` (or set CISCO_SPARK_BTTN_BOT in the environment)',
  ]);
});

test('Twilio credentials are required only when a step sends an SMS or makes a call', () => {
  assert.deepEqual(problems({}, { webexToken: 't' }, settings()), []);
  const found = problems({}, { webexToken: 't' }, settings(SMS));
  assert.equal(found.length, 2);
  assert.match(found[0]!, /`pulumi config set --secret twilioAccountSid AC\.\.\.` \(or set TWILIO_ACCOUNT_SID/);
  assert.match(found[1]!, /`pulumi config set --secret twilioAuthToken <auth token>` \(or set TWILIO_AUTH_TOKEN/);
});

test('a secret written in settings.yaml is not asked for again', () => {
  const config = readConfig(source({}, {}), {}, [settings(SECRETS_IN_FILE)]);
  assert.deepEqual(config.secrets, { webexToken: undefined, twilioAccountSid: undefined, twilioAuthToken: undefined });
});

test('config wins over the environment, which stands in when config is missing', async () => {
  const env = { CISCO_SPARK_BTTN_BOT: 'from-env', TWILIO_ACCOUNT_SID: 'sid-env', TWILIO_AUTH_TOKEN: 'auth-env' };
  const fromConfig = readConfig(source({}, { webexToken: 'from-config' }), env, [settings()]);
  const value = await new Promise((resolve) => pulumi.output(fromConfig.secrets.webexToken).apply(resolve));
  assert.equal(value, 'from-config');
  const fromEnv = readConfig(source({}, {}), env, [settings(SMS)]);
  assert.equal(fromEnv.secrets.webexToken, 'from-env');
  assert.equal(fromEnv.secrets.twilioAuthToken, 'auth-env');
});
