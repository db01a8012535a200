// Each button's secret in its URLs. With one button (settings.yaml's own sequence) it is BTTN_TOKEN itself,
// as it always was; with a buttons/ folder each button gets its own, derived from BTTN_TOKEN and its name,
// so one leaked press URL opens that button only, and the bot's own token (the index page) stays unshared.

import { createHmac } from 'node:crypto';

/** As long as a generated BTTN_TOKEN (18 random bytes in base64url): 144 bits. */
const DERIVED_LENGTH = 24;

export function buttonToken(botToken: string, name: string, folder: boolean): string {
  if (!folder) return botToken;
  return createHmac('sha256', botToken).update(`bttn button ${name}`).digest('base64url').slice(0, DERIVED_LENGTH);
}
