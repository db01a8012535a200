// Phone numbers as people write them ("+352 691 49 64 01", "0033644606827", "33644606827")
// turned into the E.164 form Twilio requires ("+352691496401"). A number written the national way
// ("(212) 555-1234", "06 12 34 56 78") is refused rather than guessed: its country is not in it,
// and adding a + would dial another country ("+2125551234" is in Morocco).

export type PhoneNumber =
  | { readonly ok: true; readonly e164: string }
  | { readonly ok: false; readonly problem: 'national' | 'invalid' };

const E164 = /^\+[1-9]\d{6,14}$/;
const SEPARATOR = /[\s.-]/;

/** The E.164 form of a written number, or why it cannot be one. */
export function toE164(written: string): PhoneNumber {
  const trimmed = written.trim();
  const international = trimmed.startsWith('+') || trimmed.startsWith('00');
  // Parentheses hold an area code or a trunk prefix ("+44 (0)20"), a leading 0 is a trunk prefix,
  // and separators without + or 00 are a national layout; digits alone are the 2016 form of +.
  if (/[()]/.test(trimmed) || (!international && (trimmed.startsWith('0') || SEPARATOR.test(trimmed)))) {
    return { ok: false, problem: 'national' };
  }
  const compact = trimmed.replace(/[\s.-]/g, '');
  const e164 = compact.startsWith('00') ? `+${compact.slice(2)}` : compact.startsWith('+') ? compact : `+${compact}`;
  return E164.test(e164) ? { ok: true, e164 } : { ok: false, problem: 'invalid' };
}
