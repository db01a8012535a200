// A stand-in for the Webex REST API (https://webexapis.com/v1) on loopback: the rooms, memberships and
// messages endpoints the bot uses, with the checks Webex makes (developer.webex.com, "REST API Basics",
// "Create a Message", "Create a Membership").
import { randomUUID } from 'node:crypto';
import { reject, startFakeServer } from './fake-server.ts';
import type { Answer, Call, FakeServer } from './fake-server.ts';

export interface WebexRoom {
  readonly id: string;
  readonly title: string;
  readonly type: 'group';
  readonly isLocked: boolean;
  lastActivity: string;
  readonly created: string;
  readonly creatorId: string;
}

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
  readonly markdown: string | undefined;
  readonly text: string | undefined;
  readonly files: readonly WebexFile[];
  readonly created: string;
}

export interface FakeWebex extends FakeServer {
  /** Rooms that exist now, in creation order. */
  readonly rooms: WebexRoom[];
  readonly memberships: WebexMembership[];
  /** Every message posted, in order (kept when its room is deleted, for assertions). */
  readonly messages: WebexMessage[];
  /** Create a room as if someone had made it before the bot ran. */
  addRoom(title: string): WebexRoom;
}

export interface FakeWebexOptions {
  /** The only bearer token accepted. */
  readonly token: string;
  readonly latencyMs?: number;
  /** Most rooms per page of GET /rooms, whatever `max` asks (Webex caps `max` per endpoint too). Default 2. */
  readonly pageSize?: number;
}

/** Webex's limit for `text` and `markdown`, in bytes. */
export const MAX_MESSAGE_BYTES = 7439;

const BOT_PERSON_ID = webexId('PEOPLE');
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function startFakeWebex(options: FakeWebexOptions): Promise<FakeWebex> {
  const pageSize = options.pageSize ?? 2;
  const rooms: WebexRoom[] = [];
  const memberships: WebexMembership[] = [];
  const messages: WebexMessage[] = [];

  function addRoom(title: string): WebexRoom {
    const now = new Date().toISOString();
    const room: WebexRoom = {
      id: webexId('ROOM'), title, type: 'group', isLocked: false, lastActivity: now, created: now, creatorId: BOT_PERSON_ID,
    };
    rooms.push(room);
    return room;
  }

  function findRoom(id: string): WebexRoom {
    return rooms.find((room) => room.id === id) ?? reject(404, `Could not find a room with the id ${id}.`);
  }

  function handle(call: Call): Answer {
    if (call.headers.authorization !== `Bearer ${options.token}`) {
      reject(401, 'The request requires a valid access token set in the Authorization request header.');
    }
    const route = `${call.method} ${call.path.replace(/^\/v1\/rooms\/[^/]+$/, '/v1/rooms/{roomId}')}`;
    switch (route) {
      case 'GET /v1/rooms': return listRooms(call);
      case 'POST /v1/rooms': return createRoom(call);
      case 'GET /v1/rooms/{roomId}': return { status: 200, body: findRoom(roomIdOf(call)) };
      case 'DELETE /v1/rooms/{roomId}': return deleteRoom(roomIdOf(call));
      case 'POST /v1/memberships': return createMembership(call);
      case 'POST /v1/messages': return createMessage(call);
      default: return reject(404, `The requested resource could not be found: ${call.method} ${call.path}.`);
    }
  }

  function listRooms(call: Call): Answer {
    const { max = '100', type, sortBy, cursor } = call.query;
    if (!/^[1-9]\d*$/.test(max)) reject(400, `max must be a positive integer, got "${max}".`);
    if (type !== undefined && type !== 'direct' && type !== 'group') reject(400, `type must be "direct" or "group", got "${type}".`);
    if (sortBy !== undefined && !['id', 'lastactivity', 'created'].includes(sortBy)) {
      reject(400, `sortBy must be "id", "lastactivity" or "created", got "${sortBy}".`);
    }
    const offset = cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isInteger(offset) || offset < 0) reject(400, `cursor "${cursor}" is not one this server gave out.`);

    const matching = rooms.filter((room) => type === undefined || room.type === type);
    if (sortBy === 'created' || sortBy === 'lastactivity') {
      const key = sortBy === 'created' ? 'created' : 'lastActivity';
      matching.reverse().sort((a, b) => b[key].localeCompare(a[key])); // newest first, as Webex sorts
    }
    const size = Math.min(Number(max), pageSize);
    const items = matching.slice(offset, offset + size);
    const headers: Record<string, string> = {};
    if (offset + size < matching.length) {
      const next = new URLSearchParams({ ...call.query, max, cursor: Buffer.from(String(offset + size)).toString('base64url') });
      headers.Link = `<${call.origin}/v1/rooms?${next.toString()}>; rel="next"`;
    }
    return { status: 200, headers, body: { items } };
  }

  function createRoom(call: Call): Answer {
    const body = jsonObject(call);
    const title = optionalString(body, 'title');
    if (title === undefined || title.trim() === '') reject(400, 'title is required and must not be empty.');
    return { status: 200, body: addRoom(title) };
  }

  function deleteRoom(id: string): Answer {
    const room = findRoom(id);
    rooms.splice(rooms.indexOf(room), 1);
    for (let i = memberships.length - 1; i >= 0; i -= 1) {
      if (memberships[i]?.roomId === id) memberships.splice(i, 1);
    }
    return { status: 204 };
  }

  function createMembership(call: Call): Answer {
    const body = jsonObject(call);
    const roomId = optionalString(body, 'roomId') ?? reject(400, 'roomId is required.');
    const personEmail = optionalString(body, 'personEmail') ??
      reject(400, 'personEmail is required (this fake does not resolve personId).');
    if (!EMAIL.test(personEmail)) reject(400, `personEmail "${personEmail}" is not an e-mail address.`);
    const isModerator = body.isModerator ?? false;
    if (typeof isModerator !== 'boolean') reject(400, `isModerator must be a boolean, got ${JSON.stringify(isModerator)}.`);
    findRoom(roomId);
    if (memberships.some((m) => m.roomId === roomId && m.personEmail.toLowerCase() === personEmail.toLowerCase())) {
      reject(409, `${personEmail} is already a member of room ${roomId}.`);
    }
    const membership: WebexMembership = { id: webexId('MEMBERSHIP'), roomId, personEmail, isModerator, created: new Date().toISOString() };
    memberships.push(membership);
    return {
      status: 200,
      body: { ...membership, personId: webexId('PEOPLE'), personDisplayName: personEmail, isMonitor: false, roomType: 'group' },
    };
  }

  function createMessage(call: Call): Answer {
    const { fields, files } = messageParts(call);
    const roomId = fields.roomId ?? reject(400, 'roomId is required (this fake does not support toPersonId or toPersonEmail).');
    const room = findRoom(roomId);
    const { text, markdown } = fields;
    if (text === undefined && markdown === undefined && files.length === 0) {
      reject(400, 'A message needs text, markdown or a file.');
    }
    for (const [name, value] of Object.entries({ text, markdown })) {
      if (value !== undefined && Buffer.byteLength(value) > MAX_MESSAGE_BYTES) {
        reject(400, `${name} is ${Buffer.byteLength(value)} bytes; the maximum message length is ${MAX_MESSAGE_BYTES} bytes.`);
      }
    }
    const message: WebexMessage = { id: webexId('MESSAGE'), roomId, markdown, text, files, created: new Date().toISOString() };
    messages.push(message);
    room.lastActivity = message.created;
    const fileUrls = files.map((_, i) => `${call.origin}/v1/contents/${message.id}/${i}`);
    return {
      status: 200,
      body: {
        id: message.id, roomId, roomType: 'group', text: text ?? markdown, markdown,
        ...(fileUrls.length > 0 ? { files: fileUrls } : {}),
        personId: BOT_PERSON_ID, personEmail: 'bot@webex.bot', created: message.created,
      },
    };
  }

  const fake = await startFakeServer({
    basePath: '/v1',
    latencyMs: options.latencyMs,
    handle,
    errorBody: (_status, message) => ({ message, errors: [{ description: message }], trackingId: `FAKE_${randomUUID()}` }),
    resetState() {
      rooms.length = 0;
      memberships.length = 0;
      messages.length = 0;
    },
  });
  return Object.assign(fake, { rooms, memberships, messages, addRoom });
}

