// A stand-in for the Webex REST API (https://webexapis.com/v1) on loopback: the rooms, memberships, messages (cards
// included), webhooks, attachment actions and people endpoints a bot uses, checked against Webex's OpenAPI
// description (bot/test/contracts), with the rules Webex states there and in its developer guides ("REST API
// Basics", "Create a Message", "Create a Membership", "Webhooks", "Buttons and Cards").
import { createHmac, randomUUID } from 'node:crypto';
import { reject, startFakeServer } from './fake-server.ts';
import type { Answer, Call, FakeServer } from './fake-server.ts';
import { loadWebexContract } from './webex-contract.ts';
import type { WebexField, WebexOperation } from './webex-contract.ts';

export interface WebexRoom {
  readonly id: string;
  readonly title: string;
  readonly type: 'group';
  /** Moderated: only moderators add people, and a DELETE by a non-moderator only removes them. */
  readonly isLocked: boolean;
  lastActivity: string;
  readonly created: string;
  readonly creatorId: string;
  /** False once the bot left (a DELETE as a non-moderator) or when a test prepared a room without it. */
  botIsMember: boolean;
  readonly botIsModerator: boolean;
  readonly botMembershipId: string;
}

/** A person's membership; the bot's own lives on its room (botIsMember, botIsModerator). */
export interface WebexMembership {
  readonly id: string;
  readonly roomId: string;
  readonly personEmail: string;
  readonly isModerator: boolean;
  readonly created: string;
}

export interface WebexFile {
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
}

export interface WebexMessage {
  readonly id: string;
  readonly roomId: string;
  /** Changed by PUT /messages/{messageId}. */
  markdown: string | undefined;
  text: string | undefined;
  readonly files: readonly WebexFile[];
  /** Cards: `{ contentType, content }` as posted. */
  readonly attachments: readonly WebexCardAttachment[];
  /** How many times PUT changed it (Webex allows 10). */
  edits: number;
  readonly created: string;
  /** Who posted it: the bot, or a person through say(). */
  readonly personId: string;
  readonly personEmail: string;
  /** The message it answers in a thread. */
  readonly parentId: string | undefined;
  /** People @mentioned in it (the bot's id when a person mentions it). */
  readonly mentionedPeople: readonly string[];
}

export interface WebexCardAttachment {
  readonly contentType: string;
  readonly content: Record<string, unknown>;
}

export interface WebexWebhook {
  readonly id: string;
  name: string;
  targetUrl: string;
  readonly resource: string;
  readonly event: string;
  /** Kept to sign deliveries; never shown in answers (the bot must not rely on reading it back). */
  secret: string | undefined;
  status: 'active' | 'inactive';
  readonly created: string;
  /** "Filtering Webhooks": `roomId=...`, `mentionedPeople=me` and the like, joined with `&`. */
  readonly filter: string | undefined;
}

/** A click on a card button, as GET /attachment/actions/{id} shows it. */
export interface WebexAttachmentAction {
  readonly id: string;
  readonly personId: string;
  readonly roomId: string;
  readonly messageId: string;
  readonly inputs: Record<string, unknown>;
  readonly created: string;
}

export interface WebexPerson {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
}

export interface WebexBot {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
}

export interface AddRoomOptions {
  /** Default false. */
  readonly isLocked?: boolean;
  /** Default: true in a locked room (as when the bot created it); only possible in a locked room. */
  readonly botIsModerator?: boolean;
  /** Default true; false makes a room the bot cannot see. */
  readonly botIsMember?: boolean;
}

export interface FakeWebex extends FakeServer {
  /** Rooms that exist now, in creation order, including those the bot is not (or no longer) in. */
  readonly rooms: WebexRoom[];
  /** People's memberships (not the bot's own). */
  readonly memberships: WebexMembership[];
  /** Every message posted, in order (kept when its room is deleted, for assertions). */
  readonly messages: WebexMessage[];
  /** Who the token belongs to, as GET /people/me answers. */
  readonly bot: WebexBot;
  /** Create a room as if someone had made it before the bot ran. */
  addRoom(title: string, options?: AddRoomOptions): WebexRoom;
  /** Registered webhooks, in creation order. */
  readonly webhooks: WebexWebhook[];
  readonly attachmentActions: WebexAttachmentAction[];
  /** People who clicked (GET /people/{personId} finds them, and the bot). */
  readonly people: WebexPerson[];
  /** Register a webhook as if an earlier run (or another deployment) had made it. */
  addWebhook(webhook: Pick<WebexWebhook, 'name' | 'targetUrl' | 'resource' | 'event'> & Partial<Pick<WebexWebhook, 'secret' | 'status' | 'filter'>>): WebexWebhook;
  /**
   * A person clicks a button of the card in message `messageId`, submitting `inputs`: records the attachment
   * action and POSTs a delivery to every active webhook for attachmentActions/created, as Webex does, signed with
   * its secret in X-Spark-Signature ('forged': with another secret; 'missing': no header). Resolves with the
   * status each target answered, in webhook order.
   */
  clickCard(messageId: string, inputs: Record<string, unknown>, person?: { displayName: string; email: string }, options?: ClickOptions): Promise<number[]>;
  /**
   * A person posts `text` in room `roomId`. With `mention` (the default) it starts with an @mention of the bot,
   * as the Webex app writes it, and Webex POSTs a delivery to every active webhook for messages/created whose
   * filter lets it through, signed like clickCard's; without one, a bot hears nothing of a group space's
   * messages, and cannot read them. Resolves with the message and the status each target answered.
   */
  say(roomId: string, text: string, person?: { displayName: string; email: string }, options?: ClickOptions & { readonly mention?: boolean }): Promise<{ message: WebexMessage; statuses: number[] }>;
}

