// `npm run check -- [file]`: validates a settings file and prints what to fix, without a stack trace;
// a valid file gets the escalation plan in plain words.

import { escalationPlan } from '../core/escalation-plan.ts';
import { loadSettings, SettingsError } from './load.ts';

const file = process.argv[2] ?? 'settings.yaml';
try {
  const settings = loadSettings(file);
  const steps = settings.steps.length === 1 ? '1 step' : `${settings.steps.length} steps`;
  console.log(`${file} is valid: ${steps}, Webex room "${settings.webex.room}".\n`);
  console.log(escalationPlan(settings).join('\n'));
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
