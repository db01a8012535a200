// The bot registers its own Webex webhook for card clicks at start-up: one webhook, named as the bot's,
// pointing at this deployment and signed with this deployment's secret. Whatever else carries that name
// (an older address, a copy left by a lost answer) is deleted.

import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { ApiCall } from '../http/transport.ts';
import type { WebexClient, Webhook } from './client.ts';

/** Marks a webhook as this bot's: the only ones it updates or deletes. */
export const WEBHOOK_NAME = 'bttn escalation';
/** Where Webex delivers card clicks, under the bot's public URL. */
export const WEBEX_EVENTS_PATH = '/webex/events';
const RESOURCE = 'attachmentActions';
const EVENT = 'created';

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
 * Makes sure exactly one webhook of ours delivers card clicks to this deployment with this secret.
 *
 * Webex never shows a webhook's secret, so a webhook that looks right may carry an older one: the kept
 * webhook always gets the current secret by PUT. An update rather than delete-and-create keeps its id and
 * leaves no moment without a webhook, in which a click would be lost. The kept one is made right before
 * the others are deleted, for the same reason.
 */
export async function ensureWebhook(options: EnsureWebhookOptions, call: ApiCall): Promise<WebhookRegistration> {
  const { webex, secret, log } = options;
  const targetUrl = webhookTarget(options.publicUrl);
  const spec = { name: WEBHOOK_NAME, targetUrl, secret };
  const ours = (await webex.listWebhooks(call)).filter((hook) => hook.name === WEBHOOK_NAME);
  const clicks = ours.filter((hook) => hook.resource === RESOURCE && hook.event === EVENT);
  const kept = clicks.find((hook) => hook.targetUrl === targetUrl) ?? clicks[0];

  let registration: WebhookRegistration;
  if (kept === undefined) {
    const created = await webex.createWebhook({ ...spec, resource: RESOURCE, event: EVENT }, call);
    registration = { id: created.id, action: 'created' };
  } else {
    const revive = kept.status === 'inactive';
    await webex.updateWebhook(kept.id, revive ? { ...spec, status: 'active' } : spec, call);
    registration = { id: kept.id, action: kept.targetUrl === targetUrl && !revive ? 'reused' : 'updated' };
  }
  for (const stale of ours.filter((hook) => hook.id !== registration.id)) {
    await webex.deleteWebhook(stale.id, call);
    log('webex webhook deleted', { id: stale.id, target: stale.targetUrl, why: why(stale, targetUrl) });
  }
  log('webex webhook', { id: registration.id, action: registration.action, target: targetUrl });
  return registration;
}

function why(stale: Webhook, targetUrl: string): string {
  if (stale.resource !== RESOURCE || stale.event !== EVENT) return `another event (${stale.resource}/${stale.event})`;
  return stale.targetUrl === targetUrl ? 'a copy' : 'another address';
}