export interface ClickOptions {
  readonly signature?: 'valid' | 'forged' | 'missing';
  /**
   * The bytes of the delivery, from its envelope (default: compact `JSON.stringify`). Webex's own bytes need not be
   * what `JSON.stringify` makes (spaces, key order, escapes): the signature covers the bytes sent.
   */
  readonly encode?: (envelope: Record<string, unknown>) => string;
  /** What the signature covers: the bytes sent (as Webex does), or the compact `JSON.stringify` of the envelope. */
  readonly signOver?: 'sent' | 'compact';
}

export interface FakeWebexOptions {
  /** The only bearer token accepted. */
  readonly token: string;
  readonly latencyMs?: number;
  /** Most items per page of GET /rooms and GET /memberships, whatever `max` asks (Webex caps `max` too). Default 2. */
  readonly pageSize?: number;
}

/** Webex's limit for `text` and `markdown`, in bytes. */
export const MAX_MESSAGE_BYTES = 7439;

const CONTRACT = loadWebexContract();
const BOT: WebexBot = { id: webexId('PEOPLE'), email: 'bot@webex.bot', displayName: 'Fake Bot' };
const ORG_ID = webexId('ORGANIZATION');
const APP_ID = webexId('APPLICATION');
const BOT_CREATED = new Date().toISOString();
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Webex's answer, for a missing room and for one the caller is not in alike. */
const NO_ROOM = 'Could not find a room with provided ID.';
/** Query parameters Webex puts in its own Link URLs, not listed in the contract. */
const PAGING = ['cursor'];

