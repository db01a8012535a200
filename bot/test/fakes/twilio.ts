// A stand-in for the Twilio REST API (https://api.twilio.com) on loopback: create and list Messages and Calls,
// checked against Twilio's OpenAPI description (bot/test/contracts) and answered like Twilio does.
// It also makes Twilio's signed callbacks to the bot: a key pressed on a call, an SMS to the bot's number.
import { createHmac, randomBytes } from 'node:crypto';
import { reject, startFakeServer } from './fake-server.ts';
import type { Answer, Call, FakeServer } from './fake-server.ts';
import { loadTwilioContract, loadTwilioListContract } from './twilio-contract.ts';
import type { TwilioListOperation, TwilioOperation } from './twilio-contract.ts';

export interface TwilioMessage {
  readonly sid: string;
  readonly to: string;
  readonly from: string | undefined;
  readonly body: string | undefined;
  readonly mediaUrls: readonly string[];
  readonly messagingServiceSid?: string | undefined;
  readonly dateCreated: Date;
  /** 'queued' when created; a test moves it on (e.g. 'sent' with a dateSent) to stage what Twilio did since. */
  status: string;
  /** null until sent, as Twilio shows a queued message. */
  dateSent: Date | null;
  /** The StatusCallback the message was created with: where messageStatus() reports. */
  readonly statusCallback?: string | undefined;
}

export interface TwilioCall {
  readonly sid: string;
  readonly to: string;
  readonly from: string;
  /** The Twiml parameter exactly as received; undefined when the call was given a Url or ApplicationSid. */
  readonly twiml: string | undefined;
  readonly url: string | undefined;
  readonly dateCreated: Date;
  /** 'queued' when created; a test moves it on (e.g. 'in-progress' with a startTime). */
  status: string;
  startTime: Date | null;
  endTime: Date | null;
  /** What the call was created with: where callStatus() and machineDetection() report, and for which events. */
  readonly statusCallback?: string | undefined;
  readonly statusCallbackEvents?: readonly string[];
  readonly machineDetection?: string | undefined;
  readonly asyncAmdStatusCallback?: string | undefined;
}

export interface FakeTwilio extends FakeServer {
  /** In creation order (lists answer newest first). */
  readonly messages: TwilioMessage[];
  readonly calls: TwilioCall[];
  /** Record a message as if sent before, e.g. yesterday: status 'sent' and dateSent = dateCreated unless given. */
  addMessage(message: { to: string; from?: string; body?: string; status?: string; dateCreated?: Date; dateSent?: Date | null }): TwilioMessage;
  /** Record a call as if made before: status 'completed', startTime = dateCreated, endTime a minute later unless given. */
  addCall(call: { to: string; from: string; twiml?: string; status?: string; dateCreated?: Date; startTime?: Date | null; endTime?: Date | null }): TwilioCall;
  /**
   * Stands for the reverse proxy in front of the bot: an origin (e.g. 'http://127.0.0.1:40123') that callbacks
   * are delivered to, path and query kept, while their signature covers the public URL. Unset: sent as addressed.
   */
  proxy: string | undefined;
  /**
   * The person on call `callSid` presses `digits`: the call is answered (in-progress), and the action of its
   * TwiML's <Gather> gets Twilio's form, signed with X-Twilio-Signature over the action URL as written.
   */
  gather(callSid: string, digits: string): Promise<CallbackAnswer>;
  /**
   * `from` texts `body` to the Twilio number (`to`, by default the sender of the bot's latest SMS or call); Twilio posts
   * it to `webhookUrl`, signed. `messageSid` replays a message already delivered (Twilio's retry, or a replay).
   */
  inboundSms(webhookUrl: string, from: string, body: string, to?: string, messageSid?: string): Promise<CallbackAnswer>;
  /** The message moves to `status` (e.g. 'delivered', 'undelivered' with an ErrorCode) and Twilio posts its StatusCallback, signed. */
  messageStatus(messageSid: string, status: string, errorCode?: string): Promise<CallbackAnswer>;
  /**
   * The call moves to `status` ('in-progress' when answered, then 'completed', or 'busy', 'no-answer', 'failed') and
   * Twilio posts its StatusCallback, signed, as it does for the events the call asked for ('completed' always).
   */
  callStatus(callSid: string, status: string): Promise<CallbackAnswer | undefined>;
  /** Background answering machine detection decides (`human`, `machine_start`, `fax`...) and posts its AsyncAmdStatusCallback, signed. */
  machineDetection(callSid: string, answeredBy: string): Promise<CallbackAnswer>;
}