/** The text fields and the one uploaded file of POST /messages, from either JSON or multipart. */
function messageParts(call: Call): { fields: Record<string, string | undefined>; files: WebexFile[] } {
  const { body } = call;
  if (body.kind === 'unparsable') reject(400, `Invalid request body: ${body.problem}.`);
  if (body.kind === 'json') {
    const object = jsonObject(call);
    if (object.files !== undefined) reject(400, 'files by URL are not supported by this fake; upload the file as multipart/form-data.');
    return {
      fields: { roomId: optionalString(object, 'roomId'), text: optionalString(object, 'text'), markdown: optionalString(object, 'markdown') },
      files: [],
    };
  }
  if (body.kind !== 'multipart') return unsupportedMediaType(call, 'application/json or multipart/form-data');
  if (body.fields.files !== undefined) reject(400, 'files must be a file part (with a filename), not a text field.');
  const files = body.files.filter((file) => file.field === 'files');
  if (files.length > 1) reject(400, `Only one file is allowed per message; got ${files.length} files parts.`);
  for (const file of files) {
    if (file.name === '') reject(400, 'The files part has no file name (Content-Disposition filename).');
    if (file.type === '') reject(400, `The files part "${file.name}" has no Content-Type.`);
  }
  const { roomId, text, markdown } = body.fields;
  return { fields: { roomId, text, markdown }, files: files.map(({ name, type, bytes }) => ({ name, type, bytes })) };
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

function roomIdOf(call: Call): string {
  return decodeURIComponent(call.path.slice('/v1/rooms/'.length));
}

/** Webex ids are base64 of a ciscospark:// URI naming the kind of thing. */
function webexId(kind: string): string {
  return Buffer.from(`ciscospark://us/${kind}/${randomUUID()}`).toString('base64url');
}
