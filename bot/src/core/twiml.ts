// The TwiML of a call that speaks one sentence, character for character what Twilio's SDK builds
// (`new VoiceResponse().say(...)`, serialised by xmlbuilder): the settings check measures the very
// string the call will carry, and the Twilio client can send it.

/** Twilio refuses a call whose inline TwiML is longer (error 32018). */
export const TWIML_MAX_CHARACTERS = 4000;

/**
 * The first character XML 1.0 cannot carry (C0 controls other than tab and line breaks, lone
 * surrogates, U+FFFE, U+FFFF), as "U+0001"; undefined when there is none. The SDK throws on these.
 */
export function characterXmlRefuses(text: string): string | undefined {
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const refused = (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d)
      || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff;
    if (refused) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/** `<Response><Say voice="...">say</Say></Response>` with the SDK's escaping; throws like the SDK on characters XML refuses. */
export function sayTwiml(say: string, voice: string | undefined): string {
  const refused = characterXmlRefuses(say);
  if (refused !== undefined) throw new RangeError(`TwiML cannot carry ${refused}`);
  // The SDK leaves out an empty voice and closes an empty <Say/>, as xmlbuilder does.
  const attribute = voice ? ` voice="${escapeAttribute(voice)}"` : '';
  const element = say === '' ? `<Say${attribute}/>` : `<Say${attribute}>${escapeText(say)}</Say>`;
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${element}</Response>`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}