export interface CallbackAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface FakeTwilioOptions {
  readonly accountSid: string;
  readonly authToken: string;
  readonly latencyMs?: number;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const API_VERSION = '2010-04-01';
const OPERATIONS = loadTwilioContract();
const LISTS = loadTwilioListContract();
const DEFAULT_PAGE_SIZE = 50;

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
    if (call.method === 'GET') {
      const list = LISTS.find((op) => op.pathTemplate === match.op.pathTemplate) ?? reject(405, `${call.path} cannot be listed`, 20004);
      return list.itemsKey === 'messages' ? listMessages(list, call.query) : listCalls(list, call.query);
    }
    if (call.method !== 'POST') reject(405, `Method ${call.method} not allowed on ${call.path} (this fake creates and lists)`, 20004);
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
    const message: TwilioMessage = {
      sid: sid('SM'), to: one(form, 'To') ?? '', from: one(form, 'From'), body, mediaUrls: many(form, 'MediaUrl'),
      messagingServiceSid: one(form, 'MessagingServiceSid'), dateCreated: new Date(), status: 'queued', dateSent: null,
      statusCallback: one(form, 'StatusCallback'),
    };
    messages.push(message);
    return { status: 201, body: messageResource(message) };
  }

  function createCall(form: Form): Answer {
    const given = ['Url', 'Twiml', 'ApplicationSid'].filter((name) => form[name] !== undefined);
    if (given.length > 1) {
      reject(400, `Give only one of Url, Twiml and ApplicationSid, got ${given.join(' and ')} (stricter than Twilio, which ignores Twiml when Url is given)`, INVALID_PARAMETER);
    }
    const twiml = one(form, 'Twiml');
    if (twiml !== undefined) checkTwiml(twiml);
    const call: TwilioCall = {
      sid: sid('CA'), to: one(form, 'To') ?? '', from: one(form, 'From') ?? '', twiml, url: one(form, 'Url'),
      dateCreated: new Date(), status: 'queued', startTime: null, endTime: null,
      statusCallback: one(form, 'StatusCallback'), statusCallbackEvents: many(form, 'StatusCallbackEvent').flatMap((events) => events.split(' ')),
      machineDetection: one(form, 'MachineDetection'), asyncAmdStatusCallback: one(form, 'AsyncAmdStatusCallback'),
    };
    calls.push(call);
    return { status: 201, body: callResource(call) };
  }

  function messageResource(message: TwilioMessage): Record<string, unknown> {
    return resource('CreateMessage', 'Messages', message.sid, message.dateCreated, {
      to: message.to, from: message.from, body: message.body, messaging_service_sid: message.messagingServiceSid,
      status: message.status, date_sent: rfc2822(message.dateSent),
      num_media: String(message.mediaUrls.length), num_segments: '1',
      subresource_uris: { media: `/${API_VERSION}/Accounts/${options.accountSid}/Messages/${message.sid}/Media.json` },
    });
  }

  function callResource(call: TwilioCall): Record<string, unknown> {
    return resource('CreateCall', 'Calls', call.sid, call.dateCreated, {
      to: call.to, to_formatted: call.to, from: call.from, from_formatted: call.from, status: call.status,
      start_time: rfc2822(call.startTime), end_time: rfc2822(call.endTime),
    });
  }

  /** Every property of the contract's resource schema: these values, the common ones, null for the rest. */
  function resource(operationId: string, collection: string, resourceSid: string, dateCreated: Date, values: Record<string, unknown>): Record<string, unknown> {
    const op = OPERATIONS.find((candidate) => candidate.operationId === operationId) ?? reject(500, `${operationId} is not in the contract`);
    const all: Record<string, unknown> = {
      sid: resourceSid, account_sid: options.accountSid, api_version: API_VERSION, status: 'queued', direction: 'outbound-api',
      date_created: rfc2822(dateCreated), date_updated: rfc2822(dateCreated), price_unit: 'USD',
      uri: `/${API_VERSION}/Accounts/${options.accountSid}/${collection}/${resourceSid}.json`,
      ...values,
    };
    return Object.fromEntries(op.responseProperties.map((name) => [name, all[name] ?? null]));
  }

  function listMessages(op: TwilioListOperation, query: Record<string, string>): Answer {
    const filters = checkListQuery(op, query);
    const matching = messages.filter((message) =>
      (query.To === undefined || message.to === query.To) &&
      (query.From === undefined || message.from === query.From) &&
      onDay(message.dateSent, filters, 'DateSent', 'inclusive'));
    return listPage(op, query, matching, messageResource);
  }

  function listCalls(op: TwilioListOperation, query: Record<string, string>): Answer {
    const filters = checkListQuery(op, query);
    const matching = calls.filter((call) =>
      (query.To === undefined || call.to === query.To) &&
      (query.From === undefined || call.from === query.From) &&
      (query.Status === undefined || call.status === query.Status) &&
      query.ParentCallSid === undefined && // the fake's calls have no parent
      onDay(call.startTime, filters, 'StartTime', 'before-exclusive') &&
      onDay(call.endTime, filters, 'EndTime', 'before-exclusive'));
    return listPage(op, query, matching, callResource);
  }

  /**
   * One page, newest first, with Twilio's paging fields. PageToken is 'PA' + the sid the page starts after
   * (next page) or 'PB' + the sid it ends before (previous page); Page is the client's own page index.
   */
  function listPage<T extends { sid: string; dateCreated: Date }>(
    op: TwilioListOperation, query: Record<string, string>, matching: T[], view: (item: T) => Record<string, unknown>,
  ): Answer {
    const ordered = matching.map((item, index) => ({ item, index }))
      .sort((a, b) => b.item.dateCreated.getTime() - a.item.dateCreated.getTime() || b.index - a.index)
      .map(({ item }) => item);
    const pageSize = Number(query.PageSize ?? DEFAULT_PAGE_SIZE);
    const pageIndex = Number(query.Page ?? 0);
    const token = query.PageToken;
    if (token === undefined && pageIndex > 0) {
      reject(400, `Page ${pageIndex} needs the PageToken of the page before it; follow next_page_uri (stricter than Twilio)`, INVALID_PARAMETER);
    }
    let from = 0;
    let to = Math.min(pageSize, ordered.length);
    if (token !== undefined) {
      const at = ordered.findIndex((item) => item.sid === token.slice(2));
      if (!/^P[AB]/.test(token) || at < 0) reject(400, `PageToken "${token}" is not one this server gave out`, INVALID_PARAMETER);
      [from, to] = token.startsWith('PA') ? [at + 1, Math.min(at + 1 + pageSize, ordered.length)] : [Math.max(at - pageSize, 0), at];
    }
    const items = ordered.slice(from, to);
    const filters = Object.entries(query).filter(([name]) => !['PageSize', 'Page', 'PageToken'].includes(name));
    const uri = (page: number, pageToken?: string) => {
      const paging: [string, string][] = [['PageSize', String(pageSize)], ['Page', String(page)]];
      if (pageToken !== undefined) paging.push(['PageToken', pageToken]);
      const search = new URLSearchParams([...filters, ...paging]);
      return `${op.pathTemplate.replace('{AccountSid}', options.accountSid)}?${search.toString()}`;
    };
    const last = items.at(-1);
    const first = items[0];
    const start = pageIndex * pageSize;
    const page: Record<string, unknown> = {
      [op.itemsKey]: items.map(view),
      first_page_uri: uri(0),
      next_page_uri: last !== undefined && to < ordered.length ? uri(pageIndex + 1, `PA${last.sid}`) : null,
      previous_page_uri: first !== undefined && from > 0 ? uri(Math.max(pageIndex - 1, 0), `PB${first.sid}`) : null,
      page: pageIndex,
      page_size: pageSize,
      start,
      end: items.length === 0 ? start : start + items.length - 1,
      uri: uri(pageIndex, token),
    };
    return { status: 200, body: Object.fromEntries(op.pageProperties.map((name) => [name, page[name] ?? null])) };
  }

  function addMessage(values: Parameters<FakeTwilio['addMessage']>[0]): TwilioMessage {
    const dateCreated = values.dateCreated ?? new Date();
    const message: TwilioMessage = {
      sid: sid('SM'), to: values.to, from: values.from, body: values.body, mediaUrls: [], dateCreated,
      status: values.status ?? 'sent', dateSent: values.dateSent === undefined ? dateCreated : values.dateSent,
    };
    messages.push(message);
    return message;
  }

  function addCall(values: Parameters<FakeTwilio['addCall']>[0]): TwilioCall {
    const dateCreated = values.dateCreated ?? new Date();
    const startTime = values.startTime === undefined ? dateCreated : values.startTime;
    const call: TwilioCall = {
      sid: sid('CA'), to: values.to, from: values.from, twiml: values.twiml, url: undefined, dateCreated,
      status: values.status ?? 'completed', startTime,
      endTime: values.endTime === undefined ? (startTime === null ? null : new Date(startTime.getTime() + 60_000)) : values.endTime,
    };
    calls.push(call);
    return call;
  }

  async function gather(callSid: string, digits: string): Promise<CallbackAnswer> {
    const call = calls.find((candidate) => candidate.sid === callSid) ?? fail(`no call ${callSid}`);
    const element = /<Gather\b([^>]*)>/.exec(call.twiml ?? '')?.[1] ?? fail(`call ${callSid} has no <Gather> in its Twiml`);
    const attribute = (name: string) => {
      const value = new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
      return value === undefined ? undefined : xmlUnescape(value);
    };
    const action = attribute('action') ?? fail('the <Gather> has no action (the fake does not re-request a document it never fetched)');
    if (!/^https?:\/\//.test(action)) fail(`the <Gather> action "${action}" is not absolute: inline Twiml has no document URL to resolve it against`);
    if ((attribute('method') ?? 'POST') !== 'POST') fail('the fake posts a <Gather> action; method must be POST');
    if (call.status === 'queued' || call.status === 'ringing') {
      call.status = 'in-progress';
      call.startTime ??= new Date();
    }
    return callback(action, {
      AccountSid: options.accountSid, ApiVersion: API_VERSION, CallSid: call.sid, CallStatus: call.status,
      Called: call.to, Caller: call.from, Direction: 'outbound-api', Digits: digits, FinishedOnKey: '',
      From: call.from, To: call.to, msg: 'Gather End',
    });
  }

  async function inboundSms(webhookUrl: string, from: string, body: string, to?: string, messageSid = sid('SM')): Promise<CallbackAnswer> {
    const latest = [...messages, ...calls].sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())[0];
    return callback(webhookUrl, {
      AccountSid: options.accountSid, ApiVersion: API_VERSION, Body: body, From: from, MessageSid: messageSid,
      NumMedia: '0', NumSegments: '1', SmsMessageSid: messageSid, SmsSid: messageSid, SmsStatus: 'received',
      To: to ?? latest?.from ?? '+15005550006',
    });
  }

  async function messageStatus(messageSid: string, status: string, errorCode?: string): Promise<CallbackAnswer> {
    const message = messages.find((candidate) => candidate.sid === messageSid) ?? fail(`no message ${messageSid}`);
    const url = message.statusCallback ?? fail(`message ${messageSid} was sent without a StatusCallback`);
    message.status = status;
    if (status === 'sent' || status === 'delivered') message.dateSent ??= new Date();
    return callback(url, {
      AccountSid: options.accountSid, ApiVersion: API_VERSION, From: message.from ?? '', To: message.to,
      MessageSid: message.sid, MessageStatus: status, SmsSid: message.sid, SmsStatus: status, ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
    });
  }

  async function callStatus(callSid: string, status: string): Promise<CallbackAnswer | undefined> {
    const call = calls.find((candidate) => candidate.sid === callSid) ?? fail(`no call ${callSid}`);
    const url = call.statusCallback ?? fail(`call ${callSid} was placed without a StatusCallback`);
    call.status = status;
    if (status === 'in-progress') call.startTime ??= new Date();
    const final = ['completed', 'busy', 'no-answer', 'canceled', 'failed'].includes(status);
    if (final) call.endTime = new Date();
    // Twilio reports `completed` (and the other ends) always, the rest only when asked for; in-progress is the 'answered' event.
    const event = status === 'in-progress' ? 'answered' : final ? 'completed' : status;
    if (event !== 'completed' && !(call.statusCallbackEvents ?? []).includes(event)) return undefined;
    return callback(url, {
      AccountSid: options.accountSid, ApiVersion: API_VERSION, CallSid: call.sid, CallStatus: status, Called: call.to, Caller: call.from,
      Direction: 'outbound-api', From: call.from, To: call.to, CallbackSource: 'call-progress-events', Timestamp: new Date().toUTCString(),
      ...(final && call.startTime !== null ? { CallDuration: String(Math.round(((call.endTime?.getTime() ?? Date.now()) - call.startTime.getTime()) / 1000)) } : {}),
    });
  }

  async function machineDetection(callSid: string, answeredBy: string): Promise<CallbackAnswer> {
    const call = calls.find((candidate) => candidate.sid === callSid) ?? fail(`no call ${callSid}`);
    if (call.machineDetection === undefined) fail(`call ${callSid} was placed without MachineDetection`);
    const url = call.asyncAmdStatusCallback ?? fail(`call ${callSid} has no AsyncAmdStatusCallback`);
    return callback(url, { AccountSid: options.accountSid, CallSid: call.sid, AnsweredBy: answeredBy, MachineDetectionDuration: '2150' });
  }

  async function callback(url: string, params: Record<string, string>): Promise<CallbackAnswer> {
    const target = new URL(url);
    const delivered = fake.proxy === undefined ? url : `${fake.proxy.replace(/\/+$/, '')}${target.pathname}${target.search}`;
    const response = await fetch(delivered, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
        'User-Agent': 'TwilioProxy/1.1',
        'X-Twilio-Signature': twilioSignature(options.authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? undefined, body: await response.text() };
  }

  const fake = Object.assign(await startFakeServer({
    basePath: '',
    latencyMs: options.latencyMs,
    handle,
    errorBody: (status, message, code = 20000 + status) =>
      ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    resetState() {
      messages.length = 0;
      calls.length = 0;
    },
  }), { messages, calls, addMessage, addCall, proxy: undefined as string | undefined, gather, inboundSms, messageStatus, callStatus, machineDetection });
  return fake;
}

