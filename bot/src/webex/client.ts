// The Webex REST calls the escalation needs: rooms, memberships, messages with a file or a card, the
// bot's webhooks, card clicks and people. Every answer is checked before use; lists follow `Link` only
// within the API, within limits.

import { statSync } from 'node:fs';
import type { IncidentCard } from '../core/card.ts';
import type { RoomMessage } from '../core/room-message.ts';
import type { StepFile } from '../settings/types.ts';
import { arrayField, jsonObject, stringField, type JsonObject } from '../http/answer.ts';
import { AnswerError, ApiError, type ApiCall, type HttpRequest, type Transport } from '../http/transport.ts';

export const DEFAULT_WEBEX_API_BASE = 'https://webexapis.com/v1';
/** Enough for 50,000 rooms at 1,000 a page; a list longer than that, or a loop, is not followed further. */
const MAX_PAGES = 50;
const MAX_LIST_MS = 15_000;

export interface Room {
  readonly id: string;
  readonly title: string;
  /** A moderated space: only its moderators add people or delete it. */
  readonly isLocked: boolean;
}

export interface Webhook {
  readonly id: string;
  readonly name: string;
  readonly targetUrl: string;
  readonly resource: string;
  readonly event: string;
  /** Webex deactivates a webhook whose deliveries keep failing; a PUT with status 'active' revives it. */
  readonly status: 'active' | 'inactive';
  /** Which deliveries it makes, e.g. `mentionedPeople=me`; Webex cannot change it later. */
  readonly filter: string | undefined;
}

/** What the bot sets on a webhook; Webex keeps the secret and signs every delivery with it. */
export interface WebhookSpec {
  readonly name: string;
  readonly targetUrl: string;
  readonly secret: string;
}

/** A click on a card's Action.Submit button. */
export interface AttachmentAction {
  readonly id: string;
  readonly personId: string;
  readonly roomId: string;
  /** The card's message. */
  readonly messageId: string;
  /** The button's data merged with the card's input fields; parsed by whoever made the card. */
  readonly inputs: unknown;
}

/** A person's message, as the bot may read it (one that mentions the bot, in a group space). */
export interface PersonMessage {
  readonly id: string;
  readonly roomId: string;
  readonly personId: string;
  /** Plain text, the mention written as the bot's name. */
  readonly text: string;
}

export interface Person {
  readonly id: string;
  readonly displayName: string;
  readonly emails: readonly string[];
}

export class WebexClient {
  private readonly base: string;
  private readonly origin: string;
  private readonly transport: Transport;
  private readonly authorization: string;

  constructor(options: { base: string; token: string | undefined; transport: Transport }) {
    this.base = options.base.replace(/\/+$/, '');
    this.origin = new URL(this.base).origin;
    this.transport = options.transport;
    this.authorization = `Bearer ${options.token ?? 'dry-run'}`;
  }

  /** The group room with exactly this title, following the pages of the list. */
  async findRoom(title: string, call: ApiCall): Promise<Room | undefined> {
    for await (const item of this.list(`${this.base}/rooms?type=group&max=1000`, 'the list of rooms', call)) {
      if (item.title === title) return room(item, 'a room in the list of rooms');
    }
    return undefined;
  }

  /** Creates a group room; locked (moderated) when moderators are wanted, which makes the bot its first moderator. */
  async createRoom(title: string, locked: boolean, call: ApiCall): Promise<Room> {
    const response = await this.transport.send(this.request('POST', `${this.base}/rooms`, { title, ...(locked ? { isLocked: true } : {}) }), call);
    return room(jsonObject(response, 'the new room'), 'the new room');
  }

  /** Adds a person; someone already in the room is fine (Webex answers 409), so it is safe to repeat. */
  async addMember(roomId: string, personEmail: string, isModerator: boolean, call: ApiCall): Promise<'added' | 'already a member'> {
    try {
      const body = { roomId, personEmail, isModerator };
      const response = await this.transport.send({ ...this.request('POST', `${this.base}/memberships`, body), repeatable: true }, call);
      stringField(jsonObject(response, 'the new membership'), 'id', 'the new membership');
      return 'added';
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return 'already a member';
      throw error;
    }
  }

