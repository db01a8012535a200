// The TwiML the bot sends and answers with, character for character what Twilio's SDK builds
// (`VoiceResponse` and `MessagingResponse`, serialised by xmlbuilder): the settings check measures the very
// string a call will carry, and the Twilio client and the callback routes send it without loading the SDK.

/** Twilio refuses a call whose inline TwiML is longer (error 32018). */
export const TWIML_MAX_CHARACTERS = 4000;

/** Where a call's "Press 1" goes, under the bot's public URL; server/twilio-callbacks.ts answers it. */
export const GATHER_PATH = '/twilio/gather';
/** The inbound SMS webhook to set on the Twilio number (see the README). */
export const SMS_PATH = '/twilio/sms';
/** Where Twilio reports whether an SMS was delivered and how a call went (StatusCallback). */
export const STATUS_PATH = '/twilio/status';
/** Spoken after the call's sentence when the bot can hear the answer. */
export const ACK_PROMPT = 'Press 1 if you take it.';

/** A call that asks for "1": Twilio posts the key pressed to `actionUrl`, an absolute URL (inline TwiML has no document URL to resolve against). */
export interface Gather {
  readonly actionUrl: string;
}

/**
 * The first character XML 1.0 cannot carry (C0 controls other than tab and line breaks, lone
 * surrogates, U+FFFE, U+FFFF), as "U+0001"; undefined when there is none. The SDK throws on these.
 */
export function characterXmlRefuses(text: string): string | undefined {
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (refused(code)) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/** `text` without the characters XML refuses: for words the bot did not write itself (a name from the settings, say). */
export function xmlSafe(text: string): string {
  return [...text].filter((character) => !refused(character.codePointAt(0)!)).join('');
}

/** `<Response><Say voice="...">say</Say></Response>` with the SDK's escaping; throws like the SDK on characters XML refuses. */
export function sayTwiml(say: string, voice: string | undefined): string {
  return document(sayElement(say, voice));
}

/**
 * A call's TwiML: without `gather`, exactly sayTwiml; with it, the sentence, then ACK_PROMPT in a
 * `<Gather numDigits="1">` that posts the key to `gather.actionUrl`. Nothing follows the Gather: without a
 * key the call ends, as it does without a Gather.
 */
export function callTwiml(say: string, voice: string | undefined, gather?: Gather): string {
  if (gather === undefined) return sayTwiml(say, voice);
  const action = checked(gather.actionUrl);
  return document(`${sayElement(say, voice)}<Gather numDigits="1" action="${escapeAttribute(action)}" method="POST">${sayElement(ACK_PROMPT, voice)}</Gather>`);
}

/** The absolute URL a call's Gather posts to; the escalation's id rides in the query, which Twilio's signature covers. */
export function gatherActionUrl(publicUrl: string, incident: string | undefined): string {
  const base = publicUrl.replace(/\/+$/, '');
  return incident === undefined ? `${base}${GATHER_PATH}` : `${base}${GATHER_PATH}?incident=${encodeURIComponent(incident)}`;
}

/** An SMS reply `<Response><Message>text</Message></Response>`; an empty `<Response/>` (no reply) without text. */
export function messageTwiml(text: string | undefined): string {
  if (text === undefined) return document('');
  return document(text === '' ? '<Message/>' : `<Message>${escapeText(checked(text))}</Message>`);
}

function sayElement(say: string, voice: string | undefined): string {
  checked(say);
  // The SDK leaves out an empty voice and closes an empty <Say/>, as xmlbuilder does.
  const attribute = voice ? ` voice="${escapeAttribute(voice)}"` : '';
  return say === '' ? `<Say${attribute}/>` : `<Say${attribute}>${escapeText(say)}</Say>`;
}

function document(content: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${content === '' ? '<Response/>' : `<Response>${content}</Response>`}`;
}

function checked(text: string): string {
  const character = characterXmlRefuses(text);
  if (character !== undefined) throw new RangeError(`TwiML cannot carry ${character}`);
  return text;
}

function refused(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d)
    || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}