export async function startFakeWebex(options: FakeWebexOptions): Promise<FakeWebex> {
  const pageSize = options.pageSize ?? 2;
  const rooms: WebexRoom[] = [];
  const memberships: WebexMembership[] = [];
  const messages: WebexMessage[] = [];
  const webhooks: WebexWebhook[] = [];
  const attachmentActions: WebexAttachmentAction[] = [];
  const people: WebexPerson[] = [];

  function addRoom(title: string, { isLocked = false, botIsModerator = isLocked, botIsMember = true }: AddRoomOptions = {}): WebexRoom {
    if (botIsModerator && !isLocked) throw new Error('addRoom: only a locked room has moderators; pass isLocked: true');
    const now = new Date().toISOString();
    const room: WebexRoom = {
      id: webexId('ROOM'), title, type: 'group', isLocked, lastActivity: now, created: now,
      creatorId: botIsModerator || !isLocked ? BOT.id : webexId('PEOPLE'),
      botIsMember, botIsModerator, botMembershipId: webexId('MEMBERSHIP'),
    };
    rooms.push(room);
    return room;
  }

  /** A room the bot is in; Webex answers 404 alike for one that does not exist and one the bot is not in. */
  function botRoom(id: string): WebexRoom {
    const room = rooms.find((candidate) => candidate.id === id);
    return room !== undefined && room.botIsMember ? room : reject(404, NO_ROOM);
  }

  function handle(call: Call): Answer {
    if (call.headers.authorization !== `Bearer ${options.token}`) {
      reject(401, 'The request requires a valid access token set in the Authorization request header.');
    }
    const op = CONTRACT.find(call.method, call.path) ?? reject(404, `The requested resource could not be found: ${call.method} ${call.path}.`);
    checkQuery(op, call.query);
    const id = decodeURIComponent(op.pathPattern.exec(call.path)?.[1] ?? '');
    switch (`${op.method} ${op.pathTemplate}`) {
      case 'GET /people/me': return { status: 200, body: person() };
      case 'GET /rooms': return listRooms(call);
      case 'POST /rooms': return createRoom(call);
      case 'GET /rooms/{roomId}': return { status: 200, body: roomResource(botRoom(id)) };
      case 'DELETE /rooms/{roomId}': return deleteRoom(id);
      case 'GET /memberships': return listMemberships(call);
      case 'POST /memberships': return createMembership(call);
      case 'POST /messages': return createMessage(call);
      case 'PUT /messages/{messageId}': return updateMessage(call, id);
      case 'GET /messages/{messageId}': return getMessage(id);
      case 'GET /webhooks': return listWebhooks(call);
      case 'POST /webhooks': return createWebhook(call);
      case 'GET /webhooks/{webhookId}': return { status: 200, body: webhookResource(findWebhook(id)) };
      case 'PUT /webhooks/{webhookId}': return updateWebhook(call, id);
      case 'DELETE /webhooks/{webhookId}': return deleteWebhook(id);
      case 'GET /attachment/actions/{id}': return { status: 200, body: attachmentActionResource(findAttachmentAction(id)) };
      case 'GET /people/{personId}': return getPerson(call, id);
      default: return reject(404, `${op.method} /v1${op.pathTemplate} is in Webex's API but not modelled by this fake.`);
    }
  }

  function listRooms(call: Call): Answer {
    unmodelled(call.query, ['teamId', 'orgPublicSpaces', 'from', 'to']);
    const { type, sortBy } = call.query;
    const matching = rooms.filter((room) => room.botIsMember && (type === undefined || room.type === type));
    if (sortBy === 'created' || sortBy === 'lastactivity') {
      const key = sortBy === 'created' ? 'created' : 'lastActivity';
      matching.reverse().sort((a, b) => b[key].localeCompare(a[key])); // newest first, as Webex sorts
    }
    return page(call, matching.map(roomResource), 1000);
  }

  function createRoom(call: Call): Answer {
    const body = jsonBody(call, CONTRACT.find('POST', '/v1/rooms'));
    const title = body.title as string;
    if (title.trim() === '') reject(400, 'title is required and must not be empty.');
    unmodelled(body, ['teamId', 'classificationId', 'isPublic', 'description', 'isAnnouncementOnly']);
    const isLocked = body.isLocked === true;
    // "Set the space as locked/moderated and the creator becomes a moderator" (POST /rooms, isLocked).
    return { status: 200, body: roomResource(addRoom(title, { isLocked, botIsModerator: isLocked })) };
  }

  function deleteRoom(id: string): Answer {
    const room = botRoom(id);
    // "As a security measure to prevent accidental deletion, when a non moderator deletes the room they are
    // removed from the room instead" (DELETE /rooms/{roomId}); in a room that is not moderated every member may delete it.
    if (room.isLocked && !room.botIsModerator) {
      room.botIsMember = false;
      return { status: 204 };
    }
    rooms.splice(rooms.indexOf(room), 1);
    for (let i = memberships.length - 1; i >= 0; i -= 1) {
      if (memberships[i]?.roomId === id) memberships.splice(i, 1);
    }
    return { status: 204 };
  }

  function listMemberships(call: Call): Answer {
    const { roomId, personId, personEmail } = call.query;
    if (roomId === undefined && (personId !== undefined || personEmail !== undefined)) {
      reject(400, 'The roomId parameter is required when using personId or personEmail.');
    }
    const inRooms = roomId === undefined ? rooms.filter((room) => room.botIsMember) : [botRoom(roomId)];
    const items = inRooms.flatMap((room) => [
      botMembershipResource(room),
      ...memberships.filter((m) => m.roomId === room.id).map(membershipResource),
    ]).filter((m) =>
      (personId === undefined || m.personId === personId) &&
      (personEmail === undefined || String(m.personEmail).toLowerCase() === personEmail.toLowerCase()));
    return page(call, items, Infinity);
  }

  function createMembership(call: Call): Answer {
    const body = jsonBody(call, CONTRACT.find('POST', '/v1/memberships'));
    const roomId = body.roomId as string;
    const personEmail = optionalString(body, 'personEmail') ??
      reject(400, 'personEmail is required (this fake does not resolve personId).');
    if (!EMAIL.test(personEmail)) reject(400, `personEmail "${personEmail}" is not an e-mail address.`);
    const isModerator = body.isModerator === true;
    const room = botRoom(roomId);
    if (room.isLocked && !room.botIsModerator) {
      reject(403, `Only a moderator may add people to the moderated (locked) space ${roomId}; the bot is not one.`);
    }
    // Neither the contract nor Webex's guides say what isModerator does in a space that is not locked: recorded as given.
    const same = (email: string) => email.toLowerCase() === personEmail.toLowerCase();
    if (same(BOT.email) || memberships.some((m) => m.roomId === roomId && same(m.personEmail))) {
      reject(409, `${personEmail} is already a member of room ${roomId}.`);
    }
    const membership: WebexMembership = { id: webexId('MEMBERSHIP'), roomId, personEmail, isModerator, created: new Date().toISOString() };
    memberships.push(membership);
    return { status: 200, body: membershipResource(membership) };
  }

  function createMessage(call: Call): Answer {
    const { fields, files, attachments } = messageParts(call);
    const roomId = fields.roomId ?? reject(400, 'roomId is required (this fake does not support toPersonId or toPersonEmail).');
    const room = botRoom(roomId);
    const { text, markdown } = fields;
    if (text === undefined && markdown === undefined && files.length === 0 && attachments.length === 0) {
      reject(400, 'A message needs text, markdown, a file or a card.');
    }
    for (const [name, value] of Object.entries({ text, markdown })) {
      if (value !== undefined && Buffer.byteLength(value) > MAX_MESSAGE_BYTES) {
        reject(400, `${name} is ${Buffer.byteLength(value)} bytes; the maximum message length is ${MAX_MESSAGE_BYTES} bytes.`);
      }
    }
    const parentId = fields.parentId;
    if (parentId !== undefined) {
      // "Threads": a reply names a message of the same room, and a reply cannot be answered in its turn.
      const parent = messages.find((candidate) => candidate.id === parentId && candidate.roomId === roomId);
      if (parent === undefined) reject(400, `parentId ${parentId} is not a message of room ${roomId}.`);
      if (parent.parentId !== undefined) reject(400, 'parentId must be the first message of a thread, not a reply.');
    }
    const message: WebexMessage = {
      id: webexId('MESSAGE'), roomId, markdown, text, files, attachments, edits: 0, created: new Date().toISOString(),
      personId: BOT.id, personEmail: BOT.email, parentId, mentionedPeople: [],
    };
    messages.push(message);
    room.lastActivity = message.created;
    const fileUrls = files.map((_, i) => `${call.origin}/v1/contents/${message.id}/${i}`);
    return {
      status: 200,
      body: resource('Message', {
        id: message.id, roomId, roomType: 'group', text: text ?? markdown, markdown,
        files: fileUrls.length > 0 ? fileUrls : undefined,
        attachments: attachments.length > 0 ? attachments : undefined,
        personId: BOT.id, personEmail: BOT.email, created: message.created,
      }),
    };
  }

  function updateMessage(call: Call, id: string): Answer {
    const body = jsonBody(call, CONTRACT.find('PUT', `/v1/messages/${id}`));
    const message = messages.find((candidate) => candidate.id === id) ?? reject(404, 'Could not find a message with provided ID.');
    botRoom(message.roomId);
    if (body.roomId !== message.roomId) reject(400, 'roomId does not match the room of the message.');
    const text = optionalString(body, 'text');
    const markdown = optionalString(body, 'markdown');
    if (text === undefined && markdown === undefined) reject(400, 'text or markdown is required.');
    // "Edits of messages containing files or attachments are not currently supported" (PUT /messages/{messageId}).
    if (message.files.length > 0 || message.attachments.length > 0) {
      reject(400, 'Editing a message with files or attachments is currently unsupported.');
    }
    if (message.edits >= 10) reject(400, 'The edit limit of 10 edits per message has been reached.');
    for (const [name, value] of Object.entries({ text, markdown })) {
      if (value !== undefined && Buffer.byteLength(value) > MAX_MESSAGE_BYTES) {
        reject(400, `${name} is ${Buffer.byteLength(value)} bytes; the maximum message length is ${MAX_MESSAGE_BYTES} bytes.`);
      }
    }
    message.text = text;
    message.markdown = markdown;
    message.edits += 1;
    return {
      status: 200,
      body: resource('ListMessage', {
        id, roomId: message.roomId, roomType: 'group', text: text ?? markdown, markdown,
        personId: BOT.id, personEmail: BOT.email, created: message.created, updated: new Date().toISOString(),
      }),
    };
  }

  /** A bot reads its own messages, and a person's only where they mention it ("Bots" guide). */
  function getMessage(id: string): Answer {
    const message = messages.find((candidate) => candidate.id === id);
    const readable = message !== undefined && (message.personId === BOT.id || message.mentionedPeople.includes(BOT.id));
    if (!readable) reject(404, 'Could not find a message with provided ID.');
    botRoom(message.roomId);
    return { status: 200, body: messageResource(message) };
  }

  function listWebhooks(call: Call): Answer {
    unmodelled(call.query, ['ownedBy']);
    return page(call, webhooks.map(webhookResource), 100);
  }

  function createWebhook(call: Call): Answer {
    const body = jsonBody(call, CONTRACT.find('POST', '/v1/webhooks'));
    unmodelled(body, ['ownedBy']);
    const filter = optionalString(body, 'filter');
    if (filter !== undefined) webhookFilter(filter);
    const name = body.name as string;
    if (name.trim() === '') reject(400, 'name is required and must not be empty.');
    const webhook = addWebhook({
      name, targetUrl: targetUrl(body.targetUrl as string), resource: body.resource as string, event: body.event as string,
      secret: optionalString(body, 'secret'), filter,
    });
    return { status: 200, body: webhookResource(webhook) };
  }

  function updateWebhook(call: Call, id: string): Answer {
    const webhook = findWebhook(id);
    const body = jsonBody(call, CONTRACT.find('PUT', `/v1/webhooks/${id}`));
    unmodelled(body, ['ownedBy']);
    const name = body.name as string;
    if (name.trim() === '') reject(400, 'name is required and must not be empty.');
    webhook.name = name;
    webhook.targetUrl = targetUrl(body.targetUrl as string);
    const secret = optionalString(body, 'secret');
    if (secret !== undefined) webhook.secret = secret;
    // "You cannot use this call to deactivate a webhook, only to activate a webhook that was auto deactivated."
    if (body.status === 'active') webhook.status = 'active';
    return { status: 200, body: webhookResource(webhook) };
  }

  function deleteWebhook(id: string): Answer {
    webhooks.splice(webhooks.indexOf(findWebhook(id)), 1);
    return { status: 204 };
  }

  function findWebhook(id: string): WebexWebhook {
    return webhooks.find((candidate) => candidate.id === id) ?? reject(404, 'Could not find a webhook with provided ID.');
  }

  function addWebhook(spec: Pick<WebexWebhook, 'name' | 'targetUrl' | 'resource' | 'event'> & Partial<Pick<WebexWebhook, 'secret' | 'status' | 'filter'>>): WebexWebhook {
    const webhook: WebexWebhook = {
      id: webexId('WEBHOOK'), name: spec.name, targetUrl: spec.targetUrl, resource: spec.resource, event: spec.event,
      secret: spec.secret, status: spec.status ?? 'active', created: new Date().toISOString(), filter: spec.filter,
    };
    webhooks.push(webhook);
    return webhook;
  }

  function findAttachmentAction(id: string): WebexAttachmentAction {
    return attachmentActions.find((candidate) => candidate.id === id) ?? reject(404, 'Could not find an attachment action with provided ID.');
  }

  function getPerson(call: Call, id: string): Answer {
    unmodelled(call.query, ['callingData']);
    if (id === BOT.id) return { status: 200, body: person() };
    const found = people.find((candidate) => candidate.id === id) ?? reject(404, 'Person not found.');
    return {
      status: 200,
      body: resource('Person', {
        id: found.id, emails: [found.email], displayName: found.displayName, orgId: ORG_ID, created: BOT_CREATED, type: 'person',
      }),
    };
  }

  async function clickCard(
    messageId: string, inputs: Record<string, unknown>,
    clicker: { displayName: string; email: string } = { displayName: 'Alex Example', email: 'alex@example.com' },
    options: ClickOptions = {},
  ): Promise<number[]> {
    const message = messages.find((candidate) => candidate.id === messageId);
    if (message === undefined || message.attachments.length === 0) throw new Error(`clickCard: no card in message ${messageId}`);
    // The bot's own address clicks as the bot, as Webex would show a click made with the bot's token.
    const personId = personIdFor(clicker.email);
    if (personId !== BOT.id && !people.some((candidate) => candidate.id === personId)) people.push({ id: personId, displayName: clicker.displayName, email: clicker.email });
    const action: WebexAttachmentAction = {
      id: webexId('ATTACHMENT_ACTION'), personId, roomId: message.roomId, messageId, inputs, created: new Date().toISOString(),
    };
    attachmentActions.push(action);
    const data = { id: action.id, type: 'submit', messageId, personId, roomId: message.roomId, created: action.created };
    return deliver('attachmentActions', data, personId, { roomId: message.roomId, personId }, options);
  }

  async function say(
    roomId: string, text: string,
    speaker: { displayName: string; email: string } = { displayName: 'Alex Example', email: 'alex@example.com' },
    { mention = true, ...options }: ClickOptions & { readonly mention?: boolean } = {},
  ): Promise<{ message: WebexMessage; statuses: number[] }> {
    const room = rooms.find((candidate) => candidate.id === roomId) ?? reject(404, NO_ROOM);
    const personId = personIdFor(speaker.email);
    if (personId !== BOT.id && !people.some((candidate) => candidate.id === personId)) people.push({ id: personId, displayName: speaker.displayName, email: speaker.email });
    // The Webex app writes a mention as the mentioned name in `text`.
    const message: WebexMessage = {
      id: webexId('MESSAGE'), roomId, markdown: undefined, text: mention ? `${BOT.displayName} ${text}` : text, files: [], attachments: [],
      edits: 0, created: new Date().toISOString(), personId, personEmail: speaker.email, parentId: undefined, mentionedPeople: mention ? [BOT.id] : [],
    };
    messages.push(message);
    room.lastActivity = message.created;
    // "Bots": in a group space a bot hears only the messages that mention it.
    if (!mention || !room.botIsMember) return { message, statuses: [] };
    const data = { id: message.id, roomId, roomType: 'group', personId, personEmail: speaker.email, mentionedPeople: [BOT.id], created: message.created };
    return { message, statuses: await deliver('messages', data, personId, { roomId, personId, personEmail: speaker.email, mentionedPeople: 'me' }, options) };
  }

  /**
   * POSTs a delivery for `resource`/created to every active webhook whose filter matches, signed with its secret
   * in X-Spark-Signature ('forged': with another secret; 'missing': no header); the status each answered, in order.
   */
  async function deliver(
    kind: 'attachmentActions' | 'messages', data: Record<string, unknown>, actorId: string, facts: Record<string, string>,
    { signature = 'valid', encode = (envelope) => JSON.stringify(envelope), signOver = 'sent' }: ClickOptions,
  ): Promise<number[]> {
    const targets = webhooks.filter((hook) => hook.status === 'active' && hook.resource === kind && hook.event === 'created'
      && Object.entries(webhookFilter(hook.filter ?? '')).every(([name, value]) => facts[name] === value));
    if (targets.length === 0 && kind === 'attachmentActions') throw new Error('clickCard: no active webhook for attachmentActions/created is registered');
    const statuses: number[] = [];
    for (const hook of targets) {
      // The envelope of the "Webhooks" guide: ids only, like every encrypted resource (read the rest by id).
      const envelope = {
        id: hook.id, name: hook.name, targetUrl: hook.targetUrl, resource: hook.resource, event: hook.event,
        ...(hook.filter === undefined ? {} : { filter: hook.filter }),
        orgId: ORG_ID, createdBy: BOT.id, appId: APP_ID, ownedBy: 'creator', status: hook.status, actorId, data,
      };
      const body = encode(envelope);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const key = signature === 'forged' ? 'not the secret' : hook.secret;
      const signed = signOver === 'sent' ? body : JSON.stringify(envelope);
      if (signature !== 'missing' && key !== undefined) headers['x-spark-signature'] = createHmac('sha1', key).update(signed).digest('hex');
      const response = await fetch(hook.targetUrl, { method: 'POST', headers, body });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    return statuses;
  }

  /** One page of a list, with a Link to the next one as Webex gives (RFC 5988, rel="next"). */
  function page(call: Call, all: readonly Record<string, unknown>[], maxLimit: number): Answer {
    const { max = '100', cursor } = call.query;
    if (!/^[1-9]\d*$/.test(max) || Number(max) > maxLimit) {
      reject(400, `max must be an integer from 1${maxLimit === Infinity ? '' : ` to ${maxLimit}`}, got "${max}".`);
    }
    const offset = cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isInteger(offset) || offset < 0) reject(400, `cursor "${cursor}" is not one this server gave out.`);
    const size = Math.min(Number(max), pageSize);
    const headers: Record<string, string> = {};
    if (offset + size < all.length) {
      const next = new URLSearchParams({ ...call.query, max, cursor: Buffer.from(String(offset + size)).toString('base64url') });
      headers.Link = `<${call.origin}${call.path}?${next.toString()}>; rel="next"`;
    }
    return { status: 200, headers, body: { items: all.slice(offset, offset + size) } };
  }

  const fake = await startFakeServer({
    basePath: '/v1',
    latencyMs: options.latencyMs,
    handle,
    errorBody: (_status, message) => ({ message, errors: [{ description: message }], trackingId: trackingId() }),
    // Webex names every answer in a TrackingID header; an error repeats it as the body's trackingId.
    decorate: (answer) => {
      const fromBody = (answer.body as { trackingId?: unknown } | undefined)?.trackingId;
      return { ...answer, headers: { TrackingID: typeof fromBody === 'string' ? fromBody : trackingId(), ...answer.headers } };
    },
    resetState() {
      rooms.length = 0;
      memberships.length = 0;
      messages.length = 0;
      webhooks.length = 0;
      attachmentActions.length = 0;
      people.length = 0;
    },
  });
  return Object.assign(fake, { rooms, memberships, messages, bot: BOT, addRoom, webhooks, attachmentActions, people, addWebhook, clickCard, say });
}

