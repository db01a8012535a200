// SMS and voice calls through Twilio's official SDK. The SDK builds each request (resource path,
// parameter names); the TwiML comes from core/twiml.ts, which the settings check measures and a test holds
// equal to the SDK's own; its documented custom `httpClient` hands the request to our transport,
// which sends it to TWILIO_API_BASE with our retries, or only records it in dry-run.
// Twilio has no idempotency key: after a send whose answer was lost, the bot lists what Twilio has
// (by To, From and creation time) before it sends again.

import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type Twilio from 'twilio/lib/rest/Twilio.js';
import { callTwiml, type Gather } from '../core/twiml.ts';
import { AnswerError, type ApiCall, type HttpRequest, type Transport } from '../http/transport.ts';

export const DEFAULT_TWILIO_API_BASE = 'https://api.twilio.com';
/** Twilio's SDK refuses an account SID that does not start with AC; dry-run has none. */
const DRY_RUN_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/;
const CALL_SID = /^CA[0-9a-f]{32}$/;
/** How far back a check with Twilio looks: newest first, a page of 50, at most this many pages. */
const MAX_CHECK_PAGES = 4;

type Sdk = typeof Twilio;

/** What identifies an SMS or a call of ours in Twilio's lists. */
export interface SentQuery {
  readonly from: string;
  readonly to: string;
  /** Created at or after this instant (the bot's clock, less a margin for Twilio's). */
  readonly since: Date;
  /** SIDs that already belong to other actions. */
  readonly exclude: ReadonlySet<string>;
}

export class TwilioClient {
  private readonly base: string;
  private readonly accountSid: string;
  private readonly authToken: string;
  private readonly transport: Transport;
  private sdk: Promise<Sdk> | undefined;

  constructor(options: { base: string; accountSid: string | undefined; authToken: string | undefined; transport: Transport }) {
    this.base = options.base.replace(/\/+$/, '');
    this.accountSid = options.accountSid ?? DRY_RUN_ACCOUNT_SID;
    this.authToken = options.authToken ?? 'dry-run';
    this.transport = options.transport;
  }

  /** Resolves with the Message SID. With `statusCallback`, Twilio posts there whether it was delivered. */
  async sendSms(from: string, to: string, body: string, call: ApiCall, statusCallback?: string): Promise<string> {
    const client = await this.client(call);
    const message = await client.messages.create({ from, to, body, ...(statusCallback === undefined ? {} : { statusCallback }) });
    return checkedSid(message.sid, MESSAGE_SID, 'the new message');
  }

  /**
   * Calls `to` and speaks `say` with inline TwiML, so no URL is needed to start the call. With `gather`, it
   * then asks for "1" and Twilio posts the key to `gather.actionUrl`. With `statusCallback`, Twilio posts there
   * when the call is answered and when it ends (busy, no answer...), and, from answering machine detection run
   * in the background (so the sentence is not delayed), whether a person or a machine answered. Resolves with
   * the Call SID.
   */
  async placeCall(from: string, to: string, say: string, voice: string | undefined, call: ApiCall, gather?: Gather, statusCallback?: string): Promise<string> {
    const client = await this.client(call);
    const created = await client.calls.create({
      from, to, twiml: callTwiml(say, voice, gather),
      ...(statusCallback === undefined ? {} : {
        statusCallback, statusCallbackEvent: ['answered', 'completed'],
        machineDetection: 'Enable', asyncAmd: 'true', asyncAmdStatusCallback: statusCallback,
      }),
    });
    return checkedSid(created.sid, CALL_SID, 'the new call');
  }

  /** The SID of a message with this body that Twilio already has, or undefined. */
  async findSms(query: SentQuery, body: string, call: ApiCall): Promise<string | undefined> {
    const client = await this.client(call);
    return firstMatch(client.messages.page({ from: query.from, to: query.to, pageSize: 50 }), query, MESSAGE_SID, 'the list of messages', (item) => item.body === body);
  }

