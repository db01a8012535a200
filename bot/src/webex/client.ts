// The Webex REST calls the escalation needs: rooms, memberships, messages with a file.

import { openAsBlob } from 'node:fs';
import { FormData } from 'undici';
import type { RoomMessage } from '../core/room-message.ts';
import type { StepFile } from '../settings/types.ts';
import { ApiError, type CallTrace, type HttpRequest, type Transport } from '../http/transport.ts';

export const DEFAULT_WEBEX_API_BASE = 'https://webexapis.com/v1';

export interface Room {
  readonly id: string;
  readonly title: string;
}

export class WebexClient {
  private readonly base: string;
  private readonly transport: Transport;
  private readonly authorization: string;

  constructor(options: { base: string; token: string | undefined; transport: Transport }) {
    this.base = options.base.replace(/\/+$/, '');
    this.transport = options.transport;
    this.authorization = `Bearer ${options.token ?? 'dry-run'}`;
  }

  /** The group room with exactly this title, following every page of the list. */
  async findRoom(title: string, trace: CallTrace): Promise<Room | undefined> {
    let url: string | undefined = `${this.base}/rooms?type=group&max=100`;
    while (url !== undefined) {
      const response = await this.transport.send(this.request('GET', url), trace);
      const page = JSON.parse(response.body) as { items?: Room[] };
      const room = page.items?.find((item) => item.title === title);
      if (room !== undefined) return { id: room.id, title: room.title };
      url = nextPage(response.headers.link);
    }
    return undefined;
  }

  async createRoom(title: string, trace: CallTrace): Promise<Room> {
    const response = await this.transport.send(this.request('POST', `${this.base}/rooms`, { title }), trace);
    const room = JSON.parse(response.body) as Room;
    return { id: room.id, title };
  }

  /** Adds a person; someone already in the room is fine (Webex answers 409). */
  async addMember(roomId: string, personEmail: string, isModerator: boolean, trace: CallTrace): Promise<'added' | 'already a member'> {
    try {
      await this.transport.send(this.request('POST', `${this.base}/memberships`, { roomId, personEmail, isModerator }), trace);
      return 'added';
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return 'already a member';
      throw error;
    }
  }

  /** One message: the text and, when given, the file (Webex takes one file per message, as multipart). */
  async postMessage(roomId: string, message: RoomMessage | undefined, file: StepFile | undefined, trace: CallTrace): Promise<void> {
    const url = `${this.base}/messages`;
    const text = message === undefined ? {} : { [message.format]: message.body };
    if (file === undefined) {
      await this.transport.send(this.request('POST', url, { roomId, ...text }), trace);
      return;
    }
    const form = new FormData();
    form.set('roomId', roomId);
    if (message !== undefined) form.set(message.format, message.body);
    form.set('files', await openAsBlob(file.path, { type: file.contentType }), file.name);
    await this.transport.send({ method: 'POST', url, headers: { authorization: this.authorization }, body: form }, trace);
  }

  async deleteRoom(roomId: string, trace: CallTrace): Promise<void> {
    await this.transport.send(this.request('DELETE', `${this.base}/rooms/${encodeURIComponent(roomId)}`), trace);
  }

  private request(method: HttpRequest['method'], url: string, json?: object): HttpRequest {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (json === undefined) return { method, url, headers };
    return { method, url, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json) };
  }
}

/** The `rel="next"` target of a Link header, as Webex paginates lists. */
function nextPage(link: string | string[] | undefined): string | undefined {
  const header = Array.isArray(link) ? link.join(', ') : link;
  return header?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
}
