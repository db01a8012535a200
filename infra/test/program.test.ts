// The program as `pulumi up` starts it: Pulumi.yaml's entry point, loaded by Node's own type
// stripping, building the real bundle.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { one, runStack, sampleProject, SECRETS } from './mock-stack.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('Pulumi.yaml runs infra/index.ts on Node without ts-node', () => {
  const project = parse(readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8')) as {
    name: string; main: string; runtime: { name: string; options: { typescript: boolean } };
  };
  assert.equal(project.name, 'bttn-webex');
  assert.equal(project.main, 'infra/index.ts');
  assert.deepEqual(project.runtime, { name: 'nodejs', options: { typescript: false } });
});

test('the entry point builds the real bundle and uploads it with the chosen settings', async () => {
  const program = (await import('../index.ts')).default;
  const projectDir = sampleProject();
  const stack = await runStack({
    projectDir,
    secrets: SECRETS,
    config: { settings: path.join(projectDir, 'settings.yaml') },
    program,
  });
  const bundle = one(stack, 'command:remote:CopyToRemote', 'bttn-dev-upload-bot.cjs');
  // An asset's path arrives as a promise in the mocks' view of the request.
  assert.equal(await (bundle.inputs.source as { path: Promise<string> }).path, path.join(root, 'dist', 'bot.cjs'));
  assert.match(stack.outputs.buttonUrl, /^https:\/\/203\.0\.113\.7\/press\//);
});
