// SMS and voice calls through Twilio's official SDK. The SDK builds each request (resource path,
// parameter names, TwiML); its documented custom `httpClient` hands the request to our transport,
// which sends it to TWILIO_API_BASE with our retries, or only records it in dry-run.

import type TwilioSDK from 'twilio';
import type { CallTrace, HttpRequest, Transport } from '../http/transport.ts';

export const DEFAULT_TWILIO_API_BASE = 'https://api.twilio.com';
/** Twilio's SDK refuses an account SID that does not start with AC; dry-run has none. */
const DRY_RUN_ACCOUNT_SID = `AC${'0'.repeat(32)}`;

type Sdk = typeof TwilioSDK;

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

  async sendSms(from: string, to: string, body: string, trace: CallTrace): Promise<void> {
    const client = await this.client(trace);
    await client.messages.create({ from, to, body });
  }

  /** Calls `to` and speaks `say` with inline TwiML, so no callback URL is needed. */
  async placeCall(from: string, to: string, say: string, voice: string | undefined, trace: CallTrace): Promise<void> {
    const sdk = await this.load();
    const twiml = new sdk.twiml.VoiceResponse();
    twiml.say(voice === undefined ? {} : { voice: voice as never }, say);
    const client = await this.client(trace);
    await client.calls.create({ from, to, twiml: twiml.toString() });
  }

  private async client(trace: CallTrace): Promise<TwilioSDK.Twilio> {
    const sdk = await this.load();
    const httpClient = new TransportHttpClient(this.transport, this.base, trace);
    // The SDK only ever calls request() on its httpClient (its documented custom-client contract).
    return sdk(this.accountSid, this.authToken, { httpClient: httpClient as unknown as TwilioSDK.RequestClient });
  }

  /**
   * The SDK is large and loads its API modules lazily: it is loaded after start-up (see main.ts) or on the
   * first SMS or call, whichever comes first, with the modules for messages, calls and TwiML.
   */
  load(): Promise<Sdk> {
    this.sdk ??= import('twilio').then((module) => {
      const sdk = module.default;
      const idle = sdk(this.accountSid, this.authToken, { httpClient: {} as TwilioSDK.RequestClient });
      void [idle.messages, idle.calls, new sdk.twiml.VoiceResponse().toString()];
      return sdk;
    });
    return this.sdk;
  }
}

interface SdkRequest {
  readonly method: string;
  readonly uri: string;
  readonly username?: string;
  readonly password?: string;
  readonly headers?: Record<string, string>;
  readonly data?: Record<string, unknown>;
}

class TransportHttpClient {
  private readonly transport: Transport;
  private readonly base: string;
  private readonly trace: CallTrace;

  constructor(transport: Transport, base: string, trace: CallTrace) {
    this.transport = transport;
    this.base = base;
    this.trace = trace;
  }

  async request(options: SdkRequest): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }> {
    const target = new URL(options.uri);
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(options.data ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) form.append(name, String(item));
    }
    const credentials = Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64');
    const request: HttpRequest = {
      method: options.method.toUpperCase() as HttpRequest['method'],
      url: `${this.base}${target.pathname}${target.search}`,
      headers: {
        ...options.headers,
        authorization: `Basic ${credentials}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form.toString(),
    };
    const response = await this.transport.send(request, this.trace);
    return { statusCode: response.status, body: response.body, headers: response.headers };
  }
}
