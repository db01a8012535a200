// Phone numbers as people write them ("+352 691 49 64 01", "0033644606827", "33644606827")
// turned into the E.164 form Twilio requires ("+352691496401").

const E164 = /^\+[1-9]\d{6,14}$/;

/** The E.164 form of a number, or undefined when it cannot be one. */
export function toE164(written: string): string | undefined {
  let digits = written.trim().replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  else if (!digits.startsWith('+')) digits = `+${digits}`;
  return E164.test(digits) ? digits : undefined;
}
