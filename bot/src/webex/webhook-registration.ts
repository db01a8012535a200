// The bot registers its own Webex webhooks at start-up: one for card clicks, one for the messages that
// mention it (commands in the room), each named as the bot's, pointing at this deployment and signed with
// this deployment's secret. Whatever else carries that name (an older address, a copy left by a lost
// answer, another event) is deleted.

import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { ApiCall } from '../http/transport.ts';
import type { WebexClient, Webhook } from './client.ts';

/** Marks a webhook as this bot's: the only ones it updates or deletes. */
export const WEBHOOK_NAME = 'bttn escalation';
/** Where Webex delivers card clicks and commands, under the bot's public URL. */
export const WEBEX_EVENTS_PATH = '/webex/events';

/** What the bot listens to. A bot hears a group space's messages only when mentioned; the filter says so. */
export const SUBSCRIPTIONS = [
  { resource: 'attachmentActions', event: 'created', filter: undefined },
  { resource: 'messages', event: 'created', filter: 'mentionedPeople=me' },
] as const satisfies readonly Subscription[];

interface Subscription {
  readonly resource: string;
  readonly event: string;
  readonly filter: string | undefined;
}

export interface WebhookRegistration {
  readonly id: string;
  /** 'reused': it pointed here already (its secret is set again all the same); 'updated': its target changed or it was revived. */
  readonly action: 'created' | 'reused' | 'updated';
}

export interface EnsureWebhookOptions {
  readonly webex: WebexClient;
  /** The bot's public origin (and path prefix, if any), e.g. https://bttn.example.com. */
  readonly publicUrl: string;
  /** This deployment's secret, kept by the caller in the state. */
  readonly secret: string;
  readonly log: Logger;
}

/** A secret for a new deployment: 32 random bytes, hex. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The absolute URL Webex posts card clicks to. */
export function webhookTarget(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(`the bot's public URL "${publicUrl}" is not an absolute URL; Webex needs one to deliver card clicks`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the bot's public URL "${publicUrl}" is not http(s)`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${WEBEX_EVENTS_PATH}`;
}

/**
 * Makes sure exactly one webhook of ours delivers each subscription to this deployment with this secret.
 *
 * Webex never shows a webhook's secret, so a webhook that looks right may carry an older one: the kept
 * webhook always gets the current secret by PUT. An update rather than delete-and-create keeps its id and
 * leaves no moment without a webhook, in which a click would be lost. The kept ones are made right before
 * the others are deleted, for the same reason.
 */
export async function ensureWebhooks(options: EnsureWebhookOptions, call: ApiCall): Promise<WebhookRegistration[]> {
  const { webex, secret, log } = options;
  const targetUrl = webhookTarget(options.publicUrl);
  const spec = { name: WEBHOOK_NAME, targetUrl, secret };
  const ours = (await webex.listWebhooks(call)).filter((hook) => hook.name === WEBHOOK_NAME);
  const registrations: WebhookRegistration[] = [];
  for (const subscription of SUBSCRIPTIONS) {
    // Webex cannot change a webhook's filter: one with another filter is replaced.
    const same = ours.filter((hook) => hook.resource === subscription.resource && hook.event === subscription.event && hook.filter === subscription.filter);
    const kept = same.find((hook) => hook.targetUrl === targetUrl) ?? same[0];
    let registration: WebhookRegistration;
    if (kept === undefined) {
      const created = await webex.createWebhook({ ...spec, ...subscription }, call);
      registration = { id: created.id, action: 'created' };
    } else {
      const revive = kept.status === 'inactive';
      await webex.updateWebhook(kept.id, revive ? { ...spec, status: 'active' } : spec, call);
      registration = { id: kept.id, action: kept.targetUrl === targetUrl && !revive ? 'reused' : 'updated' };
    }
    log('webex webhook', { id: registration.id, resource: subscription.resource, action: registration.action, target: targetUrl });
    registrations.push(registration);
  }
  for (const stale of ours.filter((hook) => !registrations.some((registration) => registration.id === hook.id))) {
    await webex.deleteWebhook(stale.id, call);
    log('webex webhook deleted', { id: stale.id, target: stale.targetUrl, why: why(stale, targetUrl) });
  }
  return registrations;
}

function why(stale: Webhook, targetUrl: string): string {
  const wanted = SUBSCRIPTIONS.some((subscription) => stale.resource === subscription.resource && stale.event === subscription.event && stale.filter === subscription.filter);
  if (!wanted) return `another event (${stale.resource}/${stale.event}${stale.filter === undefined ? '' : `, ${stale.filter}`})`;
  return stale.targetUrl === targetUrl ? 'a copy' : 'another address';
}
