// `npm run check -- [file]`: validates a settings file, and the button files of the buttons/ folder beside
// it, and prints what to fix, without a stack trace; valid, each button gets its escalation plan in plain words.

import path from 'node:path';
import { escalationPlan } from '../core/escalation-plan.ts';
import { loadBot, SettingsError } from './load.ts';
import type { Settings } from './types.ts';

const file = process.argv[2] ?? 'settings.yaml';

/** "<file> is valid: N steps, Webex room ...", a blank line, then the plan. */
function verdict(where: string, settings: Settings): string {
  const steps = settings.steps.length === 1 ? '1 step' : `${settings.steps.length} steps`;
  return `${where} is valid: ${steps}, Webex room "${settings.webex.room}".\n\n${escalationPlan(settings).join('\n')}`;
}

try {
  const bot = loadBot(file);
  if (!bot.folder) {
    console.log(verdict(file, bot.buttons[0]!));
  } else {
    const names = bot.buttons.map((button) => button.name);
    console.log(`${file} is valid, with ${names.length === 1 ? '1 button' : `${names.length} buttons`} in buttons/: ${names.join(', ')}.`);
    // Named as the user named settings.yaml: `buttons/lobby.yaml` beside a relative path.
    const named = (button: Settings) => path.join(path.dirname(file), path.relative(path.dirname(bot.sourcePath), button.sourcePath));
    for (const button of bot.buttons) console.log(`\nButton "${button.name}": ${verdict(named(button), button)}`);
  }
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
