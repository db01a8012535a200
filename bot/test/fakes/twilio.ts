// A stand-in for the Twilio REST API (https://api.twilio.com) on loopback: create Message and create Call,
// checked against Twilio's OpenAPI description (bot/test/contracts) and answered like Twilio does.
import { randomBytes } from 'node:crypto';
import { reject, startFakeServer } from './fake-server.ts';
import type { Answer, Call, FakeServer } from './fake-server.ts';
import { loadTwilioContract } from './twilio-contract.ts';
import type { TwilioOperation } from './twilio-contract.ts';

export interface TwilioMessage {
  readonly sid: string;
  readonly to: string;
  readonly from: string | undefined;
  readonly body: string | undefined;
  readonly mediaUrls: readonly string[];
}

export interface TwilioCall {
  readonly sid: string;
  readonly to: string;
  readonly from: string;
  /** The Twiml parameter exactly as received; undefined when the call was given a Url or ApplicationSid. */
  readonly twiml: string | undefined;
  readonly url: string | undefined;
}

export interface FakeTwilio extends FakeServer {
  readonly messages: TwilioMessage[];
  readonly calls: TwilioCall[];
}

export interface FakeTwilioOptions {
  readonly accountSid: string;
  readonly authToken: string;
  readonly latencyMs?: number;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const API_VERSION = '2010-04-01';
const OPERATIONS = loadTwilioContract();

// Twilio's codes (twilio.com/docs/api/errors) for a missing parameter, or one of a group, per operation.
const MISSING: Record<string, { code: number; message: string }> = {
  'CreateMessage To': { code: 21604, message: "A 'To' phone number is required." },
  'CreateMessage From|MessagingServiceSid': { code: 21603, message: "A 'From' or 'MessagingServiceSid' parameter is required to send a message." },
  'CreateMessage Body|MediaUrl|ContentSid': { code: 21619, message: 'A text message body or media urls must be specified.' },
  'CreateCall To': { code: 21201, message: "No 'To' number is specified." },
  'CreateCall From': { code: 21213, message: "No 'From' number is specified." },
  'CreateCall Url|Twiml|ApplicationSid': { code: 21205, message: "Either a 'Url', 'Twiml' or 'ApplicationSid' parameter is required." },
};
/** Code for the checks this fake makes beyond Twilio's own (their messages say so). */
const INVALID_PARAMETER = 20001;

type Form = Record<string, string | string[]>;

export async function startFakeTwilio(options: FakeTwilioOptions): Promise<FakeTwilio> {
  const messages: TwilioMessage[] = [];
  const calls: TwilioCall[] = [];
  const expectedAuthorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  function handle(call: Call): Answer {
    if (call.headers.authorization !== expectedAuthorization) {
      reject(401, 'Authenticate', 20003, { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    const match = OPERATIONS.map((op) => ({ op, sid: op.pathPattern.exec(call.path)?.[1] })).find(({ sid }) => sid !== undefined);
    if (match === undefined || match.sid !== options.accountSid) {
      reject(404, `The requested resource ${call.path} was not found`, 20404);
    }
    if (call.method !== 'POST') reject(405, `Method ${call.method} not allowed on ${call.path} (this fake only creates)`, 20004);
    if (call.body.kind !== 'form') {
      reject(400, `Parameters must be sent as application/x-www-form-urlencoded; got ${call.headers['content-type'] ?? 'no Content-Type'} (stricter than Twilio, which would see no parameters)`, INVALID_PARAMETER);
    }
    const form = checkForm(match.op, call.body.value);
    return match.op.operationId === 'CreateMessage' ? createMessage(form) : createCall(form);
  }

  function createMessage(form: Form): Answer {
    const body = one(form, 'Body');
    if (body !== undefined && [...body].length > 1600) {
      reject(400, `The concatenated message body exceeds the 1600 character limit (${[...body].length} characters)`, 21617);
    }
    const message: TwilioMessage = { sid: sid('SM'), to: one(form, 'To') ?? '', from: one(form, 'From'), body, mediaUrls: many(form, 'MediaUrl') };
    messages.push(message);
    return created('CreateMessage', 'Messages', message.sid, {
      to: message.to, from: message.from, body: message.body, messaging_service_sid: one(form, 'MessagingServiceSid'),
      num_media: String(message.mediaUrls.length), num_segments: '1',
      subresource_uris: { media: `/${API_VERSION}/Accounts/${options.accountSid}/Messages/${message.sid}/Media.json` },
    });
  }

  function createCall(form: Form): Answer {
    const given = ['Url', 'Twiml', 'ApplicationSid'].filter((name) => form[name] !== undefined);
    if (given.length > 1) {
      reject(400, `Give only one of Url, Twiml and ApplicationSid, got ${given.join(' and ')} (stricter than Twilio, which ignores Twiml when Url is given)`, INVALID_PARAMETER);
    }
    const twiml = one(form, 'Twiml');
    if (twiml !== undefined) checkTwiml(twiml);
    const call: TwilioCall = { sid: sid('CA'), to: one(form, 'To') ?? '', from: one(form, 'From') ?? '', twiml, url: one(form, 'Url') };
    calls.push(call);
    return created('CreateCall', 'Calls', call.sid, {
      to: call.to, to_formatted: call.to, from: call.from, from_formatted: call.from,
    });
  }

  /** A 201 with every property of the contract's resource schema: these values, the common ones, null for the rest. */
  function created(operationId: string, collection: string, resourceSid: string, values: Record<string, unknown>): Answer {
    const op = OPERATIONS.find((candidate) => candidate.operationId === operationId) ?? reject(500, `${operationId} is not in the contract`);
    const now = new Date().toUTCString().replace('GMT', '+0000');
    const all: Record<string, unknown> = {
      sid: resourceSid, account_sid: options.accountSid, api_version: API_VERSION, status: 'queued', direction: 'outbound-api',
      date_created: now, date_updated: now, price_unit: 'USD',
      uri: `/${API_VERSION}/Accounts/${options.accountSid}/${collection}/${resourceSid}.json`,
      ...values,
    };
    return { status: 201, body: Object.fromEntries(op.responseProperties.map((name) => [name, all[name] ?? null])) };
  }

  const fake = await startFakeServer({
    basePath: '',
    latencyMs: options.latencyMs,
    handle,
    errorBody: (status, message, code = 20000 + status) =>
      ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    resetState() {
      messages.length = 0;
      calls.length = 0;
    },
  });
  return Object.assign(fake, { messages, calls });
}

/** Checks the form against the operation's parameters; returns it unchanged when it passes. */
function checkForm(op: TwilioOperation, form: Form): Form {
  const unknown = Object.keys(form).filter((name) => !op.parameters.has(name));
  if (unknown.length > 0) {
    reject(400, `Unknown parameter(s) for ${op.operationId}: ${unknown.join(', ')}; names are case-sensitive, e.g. To, From, Body (stricter than Twilio, which ignores them)`, INVALID_PARAMETER);
  }
  for (const [name, value] of Object.entries(form)) {
    const { type } = op.parameters.get(name) ?? { type: 'string' };
    if (Array.isArray(value) && type !== 'array') reject(400, `${name} was given ${value.length} times; it takes one value`, INVALID_PARAMETER);
    if (type === 'integer' && !/^-?\d+$/.test(String(value))) reject(400, `${name} must be an integer, got "${String(value)}"`, INVALID_PARAMETER);
    if (type === 'boolean' && !/^(true|false)$/i.test(String(value))) reject(400, `${name} must be true or false, got "${String(value)}"`, INVALID_PARAMETER);
  }
  const present = (name: string): boolean => form[name] !== undefined && form[name] !== '';
  for (const group of [...op.required.map((name) => [name]), ...op.oneOf]) {
    if (group.some(present)) continue;
    const known = MISSING[`${op.operationId} ${group.join('|')}`];
    reject(400, known?.message ?? `${group.join(' or ')} is required`, known?.code ?? INVALID_PARAMETER);
  }
  for (const [name, code] of [['To', 21211], ['From', 21212]] as const) {
    const number = one(form, name);
    if (number !== undefined && !E164.test(number)) {
      reject(400, `Invalid '${name}' Phone Number: ${number} (expected E.164, e.g. +14155552671)`, code);
    }
  }
  return form;
}

function checkTwiml(twiml: string): void {
  if (twiml.length > 4000) reject(400, `Twiml is ${twiml.length} characters; the maximum is 4000`, INVALID_PARAMETER);
  const problem = xmlProblem(twiml);
  if (problem !== undefined) reject(400, `Document parse failure: the Twiml parameter is not well-formed TwiML: ${problem}`, 12100);
}

const BARE_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i;

/** Why `xml` is not a well-formed document with a single <Response> root, or undefined if it is. Minimal: no DTDs or CDATA. */
export function xmlProblem(xml: string): string | undefined {
  const open: string[] = [];
  let rootSeen = false;
  for (const [token] of xml.matchAll(/<!--[\s\S]*?-->|<[^<>]*>|[^<]+|</g)) {
    if (token.startsWith('<!--') || (token.startsWith('<?') && token.endsWith('?>') && !rootSeen)) continue;
    if (!token.startsWith('<')) {
      if (open.length === 0 && token.trim() !== '') return `text outside the root element: "${token.trim()}"`;
      if (BARE_AMPERSAND.test(token)) return `unescaped "&" in "${token.trim()}" (write &amp;)`;
      continue;
    }
    const tag = /^<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>$/.exec(token);
    if (tag === null) return `malformed markup "${token}"`;
    const [, closing, name = '', attributes = '', selfClosing] = tag;
    if (BARE_AMPERSAND.test(attributes)) return `unescaped "&" in the attributes of <${name}>`;
    if (closing === '/') {
      const expected = open.pop();
      if (expected !== name) return expected === undefined ? `</${name}> closes nothing` : `</${name}> closes <${expected}>`;
      continue;
    }
    if (open.length === 0) {
      if (rootSeen) return `a second root element <${name}>`;
      if (name !== 'Response') return `the root element is <${name}>, not <Response>`;
      rootSeen = true;
    }
    if (selfClosing !== '/') open.push(name);
  }
  if (open.length > 0) return `<${open.join('>, <')}> not closed`;
  return rootSeen ? undefined : 'no <Response> element';
}

function one(form: Form, name: string): string | undefined {
  const value = form[name];
  return Array.isArray(value) ? value[0] : value;
}

function many(form: Form, name: string): string[] {
  const value = form[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A Twilio SID: two-letter prefix and 32 hex digits. */
function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}