  /** The SID of a call Twilio already has (Twilio's list does not show a call's TwiML), or undefined. */
  async findCall(query: SentQuery, call: ApiCall): Promise<string | undefined> {
    const client = await this.client(call);
    return firstMatch(client.calls.page({ from: query.from, to: query.to, pageSize: 50 }), query, CALL_SID, 'the list of calls', () => true);
  }

  private async client(call: ApiCall): Promise<Twilio> {
    const Client = await this.load();
    const httpClient = new TransportHttpClient(this.transport, this.base, call);
    // The SDK only ever calls request() on its httpClient (its documented custom-client contract).
    return new Client(this.accountSid, this.authToken, { httpClient: httpClient as unknown as RequestClient });
  }

  /**
   * The SDK's REST client alone (the package's index also loads its webhook, JWT and TwiML helpers, which
   * the bot does not use), loaded by the first SMS or call: the warm-up's, a moment after the bot starts
   * (press/warm-up.ts), when the settings send any.
   */
  private load(): Promise<Sdk> {
    this.sdk ??= import('twilio/lib/rest/Twilio.js').then((module) => module.default);
    return this.sdk;
  }
}

interface Listed {
  readonly sid: string;
  readonly to: string;
  readonly from: string;
  readonly dateCreated: Date;
}

interface ListPage<T> {
  readonly instances: T[];
  // The SDK returns undefined, not a promise, when there is no next page.
  nextPage(): Promise<ListPage<T>> | undefined;
}

/** Newest first, as Twilio lists: the first of ours created in the window, reading no further back than it. */
async function firstMatch<T extends Listed>(first: Promise<ListPage<T>>, query: SentQuery, sid: RegExp, what: string, same: (item: T) => boolean): Promise<string | undefined> {
  let page: ListPage<T> | undefined = await first;
  for (let n = 1; page !== undefined && n <= MAX_CHECK_PAGES; n++) {
    for (const item of page.instances) {
      if (!(item.dateCreated instanceof Date) || Number.isNaN(item.dateCreated.getTime())) throw new AnswerError(what, 'an item without a valid date_created');
      if (item.dateCreated < query.since) return undefined;
      checkedSid(item.sid, sid, what);
      if (item.to === query.to && item.from === query.from && !query.exclude.has(item.sid) && same(item)) return item.sid;
    }
    page = await page.nextPage();
  }
  return undefined;
}

function checkedSid(value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new AnswerError(what, 'no valid `sid`');
  return value;
}

interface SdkRequest {
  readonly method: string;
  readonly uri: string;
  readonly username?: string;
  readonly password?: string;
  readonly headers?: Record<string, string>;
  readonly params?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
}

class TransportHttpClient {
  private readonly transport: Transport;
  private readonly base: string;
  private readonly call: ApiCall;

  constructor(transport: Transport, base: string, call: ApiCall) {
    this.transport = transport;
    this.base = base;
    this.call = call;
  }

  async request(options: SdkRequest): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }> {
    const target = new URL(options.uri);
    const query = new URLSearchParams(target.search);
    for (const [name, value] of formEntries(options.params)) query.append(name, value);
    const form = new URLSearchParams(formEntries(options.data));
    const method = options.method.toUpperCase() as HttpRequest['method'];
    const credentials = Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64');
    const search = query.toString();
    const request: HttpRequest = {
      method,
      url: `${this.base}${target.pathname}${search ? `?${search}` : ''}`,
      headers: {
        ...options.headers,
        authorization: `Basic ${credentials}`,
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(method === 'POST' ? { body: form.toString() } : {}),
    };
    const response = await this.transport.send(request, this.call);
    return { statusCode: response.status, body: response.body, headers: response.headers };
  }
}

function formEntries(values: Record<string, unknown> | undefined): [string, string][] {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(values ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) entries.push([name, item instanceof Date ? item.toISOString() : String(item)]);
  }
  return entries;
}