function person(): Record<string, unknown> {
  return resource('Person', {
    id: BOT.id, emails: [BOT.email], displayName: BOT.displayName, nickName: BOT.displayName,
    orgId: ORG_ID, created: BOT_CREATED, type: 'bot',
  });
}

function webhookResource(webhook: WebexWebhook): Record<string, unknown> {
  const { id, name, targetUrl, resource: kind, event, status, created, filter } = webhook;
  return resource('Webhook', { id, name, targetUrl, resource: kind, event, filter, status, created, ownedBy: 'creator' });
}

function messageResource(message: WebexMessage): Record<string, unknown> {
  const { id, roomId, text, markdown, personId, personEmail, mentionedPeople, created } = message;
  return resource('Message', {
    id, roomId, roomType: 'group', text: text ?? markdown, markdown, personId, personEmail,
    mentionedPeople: mentionedPeople.length > 0 ? mentionedPeople : undefined, created,
  });
}

/** The filters of the "Filtering Webhooks" guide that this fake applies; another is refused rather than ignored. */
const FILTERS = ['roomId', 'personId', 'personEmail', 'mentionedPeople'];

function webhookFilter(filter: string): Record<string, string> {
  const pairs = Object.fromEntries(new URLSearchParams(filter));
  const unknown = Object.keys(pairs).filter((name) => !FILTERS.includes(name));
  if (unknown.length > 0) reject(400, `filter ${unknown.join(', ')}: in Webex's API but not modelled by this fake.`);
  if (pairs.mentionedPeople !== undefined && pairs.mentionedPeople !== 'me') reject(400, 'mentionedPeople in a filter must be "me" for a bot.');
  return pairs;
}

