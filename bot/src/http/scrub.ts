// Provider texts (error messages, URLs) can echo an account SID, a token or the button's own URL.
// Everything that leaves the bot for a log, an answer, the room, the status page or the state goes
// through here first.

const PATTERNS: readonly (readonly [RegExp, string])[] = [
  // Twilio account SIDs and API key SIDs: 34 characters, two letters and 32 hex digits.
  [/\b(AC|SK)[0-9a-fA-F]{32}\b/g, '$1…'],
  // The secret part of the bot's own URLs, whatever follows it.
  [/\/(press|status)\/[^\s/?#"']+/g, '/$1/…'],
  // Authorization values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 …'],
];

/** The text with SIDs, bearer and basic credentials, press and status tokens and every given secret masked. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let scrubbed = text;
  for (const secret of secrets) {
    // Short values (a test token of 3 characters, an empty string) would mask ordinary words.
    if (secret !== undefined && secret.length >= 8) scrubbed = scrubbed.split(secret).join('…');
  }
  for (const [pattern, replacement] of PATTERNS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}