/**
 * X-Twilio-Signature as Twilio computes it (twilio.com/docs/usage/webhooks/webhooks-security): the URL, then each
 * parameter's name and value, sorted by name, HMAC-SHA1 with the auth token as key, in base64. Written out here
 * rather than taken from the SDK, so the bot's use of the SDK's validation is checked against an independent signer.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params).sort().reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function xmlUnescape(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_entity, name: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    const lower = name.toLowerCase();
    if (lower in named) return named[lower]!;
    return String.fromCodePoint(lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : Number(lower.slice(1)));
  });
}

/** A mistake in the test's use of the fake, not Twilio's answer. */
function fail(message: string): never {
  throw new Error(`fake Twilio: ${message}`);
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

type DayFilters = Map<string, string>;

/** Checks the list's query against the contract; returns the date filters as UTC days (YYYY-MM-DD) by parameter name. */
function checkListQuery(op: TwilioListOperation, query: Record<string, string>): DayFilters {
  const unknown = Object.keys(query).filter((name) => !op.query.has(name));
  if (unknown.length > 0) {
    reject(400, `Unknown parameter(s) for ${op.operationId}: ${unknown.join(', ')}; the contract lists ${[...op.query.keys()].join(', ')} (stricter than Twilio, which ignores them)`, INVALID_PARAMETER);
  }
  const days: DayFilters = new Map();
  for (const [name, value] of Object.entries(query)) {
    const parameter = op.query.get(name);
    if (parameter === undefined) continue;
    if (parameter.type === 'integer') {
      const number = Number(value);
      if (!/^\d+$/.test(value) || (parameter.minimum !== undefined && number < parameter.minimum) || (parameter.maximum !== undefined && number > parameter.maximum)) {
        reject(400, `${name} must be an integer from ${parameter.minimum ?? 0}${parameter.maximum === undefined ? '' : ` to ${parameter.maximum}`}, got "${value}"`, INVALID_PARAMETER);
      }
    }
    if (parameter.enum !== undefined && !parameter.enum.includes(value)) {
      reject(400, `${name} must be one of ${parameter.enum.join(', ')}, got "${value}"`, INVALID_PARAMETER);
    }
    if (parameter.format === 'phone-number' && !E164.test(value)) {
      reject(400, `${name} "${value}" is not an E.164 number; a "+" sent unencoded in a query string arrives as a space (stricter than Twilio, which would list nothing)`, INVALID_PARAMETER);
    }
    if (parameter.format === 'date-time') days.set(name, utcDay(name, value));
  }
  return days;
}

/** YYYY-MM-DD as given, or the UTC day of any date Twilio's examples show (ISO 8601, RFC 2822...): Twilio compares days. */
function utcDay(name: string, value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const time = Date.parse(value);
  if (Number.isNaN(time)) reject(400, `${name} must be a date (YYYY-MM-DD in UTC), got "${value}"`, INVALID_PARAMETER);
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * Twilio's date filters compare UTC days and never match a resource without that date (a queued message has no
 * date_sent). Name= is that day; Name> is on or after it; Name< is on or before it for messages (DateSent<) and
 * strictly before it for calls (StartTime<, EndTime<), as the contract describes each.
 */
function onDay(date: Date | null, filters: DayFilters, name: string, before: 'inclusive' | 'before-exclusive'): boolean {
  const [equal, after, upTo] = [filters.get(name), filters.get(`${name}>`), filters.get(`${name}<`)];
  if (equal === undefined && after === undefined && upTo === undefined) return true;
  if (date === null) return false;
  const day = date.toISOString().slice(0, 10);
  return (equal === undefined || day === equal) && (after === undefined || day >= after) &&
    (upTo === undefined || (before === 'inclusive' ? day <= upTo : day < upTo));
}

/** Twilio's dates: RFC 2822 in GMT, e.g. 'Wed, 25 Nov 2026 16:15:23 +0000'. */
function rfc2822(date: Date | null): string | null {
  return date === null ? null : date.toUTCString().replace('GMT', '+0000');
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
