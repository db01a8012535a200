// The Pulumi program (Pulumi.yaml `main`): builds the bot, then deploys it with the stack's configuration.
// Its default export is what Pulumi runs; the object it returns holds the stack outputs.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBot } from '../scripts/build.ts';
import { stack } from './stack.ts';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default () => stack({ buildBundle: buildBot, projectDir });
