import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { escalationPlan } from '../src/core/escalation-plan.ts';
import { loadSettings } from '../src/settings/load.ts';
import { workspace } from './support/bot-process.ts';

const load = (yaml: string) => loadSettings(path.join(workspace(yaml), 'settings.yaml'), {});

test('the plan says, step by step, what is posted, who is texted or called, and when the next step comes by itself', () => {
  const settings = load(`
escalate_after: 5
bt.tn:
  - text: "one"
  - sms: { message: "Check Webex", to: "+352691496401" }
    escalate_after: 0.5
  - call: { to: "+352691496401", say: "Please check Webex" }
    escalate_after: never
  - text: "four"
webex: { room: "Demo", moderators: [mod@example.com] }
twilio: { from: "+33644606827" }
reset: 30
`);
  assert.deepEqual(escalationPlan(settings), [
    'The escalation, step by step:',
    '  Step 1 (the first press):',
    '    - find the Webex room "Demo" by its title, or create it moderated',
    '    - invite mod@example.com as moderator',
    '    - post the message',
    '  Step 2 (press 2, or by itself 5 min after step 1 if nobody has taken it):',
    '    - SMS to +352691496401: "Check Webex"',
    '  Step 3 (press 3, or by itself 30 s after step 2 if nobody has taken it):',
    '    - call +352691496401, saying "Please check Webex"',
    '    then waits for the next press',
    '  Step 4 (press 4):',
    '    - post the message',
    '  After step 4: each press posts "ping N" in the room.',
    '  After 30 min without a press, the next press starts again at step 1.',
    'Anyone stops the timers with "I\'m on it" on the status page; with a public URL, also on the Webex card, with 1 on the phone, or by an SMS reply ACK.',
  ]);
});