function attachmentActionResource(action: WebexAttachmentAction): Record<string, unknown> {
  const { id, personId, roomId, messageId, inputs, created } = action;
  return resource('AttachmentActivity', { id, type: 'submit', personId, roomId, messageId, inputs, created });
}

/** Webex delivers to an absolute http(s) URL only. */
function targetUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return reject(400, `targetUrl "${value}" is not an absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') reject(400, `targetUrl "${value}" is not an http(s) URL.`);
  return value;
}

/** A card attachment as the "Buttons and Cards" guide describes it: an Adaptive Card of a version Webex renders. */
function cardAttachments(value: unknown): WebexCardAttachment[] {
  if (!Array.isArray(value)) reject(400, 'attachments must be an array.');
  if (value.length !== 1) reject(400, `Only one card attachment is supported per message; got ${value.length}.`);
  return value.map((item: unknown) => {
    const { contentType, content } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (contentType !== 'application/vnd.microsoft.card.adaptive') {
      reject(400, `attachments[0].contentType must be "application/vnd.microsoft.card.adaptive", got ${JSON.stringify(contentType)}.`);
    }
    if (typeof content !== 'object' || content === null || Array.isArray(content)) reject(400, 'attachments[0].content must be an object.');
    const card = content as Record<string, unknown>;
    if (card.type !== 'AdaptiveCard') reject(400, 'attachments[0].content.type must be "AdaptiveCard".');
    if (typeof card.version !== 'string' || !['1.0', '1.1', '1.2', '1.3'].includes(card.version)) {
      reject(400, `attachments[0].content.version must be 1.0 to 1.3, got ${JSON.stringify(card.version)}.`);
    }
    return { contentType, content: card };
  });
}

function roomResource(room: WebexRoom): Record<string, unknown> {
  const { id, title, type, isLocked, lastActivity, creatorId, created } = room;
  return resource('Room', { id, title, type, isLocked, lastActivity, creatorId, created, ownerId: ORG_ID });
}

function membershipResource(membership: WebexMembership): Record<string, unknown> {
  const { id, roomId, personEmail, isModerator, created } = membership;
  return resource('Membership', {
    id, roomId, personId: personIdFor(personEmail), personEmail, personDisplayName: personEmail, personOrgId: ORG_ID,
    isModerator, isMonitor: false, isRoomHidden: false, roomType: 'group', created,
  });
}

function botMembershipResource(room: WebexRoom): Record<string, unknown> {
  return resource('Membership', {
    id: room.botMembershipId, roomId: room.id, personId: BOT.id, personEmail: BOT.email, personDisplayName: BOT.displayName,
    personOrgId: ORG_ID, isModerator: room.botIsModerator, isMonitor: false, isRoomHidden: false, roomType: 'group', created: room.created,
  });
}

/** The values without the undefined ones; a name the contract's schema does not declare is a bug in this fake. */
function resource(schema: string, values: Record<string, unknown>): Record<string, unknown> {
  const declared = CONTRACT.properties(schema);
  const invented = Object.keys(values).filter((name) => !declared.includes(name));
  if (invented.length > 0) throw new Error(`the fake invented ${invented.join(', ')} for a Webex ${schema}`);
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Rejects query parameters the contract does not list for the operation, or of the wrong type. */
function checkQuery(op: WebexOperation, query: Record<string, string>): void {
  const where = `${op.method} /v1${op.pathTemplate}`;
  const unknown = Object.keys(query).filter((name) => !op.query.has(name) && !PAGING.includes(name));
  if (unknown.length > 0) {
    reject(400, `Unknown query parameter(s) for ${where}: ${unknown.join(', ')}; the contract lists ${[...op.query.keys()].join(', ') || 'none'} (stricter than Webex, which ignores them).`);
  }
  for (const name of op.requiredQuery) if (query[name] === undefined) reject(400, `${name} is required.`);
  for (const [name, value] of Object.entries(query)) {
    const field = op.query.get(name);
    if (field !== undefined) checkValue(name, field, value, true);
  }
}

/** Refuses what the contract allows but this fake would otherwise ignore silently (teams, threads, cards...). */
function unmodelled(given: Record<string, unknown>, names: readonly string[]): void {
  const used = names.filter((name) => given[name] !== undefined);
  if (used.length > 0) reject(400, `${used.join(', ')}: in Webex's API but not modelled by this fake.`);
}