  /**
   * One message: the text and, when given, the file (Webex takes one file per message, as multipart), in
   * the thread of `parentId` when given. Resolves with its id.
   */
  async postMessage(roomId: string, message: RoomMessage | undefined, file: StepFile | undefined, call: ApiCall, parentId?: string): Promise<string> {
    const url = `${this.base}/messages`;
    const text = message === undefined ? {} : { [message.format]: message.body };
    let request: HttpRequest;
    if (file === undefined) {
      request = this.request('POST', url, { roomId, ...(parentId === undefined ? {} : { parentId }), ...text });
    } else {
      const fields: [string, string][] = [['roomId', roomId], ...(message === undefined ? [] : [[message.format, message.body] as [string, string]])];
      const form = { fields, file: { field: 'files', path: file.path, name: file.name, contentType: file.contentType, bytes: statSync(file.path).size } };
      request = { method: 'POST', url, headers: { authorization: this.authorization, accept: 'application/json' }, body: form };
    }
    const response = await this.transport.send(request, call);
    return stringField(jsonObject(response, 'the new message'), 'id', 'the new message');
  }

  /** A message with a card, and its markdown for clients without cards. Resolves with its id. */
  async postCard(roomId: string, card: IncidentCard, call: ApiCall): Promise<string> {
    const body = { roomId, markdown: card.markdown, attachments: card.attachments };
    const response = await this.transport.send(this.request('POST', `${this.base}/messages`, body), call);
    return stringField(jsonObject(response, 'the new card'), 'id', 'the new card');
  }

  /**
   * Always 'not editable', without a request: Webex's PUT /messages/{messageId} takes only roomId, text and
   * markdown, and answers 400 for a message with attachments ("Edits of messages containing files or
   * attachments are not currently supported"). The caller posts a new card instead. Kept as a method so the
   * caller does not change the day Webex allows it.
   */
  async updateCard(_messageId: string, _roomId: string, _card: IncidentCard, _call: ApiCall): Promise<'updated' | 'not editable'> {
    return 'not editable';
  }

  /** The webhooks this token registered (Webex does not return their secrets). */
  async listWebhooks(call: ApiCall): Promise<Webhook[]> {
    const found: Webhook[] = [];
    for await (const item of this.list(`${this.base}/webhooks?max=100`, 'the list of webhooks', call)) {
      found.push(webhook(item, 'a webhook in the list of webhooks'));
    }
    return found;
  }

  /**
   * Registers a webhook. Not repeatable: a copy made by a lost answer is found and deleted by the next
   * ensureWebhook, which lists before it creates.
   */
  async createWebhook(spec: WebhookSpec & { readonly resource: string; readonly event: string; readonly filter?: string }, call: ApiCall): Promise<Webhook> {
    const { name, targetUrl, resource, event, secret, filter } = spec;
    const body = { name, targetUrl, resource, event, ...(filter === undefined ? {} : { filter }), secret };
    const response = await this.transport.send(this.request('POST', `${this.base}/webhooks`, body), call);
    return webhook(jsonObject(response, 'the new webhook'), 'the new webhook');
  }

  /** Sets name, target and secret (the only fields Webex changes); status 'active' revives a deactivated one. Safe to repeat. */
  async updateWebhook(id: string, spec: WebhookSpec & { readonly status?: 'active' }, call: ApiCall): Promise<Webhook> {
    const { name, targetUrl, secret, status } = spec;
    const body = { name, targetUrl, secret, ...(status === undefined ? {} : { status }) };
    const request = { ...this.request('PUT', `${this.base}/webhooks/${encodeURIComponent(id)}`, body), repeatable: true };
    return webhook(jsonObject(await this.transport.send(request, call), 'the updated webhook'), 'the updated webhook');
  }

  async deleteWebhook(id: string, call: ApiCall): Promise<void> {
    await this.transport.send(this.request('DELETE', `${this.base}/webhooks/${encodeURIComponent(id)}`), call);
  }

  /** A card click, by the id a webhook delivery names (deliveries carry no inputs: they are read here). */
  async getAttachmentAction(id: string, call: ApiCall): Promise<AttachmentAction> {
    const what = 'the card click';
    const item = jsonObject(await this.transport.send(this.request('GET', `${this.base}/attachment/actions/${encodeURIComponent(id)}`), call), what);
    return {
      id: stringField(item, 'id', what), personId: stringField(item, 'personId', what), roomId: stringField(item, 'roomId', what),
      messageId: stringField(item, 'messageId', what), inputs: item.inputs,
    };
  }

  /** A message by the id a webhook delivery names (deliveries carry no text: it is read here). */
  async getMessage(id: string, call: ApiCall): Promise<PersonMessage> {
    const what = 'the message';
    const item = jsonObject(await this.transport.send(this.request('GET', `${this.base}/messages/${encodeURIComponent(id)}`), call), what);
    const text = item.text ?? '';
    if (typeof text !== 'string') throw new AnswerError(what, 'no valid `text`');
    return { id: stringField(item, 'id', what), roomId: stringField(item, 'roomId', what), personId: stringField(item, 'personId', what), text };
  }

