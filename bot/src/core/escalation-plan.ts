// The whole escalation in plain words, the way `pulumi preview` shows a deployment: what each step
// posts, who gets an SMS or a call, and when the next step comes by itself. Built from the same planning
// the presses use, so what it says is what a press does.

import { duration } from './incident.ts';
import { describeAction, planPress, type Action } from './plan.ts';
import { INITIAL_STATE } from './state.ts';
import type { Settings } from '../settings/types.ts';

export function escalationPlan(settings: Settings): string[] {
  const lines = ['The escalation, step by step:'];
  const at = new Date(0);
  settings.steps.forEach((step, index) => {
    const number = index + 1;
    // As the press would find things: no room before step 1, the room and its people there after.
    const state = number === 1 ? INITIAL_STATE : { ...INITIAL_STATE, nextStep: number, pressCount: index, room: { id: 'room', title: settings.webex.room, membersAdded: true } };
    const plan = planPress(settings, state, at);
    const previous = settings.steps[index - 1]?.escalateAfterMs;
    const when = number === 1 ? 'the first press' : previous === undefined ? `press ${number}` : `press ${number}, or by itself ${duration(previous)} after step ${index} if nobody has taken it`;
    lines.push(`  Step ${number} (${when}):`);
    if (number === 1) lines.push(`    - find the Webex room "${settings.webex.room}" by its title, or create it${settings.webex.moderators.length > 0 ? ' moderated' : ''}`);
    // The record lines follow from the SMS and calls listed.
    for (const action of plan.actions.filter((one) => one.kind !== 'record')) lines.push(`    - ${describeAction(action)}${saying(action)}`);
    if (step.escalateAfterMs === undefined && number < settings.steps.length) lines.push('    then waits for the next press');
  });
  lines.push(`  After step ${settings.steps.length}: each press posts "ping N" in the room.`);
  if (settings.resetAfterMs !== undefined) lines.push(`  After ${duration(settings.resetAfterMs)} without a press, the next press starts again at step 1.`);
  const timers = settings.steps.some((step) => step.escalateAfterMs !== undefined);
  lines.push(timers
    ? 'Anyone stops the timers with "I\'m on it" on the status page; with a public URL, also on the Webex card, with 1 on the phone, or by an SMS reply ACK.'
    : 'No step runs by itself (no `escalate_after`): each press runs the next step.');
  return lines;
}

function saying(action: Action): string {
  switch (action.kind) {
    case 'sms': return `: "${action.body}"`;
    case 'call': return `, saying "${action.say}"`;
    default: return '';
  }
}