/** The JSON object body of `call`, checked against the operation's request schema. */
function jsonBody(call: Call, op: WebexOperation | undefined): Record<string, unknown> {
  const body = jsonObject(call);
  checkFields(op, body, false);
  return body;
}

function checkFields(op: WebexOperation | undefined, fields: Record<string, unknown>, fromText: boolean): void {
  if (op?.body === undefined) throw new Error('checkFields: the operation takes no body in the contract');
  const { properties, required } = op.body;
  for (const name of required) if (fields[name] === undefined) reject(400, `${name} is required.`);
  const unknown = Object.keys(fields).filter((name) => !properties.has(name));
  if (unknown.length > 0) {
    reject(400, `Unknown property(ies) for ${op.method} /v1${op.pathTemplate}: ${unknown.join(', ')}; the contract lists ${[...properties.keys()].join(', ')} (stricter than Webex, which ignores them).`);
  }
  for (const [name, value] of Object.entries(fields)) {
    const field = properties.get(name);
    if (field !== undefined) checkValue(name, field, value, fromText);
  }
}

/** `fromText`: the value came from a query string or a multipart field, so a number or boolean arrives as text. */
function checkValue(name: string, field: WebexField, value: unknown, fromText: boolean): void {
  const text = String(value);
  const ok =
    field.type === 'string' ? typeof value === 'string' :
    field.type === 'boolean' ? (fromText ? /^(true|false)$/.test(text) : typeof value === 'boolean') :
    field.type === 'number' ? (fromText ? /^-?\d+(\.\d+)?$/.test(text) : typeof value === 'number') :
    field.type === 'array' ? fromText || Array.isArray(value) :
    typeof value === 'object' && value !== null;
  if (!ok) reject(400, `${name} must be ${field.type === 'array' ? 'an array' : `a ${field.type}`}, got ${JSON.stringify(value)}.`);
  if (field.enum !== undefined && !field.enum.includes(text)) {
    reject(400, `${name} must be ${field.enum.map((item) => `"${item}"`).join(' or ')}, got "${text}".`);
  }
}