  async getPerson(id: string, call: ApiCall): Promise<Person> {
    return person(jsonObject(await this.transport.send(this.request('GET', `${this.base}/people/${encodeURIComponent(id)}`), call), 'the person'), 'the person');
  }

  /** Deletes the room for everyone when the bot may (a moderator, or any member of a space that is not moderated); else Webex only removes the bot. */
  async deleteRoom(roomId: string, call: ApiCall): Promise<void> {
    await this.transport.send(this.request('DELETE', `${this.base}/rooms/${encodeURIComponent(roomId)}`), call);
  }

  /** The room with this id, or undefined when Webex does not know it (or no longer shows it to the bot). */
  async getRoom(roomId: string, call: ApiCall): Promise<Room | undefined> {
    try {
      const response = await this.transport.send(this.request('GET', `${this.base}/rooms/${encodeURIComponent(roomId)}`), call);
      return room(jsonObject(response, 'the room'), 'the room');
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The bot's own person id. */
  async me(call: ApiCall): Promise<string> {
    return (await this.self(call)).id;
  }

  /** The bot as a person: its id and the name people mention it by. */
  async self(call: ApiCall): Promise<Person> {
    const response = await this.transport.send(this.request('GET', `${this.base}/people/me`), call);
    return person(jsonObject(response, 'the bot\'s person'), 'the bot\'s person');
  }

  /** Whether this person moderates the room; undefined when they are not in it. */
  async isModerator(roomId: string, personId: string, call: ApiCall): Promise<boolean | undefined> {
    const query = new URLSearchParams({ roomId, personId });
    for await (const item of this.list(`${this.base}/memberships?${query.toString()}`, 'the room\'s memberships', call)) {
      if (item.personId === personId) return item.isModerator === true;
    }
    return undefined;
  }

  /** The items of a list, page after page, following `Link: rel="next"` only to the API's own origin. */
  private async *list(first: string, what: string, call: ApiCall): AsyncGenerator<JsonObject> {
    const started = Date.now();
    const seen = new Set<string>();
    for (let url: string | undefined = first; url !== undefined;) {
      if (seen.size >= MAX_PAGES || Date.now() - started > MAX_LIST_MS) {
        throw new AnswerError(what, `more than ${seen.size} pages in ${Math.round((Date.now() - started) / 1000)} s; stopped there`);
      }
      seen.add(url);
      const response = await this.transport.send(this.request('GET', url), call);
      yield* arrayField(jsonObject(response, what), 'items', what);
      url = nextPage(joined(response.headers.link));
      if (url === undefined) return;
      if (seen.has(url)) throw new AnswerError(what, 'its next page is a page already read');
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new AnswerError(what, 'its next page is not a URL');
      }
      // The bearer token goes with every request: never to another host.
      if (target.origin !== this.origin) throw new AnswerError(what, `its next page is on another host (${target.origin})`);
    }
  }

  private request(method: HttpRequest['method'], url: string, json?: object): HttpRequest {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (json === undefined) return { method, url, headers };
    return { method, url, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json) };
  }
}

function room(item: JsonObject, what: string): Room {
  return { id: stringField(item, 'id', what), title: stringField(item, 'title', what), isLocked: item.isLocked === true };
}

function person(item: JsonObject, what: string): Person {
  const emails = item.emails ?? [];
  if (!Array.isArray(emails) || !emails.every((email) => typeof email === 'string')) throw new AnswerError(what, 'no valid `emails` list');
  return { id: stringField(item, 'id', what), displayName: stringField(item, 'displayName', what), emails };
}

function webhook(item: JsonObject, what: string): Webhook {
  const status = item.status ?? 'active';
  if (status !== 'active' && status !== 'inactive') throw new AnswerError(what, 'no valid `status`');
  return {
    id: stringField(item, 'id', what), name: stringField(item, 'name', what), targetUrl: stringField(item, 'targetUrl', what),
    resource: stringField(item, 'resource', what), event: stringField(item, 'event', what), status,
    filter: typeof item.filter === 'string' && item.filter !== '' ? item.filter : undefined,
  };
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The `rel="next"` target of a Link header, as Webex paginates lists. */
function nextPage(link: string | undefined): string | undefined {
  return link?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
}
