// The `voice` of a call, checked against the values Twilio documents for <Say>: man, woman, alice,
// Polly.<name> and Google.<name> (names are letters, digits and dashes: Polly.Joanna-Neural,
// Google.en-US-Standard-C). Twilio answers anything else with a failed call, so it fails the check.

import { closest } from './suggest.ts';

const BASIC = ['man', 'woman', 'alice'] as const;
const NAMED = '(?:Polly|Google)\\.[\\p{L}\\p{N}-]+';
const PROVIDER = new RegExp(`^${NAMED}$`, 'u');
/** Every voice, as a JSON Schema pattern. */
export const VOICE_PATTERN = `^(?:${BASIC.join('|')}|${NAMED})$`;

export type VoiceCheck = { readonly ok: true } | { readonly ok: false; readonly suggestion: string | undefined };

export function checkVoice(voice: string): VoiceCheck {
  if ((BASIC as readonly string[]).includes(voice) || PROVIDER.test(voice)) return { ok: true };
  return { ok: false, suggestion: suggestVoice(voice) };
}

/** A valid voice the user probably meant: another case ("Alice", "polly.Joanna") or a near spelling ("allice"). */
function suggestVoice(voice: string): string | undefined {
  const provider = /^(polly|google)[.\s_-]?(.+)$/i.exec(voice);
  if (provider) {
    const fixed = `${provider[1]![0]!.toUpperCase()}${provider[1]!.slice(1).toLowerCase()}.${provider[2]!}`;
    if (PROVIDER.test(fixed)) return fixed;
  }
  return closest(voice, BASIC);
}