/** The text fields and the one uploaded file of POST /messages, from either JSON or multipart. */
function messageParts(call: Call): { fields: Record<string, string | undefined>; files: WebexFile[]; attachments: WebexCardAttachment[] } {
  const { body } = call;
  const op = CONTRACT.find('POST', '/v1/messages');
  if (body.kind === 'unparsable') reject(400, `Invalid request body: ${body.problem}.`);
  if (body.kind === 'json') {
    const object = jsonObject(call);
    checkFields(op, object, false);
    if (object.files !== undefined) reject(400, 'files by URL are not supported by this fake; upload the file as multipart/form-data.');
    return {
      fields: {
        roomId: optionalString(object, 'roomId'), text: optionalString(object, 'text'), markdown: optionalString(object, 'markdown'),
        parentId: optionalString(object, 'parentId'),
      },
      files: [],
      attachments: object.attachments === undefined ? [] : cardAttachments(object.attachments),
    };
  }
  if (body.kind !== 'multipart') return unsupportedMediaType(call, 'application/json or multipart/form-data');
  if (body.fields.files !== undefined) reject(400, 'files must be a file part (with a filename), not a text field.');
  checkFields(op, body.fields, true);
  // A card goes as JSON; as a multipart field it would arrive as text.
  unmodelled(body.fields, ['attachments']);
  const files = body.files.filter((file) => file.field === 'files');
  const strays = body.files.filter((file) => file.field !== 'files').map((file) => file.field);
  if (strays.length > 0) reject(400, `File parts must be named "files", got ${strays.join(', ')}.`);
  if (files.length > 1) reject(400, `Only one file is allowed per message; got ${files.length} files parts.`);
  for (const file of files) {
    if (file.name === '') reject(400, 'The files part has no file name (Content-Disposition filename).');
    if (file.type === '') reject(400, `The files part "${file.name}" has no Content-Type.`);
  }
  const { roomId, text, markdown, parentId } = body.fields;
  return { fields: { roomId, text, markdown, parentId }, files: files.map(({ name, type, bytes }) => ({ name, type, bytes })), attachments: [] };
}

function jsonObject(call: Call): Record<string, unknown> {
  const { body } = call;
  if (body.kind === 'unparsable') reject(400, `Invalid request body: ${body.problem}.`);
  if (body.kind !== 'json') return unsupportedMediaType(call, 'application/json');
  if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
    reject(400, 'The request body must be a JSON object.');
  }
  return body.value as Record<string, unknown>;
}

function unsupportedMediaType(call: Call, expected: string): never {
  const given = call.headers['content-type'];
  return reject(415, `${call.method} ${call.path} takes ${expected}; got ${given === undefined ? 'no Content-Type' : `"${given}"`}.`);
}

function optionalString(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  if (value === undefined || typeof value === 'string') return value;
  return reject(400, `${key} must be a string, got ${JSON.stringify(value)}.`);
}

function trackingId(): string {
  return `FAKE_${randomUUID()}`;
}

/** Webex ids are base64 of a ciscospark:// URI naming the kind of thing. */
function webexId(kind: string, uuid: string = randomUUID()): string {
  return Buffer.from(`ciscospark://us/${kind}/${uuid}`).toString('base64url');
}

/** The same person id for the same address, so GET /memberships?personId= finds what POST /memberships answered; the bot's is its own. */
function personIdFor(email: string): string {
  return email.toLowerCase() === BOT.email ? BOT.id : webexId('PEOPLE', email.toLowerCase());
}
