// Reads one settings file (settings.yaml, or a button's file under buttons/) into typed settings: every key
// against its declaration in shape.ts (names, required keys, types, limits, patterns, rules across keys),
// then what a declaration cannot say (files exist, E.164 numbers, voices, message and TwiML lengths). Each
// problem is kept with its line, column and key path; load.ts reports them all at once.

import { statSync } from 'node:fs';
import path from 'node:path';
import {
  Composer, LineCounter, Parser, YAMLParseError, visit, isMap, isPair, isScalar, isSeq, type CST, type Document, type Node, type Scalar, type YAMLError, type YAMLMap,
} from 'yaml';
import type { GestureAction } from '../core/button-event.ts';
import { ESCALATION_ID_LENGTH } from '../core/card.ts';
import { roomMessageFor, WEBEX_FILE_MAX_BYTES, WEBEX_MESSAGE_MAX_BYTES } from '../core/room-message.ts';
import { callTwiml, characterXmlRefuses, gatherActionUrl, TWIML_MAX_CHARACTERS } from '../core/twiml.ts';
import type { Environment } from './load.ts';
import { tooDeep } from './nesting.ts';
import { toE164 } from './phone.ts';
import {
  BUTTON, BUTTON_WEBEX, CALL, ESCALATE_AFTER, SHARED, SHARED_WEBEX, SHORTEST_WAIT_MS, SERVER, SETTINGS, SMS, SMS_MAX_CHARACTERS,
  STEP, TWILIO, WEBEX, type Mapping, type NumberRange, type Pattern,
} from './shape.ts';
import { closest } from './suggest.ts';
import { checkVoice } from './voice.ts';
import { LEGACY_BUTTON } from './types.ts';
import type {
  Call, Settings, SettingsIssue, Sms, Step, StepFile, StepMessage, TwilioSettings, WebexSettings, ServerSettings,
} from './types.ts';

/** Far above the 6 levels the deepest form needs (the file, bt.tn, a step, a 2016 sms list, its item, a list of numbers). */
const MAX_NESTING = 20;

/** What to do, for the parser's complaints that people meet most. */
function yamlHint(error: YAMLError): string {
  if (error.code === 'TAB_AS_INDENT') return ' (indent with spaces)';
  if (error.code === 'DUPLICATE_KEY') return ' (keep one of them)';
  // `text: Note: call me` reads as a key inside a value.
  if (error.code === 'BLOCK_IN_FLOW' || error.message.startsWith('Nested mappings')) return ' (put a value that contains `: ` in quotes)';
  return '';
}

const WEBEX_TOKEN_ENV = ['CISCO_SPARK_BTTN_BOT', 'WEBEX_BOT_TOKEN'] as const;
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.pdf': 'application/pdf',
  '.txt': 'text/plain', '.csv': 'text/csv', '.doc': 'application/msword', '.mp4': 'video/mp4',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

interface Entry { readonly key: Node; readonly value: Node | null; readonly path: string }

/** What settings.yaml gives every button. */
export interface Shared {
  readonly twilio: TwilioSettings;
  readonly server: ServerSettings;
  readonly token: string | undefined;
  /** A sender is written under `twilio:` (a wrong one is reported there): SMS and calls need none of their own. */
  readonly senderWritten: boolean;
  readonly publicUrl: string | undefined;
  /** The defaults of what a button may set for itself. */
  readonly own: ButtonOwn;
}

/** What a button may set for itself; undefined: not written. */
interface ButtonOwn extends StepTimes {
  readonly resetMinutes: number | undefined;
  readonly longPress: GestureAction | undefined;
  readonly doublePress: GestureAction | undefined;
}

/** A mapping read: its node, and its keys by the validator's name. */
interface Top { readonly root: YAMLMap; readonly keys: Map<string, Entry> }

export class Reader {
  readonly issues: SettingsIssue[] = [];
  private readonly file: string;
  private readonly folder: string;
  private readonly source: string;
  private readonly lines = new LineCounter();
  /**
   * Canonical paths of the keys written (`bt.tn[1].sms.to`), misspelt ones included as the key they
   * were taken for, so a key reported as misspelt or invalid is not reported missing as well.
   */
  private readonly mentioned = new Set<string>();
  /** SMS and calls with no number to send from: one missing setting, so one message for all. */
  private readonly withoutSender: Entry[] = [];
  /** With a public URL, a call also asks "Press 1" and carries the URL of its answer: the check measures that. */
  private publicUrl: string | undefined;
  /** Where the room is written, for a room two buttons claim. */
  private room: Entry | undefined;
  /** A button file: its sender, if any, is written in settings.yaml. */
  private isButton = false;

  constructor(file: string, source: string) {
    this.file = file;
    this.folder = path.dirname(path.resolve(file));
    this.source = source;
    // Counted here rather than by the parser, so that a file refused before parsing has lines too.
    this.lines.addNewLine(0);
    for (let end = source.indexOf('\n'); end !== -1; end = source.indexOf('\n', end + 1)) this.lines.addNewLine(end + 1);
  }

  /** settings.yaml with its own `bt.tn:` sequence: the one button, LEGACY_BUTTON. */
  readSettings(env: Environment): Settings | undefined {
    const top = this.top(SETTINGS, 'expected the settings: keys such as `bt.tn:`, `webex:`, `twilio:` and `server:`');
    if (top === undefined) return undefined;
    const webex = top.keys.get('webex');
    const webexKeys = this.section(webex, WEBEX);
    return this.button(LEGACY_BUTTON, top, webex, webexKeys, this.shared(top.keys, webexKeys, env));
  }

  /** settings.yaml beside a buttons/ folder: what the buttons share. */
  readShared(env: Environment): Shared | undefined {
    const top = this.top(SHARED, 'expected the settings the buttons share: keys such as `webex:`, `twilio:` and `server:`');
    return top === undefined ? undefined : this.shared(top.keys, this.section(top.keys.get('webex'), SHARED_WEBEX), env);
  }

  /** One buttons/<name>.yaml, with what settings.yaml gives every button. */
  readButton(name: string, shared: Shared): Settings | undefined {
    this.isButton = true;
    const top = this.top(BUTTON, 'expected a button: keys such as `bt.tn:` and `webex:`');
    if (top === undefined) return undefined;
    const own = this.own(top.keys);
    const inherited = shared.own;
    const webex = top.keys.get('webex');
    return this.button(name, top, webex, this.section(webex, BUTTON_WEBEX), {
      ...shared,
      own: {
        resetMinutes: own.resetMinutes ?? inherited.resetMinutes,
        escalateAfter: own.escalateAfter ?? inherited.escalateAfter,
        ackTimeout: own.ackTimeout ?? inherited.ackTimeout,
        longPress: own.longPress ?? inherited.longPress,
        doublePress: own.doublePress ?? inherited.doublePress,
      },
    });
  }

  /** Refuses the room of the button just read, at its line. */
  reportRoom(message: string): void {
    const room = this.room;
    if (room !== undefined) this.report(room.value, room.path, message);
  }

  /** The file parsed, as a mapping of `shape`'s keys; undefined (reported) when it is not YAML or not a mapping. */
  private top(shape: Mapping, notMapping: string): Top | undefined {
    // Tokenized once: the depth is measured on the tokens, and the document is built from them.
    const tokens = [...new Parser().parse(this.source)];
    const deep = tooDeep(tokens, MAX_NESTING);
    if (deep !== undefined) {
      this.reportAt(deep, '', `lists and keys are nested more than ${MAX_NESTING} levels deep from here; settings need far fewer: check the brackets and the indentation`);
      return undefined;
    }
    const doc = documentOf(tokens, this.source);
    // Past its first error the parser's recovery is guesswork (after a tab at line 71, every later key
    // of that section is "misaligned"), so one mistake would read as many: only the first is reported.
    const [error] = doc.errors;
    if (error !== undefined) {
      this.reportAt(error.pos[0], '', `not valid YAML: ${error.message.split('\n')[0]}${yamlHint(error)}`);
      return undefined;
    }
    if (this.aliases(doc)) return undefined;
    const root = doc.contents;
    if (!isMap(root)) {
      this.report(root, '', notMapping);
      return undefined;
    }
    const keys = this.entries(root, '', shape);
    this.required(shape, (name) => keys.has(name), root, '');
    return { root, keys };
  }

  /** The keys of a section, none when it is not written. */
  private section(entry: Entry | undefined, shape: Mapping): Map<string, Entry> {
    if (entry === undefined) return new Map<string, Entry>();
    const keys = this.entries(entry.value, entry.path, shape);
    // Not a mapping at all: said already, without a list of what it lacks.
    if (isMap(entry.value)) this.required(shape, (name) => keys.has(name), entry.value, entry.path);
    return keys;
  }

  /** Reports each key `shape` requires that `has` does not find, unless it was written misspelt (and said so). */
  private required(shape: Mapping, has: (name: string) => boolean, node: Node, where: string): void {
    for (const [name, what] of Object.entries(shape.required ?? {})) {
      if (has(name) || this.mentioned.has(join(where, name))) continue;
      const [first, ...others] = shape.keys[name]!.names;
      // A section of the file is named as it is written, with its colon, and by its other names too.
      const missing = where === '' ? `\`${first}:\`${others.length === 0 ? '' : ` (or ${others.map((other) => `\`${other}:\``).join(', ')})`},`
        : `\`${first}\`:`;
      this.report(node, where, `missing ${missing} ${what}`);
    }
  }

  /** Twilio, the server and the Webex token, from settings.yaml's keys; `top`'s own keys are the defaults of every button. */
  private shared(top: ReadonlyMap<string, Entry>, webexKeys: ReadonlyMap<string, Entry>, env: Environment): Shared {
    const twilioEntry = top.get('twilio');
    const twilio = this.twilio(this.section(twilioEntry, TWILIO), env);
    const server = this.server(this.section(top.get('server'), SERVER));
    return {
      twilio,
      server,
      token: this.text(webexKeys.get('token')) ?? WEBEX_TOKEN_ENV.map((name) => env[name]).find((value) => value),
      senderWritten: twilioEntry !== undefined && this.mentioned.has(join(twilioEntry.path, 'from')),
      publicUrl: env.BTTN_PUBLIC_URL || server.url,
      own: this.own(top),
    };
  }

  private own(top: ReadonlyMap<string, Entry>): ButtonOwn {
    return {
      resetMinutes: this.number(top.get('reset'), SETTINGS.keys.reset.value.range),
      escalateAfter: this.minutesOrNever(top.get('escalate_after')),
      ackTimeout: this.minutesOrNever(top.get('ack_timeout')),
      longPress: this.choice(top.get('long_press'), SETTINGS.keys.long_press.value),
      doublePress: this.choice(top.get('double_press'), SETTINGS.keys.double_press.value),
    };
  }

  /** One button: its sequence and room from `top`, the rest from `shared`. */
  private button(name: string, top: Top, webexEntry: Entry | undefined, webexKeys: ReadonlyMap<string, Entry>, shared: Shared): Settings | undefined {
    this.publicUrl = shared.publicUrl;
    const webex = this.webex(webexEntry, webexKeys, shared.token);
    const steps = this.steps(top.keys.get('bt.tn'), shared.senderWritten, shared.own);
    this.reportWithoutSender();
    if (webex === undefined || steps === undefined) return undefined;
    const { resetMinutes, longPress, doublePress } = shared.own;
    return {
      name,
      sourcePath: path.resolve(this.file),
      steps,
      webex,
      twilio: shared.twilio,
      server: shared.server,
      resetAfterMs: resetMinutes === undefined ? undefined : resetMinutes * 60_000,
      gestures: {
        'long press': longPress ?? SETTINGS.keys.long_press.value.default,
        'double press': doublePress ?? SETTINGS.keys.double_press.value.default,
      },
    };
  }

  /**
   * Anchors and aliases (`&name`, `*name`) are refused: each value is checked where it is written,
   * and an alias of an alias of... ("billion laughs") would multiply what is read.
   */
  private aliases(doc: Document): boolean {
    const before = this.issues.length;
    const lines = new Set<number>();
    visit(doc, {
      Alias: (_key, alias, ancestors) => {
        // One message per line: `[*a, *a, *a]` is one thing to write out.
        const offset = alias.range?.[0] ?? 0;
        const { line } = this.lines.linePos(offset);
        if (lines.has(line)) return;
        lines.add(line);
        this.reportAt(offset, pathOf([...ancestors, alias]),
          `\`*${alias.source}\` repeats a value by its anchor; settings do not use anchors and aliases (\`&name\`, \`*name\`): write the value out here`);
      },
    });
    return this.issues.length > before;
  }

  private webex(entry: Entry | undefined, keys: ReadonlyMap<string, Entry>, token: string | undefined): WebexSettings | undefined {
    if (entry === undefined) return undefined;
    this.room = keys.get('room');
    const room = this.text(this.room);
    const people = (key: 'moderators' | 'participants') =>
      this.list(keys.get(key)).flatMap((item) => this.matching(item, WEBEX.keys[key].value.of.pattern) ?? []);
    const moderators = people('moderators');
    const participants = people('participants');
    return room === undefined ? undefined : { room, moderators, participants, token };
  }

  private twilio(keys: ReadonlyMap<string, Entry>, env: Environment): TwilioSettings {
    return {
      from: this.phone(keys.get('from')),
      accountSid: this.text(keys.get('accountSid')) ?? (env.TWILIO_ACCOUNT_SID || undefined),
      authToken: this.text(keys.get('authToken')) ?? (env.TWILIO_AUTH_TOKEN || undefined),
    };
  }

  private server(keys: ReadonlyMap<string, Entry>): ServerSettings {
    const { port, url: urlKey, debounce, press_timeout: pressTimeout, deliver_within: deliverWithin } = SERVER.keys;
    const url = this.matching(keys.get('url'), urlKey.value.pattern);
    return {
      port: this.number(keys.get('port'), port.value.range) ?? port.value.range.default,
      url,
      debounceMs: (this.number(keys.get('debounce'), debounce.value.range) ?? debounce.value.range.default) * 1000,
      pressTimeoutMs: (this.number(keys.get('press_timeout'), pressTimeout.value.range) ?? pressTimeout.value.range.default) * 1000,
      deliverWithinMs: (this.number(keys.get('deliver_within'), deliverWithin.value.range) ?? deliverWithin.value.range.default) * 60_000,
    };
  }

  private steps(entry: Entry | undefined, senderWritten: boolean, defaults: StepTimes): Step[] | undefined {
    if (entry === undefined) return undefined;
    if (!isSeq(entry.value)) {
      this.report(entry.value ?? entry.key, entry.path, 'expected a list of steps, one `- ` item per press');
      return undefined;
    }
    const count = entry.value.items.length;
    if (count === 0) {
      this.report(entry.value, entry.path, 'the list is empty; add at least one step, e.g. `- text: "Hello"`');
    }
    const { max } = SETTINGS.keys['bt.tn'].value;
    if (count > max) {
      this.report(entry.value, entry.path, `the list has ${count} steps; a sequence has at most ${max}`);
      return undefined;
    }
    return entry.value.items.map((node, index) => this.step(node as Node | null, `${entry.path}[${index}]`, index + 1, senderWritten, defaults));
  }

  private step(node: Node | null, where: string, number: number, senderWritten: boolean, defaults: StepTimes): Step {
    const keys = this.entries(node, where, STEP);
    this.across(STEP, node, where, keys);
    const markdown = this.text(keys.get('markdown'));
    const text = this.text(keys.get('text'));
    const message: StepMessage | undefined = markdown !== undefined ? { format: 'markdown', body: markdown }
      : text !== undefined ? { format: 'text', body: text } : undefined;
    const file = this.stepFile(keys);
    const sms = this.sms(keys.get('sms'), senderWritten);
    const call = this.call(keys.get('call'), senderWritten);
    const posted = roomMessageFor({ message, file });
    const postedEntry = keys.get('markdown') ?? keys.get('text') ?? keys.get('label');
    // Sent beside a file, the text travels as a multipart field, where every line break becomes CRLF.
    const bytes = posted === undefined ? 0 : Buffer.byteLength(file === undefined ? posted.body : posted.body.replace(/\r?\n/g, '\r\n'));
    if (postedEntry !== undefined && bytes > WEBEX_MESSAGE_MAX_BYTES) {
      this.report(postedEntry.value, postedEntry.path,
        `the message is ${bytes} bytes long${file === undefined ? '' : ' (with the file label)'}; Webex accepts at most ${WEBEX_MESSAGE_MAX_BYTES}: shorten it or split it over two steps`);
    }
    const after = this.minutesOrNever(keys.get('escalate_after')) ?? defaults.escalateAfter;
    const ackTimeout = this.minutesOrNever(keys.get('ack_timeout')) ?? defaults.ackTimeout;
    return {
      number, message, file, sms, call,
      escalateAfterMs: after === 'never' ? undefined : after, ackTimeoutMs: ackTimeout === 'never' ? undefined : ackTimeout,
    };
  }

  /**
   * Minutes as a number (decimals allowed, one second at least), or `never`: in milliseconds, `never`, or
   * undefined when not written.
   */
  private minutesOrNever(entry: Entry | undefined): number | 'never' | undefined {
    if (entry === undefined) return undefined;
    const value = isScalar(entry.value) ? entry.value.value : undefined;
    if (value === 'never') return 'never';
    if (typeof value === 'string') {
      this.report(entry.value ?? entry.key, entry.path, `"${value}" is not a time; expected minutes (such as 5, or 0.5 for 30 seconds) or \`never\``);
      return undefined;
    }
    const minutes = this.number(entry, ESCALATE_AFTER);
    if (minutes === undefined) return undefined;
    // Below a second, one press would run every step, SMS and calls included, at once.
    if (minutes * 60_000 < SHORTEST_WAIT_MS) {
      this.report(entry.value ?? entry.key, entry.path, `${minutes} minutes is ${minutes * 60_000 < 1 ? 'less than a millisecond' : `${Math.round(minutes * 60_000)} ms`}; the shortest is one second (0.0167 minutes)`);
      return undefined;
    }
    return Math.round(minutes * 60_000);
  }

  private stepFile(keys: ReadonlyMap<string, Entry>): StepFile | undefined {
    const entry = keys.get('file');
    const relativePath = this.text(entry);
    const typeEntry = keys.get('type');
    const labelEntry = keys.get('label');
    if (entry === undefined || relativePath === undefined) return undefined;
    const absolute = path.resolve(this.folder, relativePath);
    let bytes: number | undefined;
    try {
      const stat = statSync(absolute);
      if (stat.isFile()) bytes = stat.size;
    } catch {
      // reported below, as is a folder
    }
    if (bytes === undefined) {
      this.report(entry.value, entry.path, `no file at ${relativePath} (looked in ${path.dirname(absolute)}); the path is relative to the folder of the settings file`);
    } else if (bytes > WEBEX_FILE_MAX_BYTES) {
      this.report(entry.value, entry.path, `${relativePath} is ${(bytes / 1048576).toFixed(1)} MB; Webex accepts files up to 100 MB`);
    }
    const contentType = this.matching(typeEntry, STEP.keys.type.value.pattern) ?? CONTENT_TYPES[path.extname(relativePath).toLowerCase()];
    // A file that is not there is one mistake: its type cannot be asked for on top.
    if (contentType === undefined && typeEntry === undefined && bytes !== undefined) {
      this.report(entry.value, entry.path, `cannot tell the type of ${relativePath}; add \`type:\` beside it, e.g. type: "image/png"`);
    }
    return {
      path: absolute,
      relativePath,
      name: path.basename(relativePath),
      contentType: contentType ?? 'application/octet-stream',
      label: this.text(labelEntry),
      bytes: bytes ?? 0,
    };
  }

  private sms(entry: Entry | undefined, senderWritten: boolean): Sms | undefined {
    if (entry === undefined) return undefined;
    const fields = this.fields(entry, SMS);
    if (fields === undefined) return undefined;
    const bodyEntry = fields.get('message')[0];
    const body = this.text(bodyEntry);
    const characters = body === undefined ? 0 : [...body].length;
    if (bodyEntry !== undefined && characters > SMS_MAX_CHARACTERS) {
      this.report(bodyEntry.value, bodyEntry.path, `the SMS is ${characters} characters long; Twilio accepts at most ${SMS_MAX_CHARACTERS}: shorten it`);
    }
    const to = fields.get('to').flatMap((item) => this.phone(item) ?? []);
    const from = this.phone(fields.get('from')[0]);
    this.needsSender(entry, senderWritten);
    return body === undefined ? undefined : { body, to, from };
  }

  private call(entry: Entry | undefined, senderWritten: boolean): Call | undefined {
    if (entry === undefined) return undefined;
    const fields = this.fields(entry, CALL);
    if (fields === undefined) return undefined;
    const sayEntry = fields.get('say')[0];
    const say = this.text(sayEntry);
    const voiceEntry = fields.get('voice')[0];
    const voice = this.text(voiceEntry);
    if (voiceEntry !== undefined && voice !== undefined) this.voice(voiceEntry, voice);
    if (sayEntry !== undefined && say !== undefined) this.twiml(sayEntry, say, voice);
    const to = fields.get('to').flatMap((item) => this.phone(item) ?? []);
    const from = this.phone(fields.get('from')[0]);
    this.needsSender(entry, senderWritten);
    return say === undefined ? undefined : { say, to, from, voice };
  }

  private voice(entry: Entry, voice: string): void {
    const check = checkVoice(voice);
    if (check.ok) return;
    this.report(entry.value, entry.path, `"${voice}" is not a Twilio voice${check.suggestion ? `; did you mean "${check.suggestion}"?` : ''} (Twilio's voices: man, woman, alice, Polly.<name> such as Polly.Joanna, Google.<name> such as Google.en-US-Standard-C)`);
  }

  /** The call carries `say` as TwiML, measured as the Twilio client will build it. */
  private twiml(entry: Entry, say: string, voice: string | undefined): void {
    const refused = characterXmlRefuses(say);
    if (refused !== undefined) {
      this.report(entry.value, entry.path, `contains the character ${refused}, which a call cannot carry (TwiML is XML); remove it`);
      return;
    }
    // As long as the escalation id the bot writes, so that no escalation pushes the call over.
    const gather = this.publicUrl === undefined ? undefined : { actionUrl: gatherActionUrl(this.publicUrl, 'x'.repeat(ESCALATION_ID_LENGTH)) };
    const characters = [...callTwiml(say, voice, gather)].length;
    if (characters > TWIML_MAX_CHARACTERS) {
      const what = gather === undefined ? 'this sentence in <Say>' : `this sentence in <Say>, then "Press 1" answered at ${this.publicUrl}`;
      this.report(entry.value, entry.path, `the call's TwiML (${what}, with & < > escaped) is ${characters} characters long; Twilio accepts at most ${TWIML_MAX_CHARACTERS}: shorten it`);
    }
  }

  /**
   * The fields of an `sms:` or `call:`, in either form: the 2016 list of one-key items
   * (`- message: ...`, `- number: ...`) or today's mapping (`message: ...`, `to: [...]`).
   * Undefined, once reported, when it is neither.
   */
  private fields(entry: Entry, shape: Mapping): { get(name: string): Entry[] } | undefined {
    const found = new Map<string, Entry[]>();
    const add = (map: Map<string, Entry>) => {
      for (const [name, field] of map) {
        const items = this.list(field);
        // Written, so not "missing", yet as empty as if it were.
        const what = shape.required?.[name];
        if (items.length === 0 && what !== undefined) this.report(field.value ?? field.key, field.path, `the list is empty; expected ${what}`);
        found.set(name, [...(found.get(name) ?? []), ...items]);
      }
    };
    if (isSeq(entry.value)) {
      entry.value.items.forEach((item, index) => {
        const itemPath = `${entry.path}[${index}]`;
        if (!isMap(item) || item.items.length !== 1) {
          this.report(item as Node, itemPath, `expected one \`key: value\` per item, with key ${firstNames(shape).map((name) => `\`${name}\``).join(', ')}`);
          return;
        }
        add(this.entries(item, itemPath, shape, entry.path));
      });
    } else {
      if (!isMap(entry.value)) {
        this.entries(entry.value, entry.path, shape);
        return undefined;
      }
      add(this.entries(entry.value, entry.path, shape));
    }
    this.required(shape, (name) => (found.get(name) ?? []).length > 0, entry.value ?? entry.key, entry.path);
    return { get: (name) => found.get(name) ?? [] };
  }

  /** A sender written here or under `twilio:`, even a wrong one, is not missing. */
  private needsSender(entry: Entry, senderWritten: boolean): void {
    if (!senderWritten && !this.mentioned.has(join(entry.path, 'from'))) this.withoutSender.push(entry);
  }

  private reportWithoutSender(): void {
    const [first, ...others] = this.withoutSender;
    if (first === undefined) return;
    const more = others.length === 0 ? '' : others.length === 1 ? ' (another SMS or call below has none either)'
      : ` (${others.length} more SMS or calls below have none either)`;
    this.report(first.key, first.path, `no number to send from: set \`twilio:\` \`customer_service_number:\` (your Twilio number)${this.isButton ? ' in settings.yaml' : ''} or \`from:\` here${more}`);
  }

  private phone(entry: Entry | undefined): string | undefined {
    const written = this.text(entry);
    if (entry === undefined || written === undefined) return undefined;
    const number = toE164(written);
    if (number.ok) return number.e164;
    this.report(entry.value, entry.path, number.problem === 'national'
      ? `"${written}" is written the national way; write +, the country code, then the number (no parentheses, no leading 0), e.g. "+1 212 555 1234" for a US number`
      : `"${written}" is not a phone number in international format; expected a country code and number, e.g. "+352691496401"`);
    return undefined;
  }

  /**
   * Entries of a mapping keyed by canonical name; reports what is not a mapping, unknown keys, keys that
   * belong in another file and repeats.
   * `scope` is the path under which keys are remembered as written (the `sms:` of a 2016 list item).
   */
  private entries(node: Node | null, where: string, shape: Mapping, scope = where): Map<string, Entry> {
    const result = new Map<string, Entry>();
    if (!isMap(node)) {
      const known = firstNames(shape).map((name) => `\`${name}\``).join(', ');
      this.report(node, where, `expected keys such as ${known}`);
      return result;
    }
    const byName = new Map<string, string>();
    for (const [canonical, key] of Object.entries(shape.keys)) for (const name of key.names) byName.set(name, canonical);
    const elsewhere = new Map<string, string>();
    for (const other of Object.values(shape.elsewhere ?? {})) for (const name of other.names) elsewhere.set(name, other.reason);
    for (const pair of node.items) {
      const key = pair.key as Node;
      const name = isScalar(key) ? String(key.value) : String(key);
      const keyPath = join(where, name);
      const canonical = byName.get(name);
      const reason = elsewhere.get(name);
      if (reason !== undefined) {
        this.report(key, keyPath, `\`${name}\` ${reason}`);
        continue;
      }
      if (canonical === undefined) {
        const suggestion = closest(name, [...byName.keys()]);
        const known = firstNames(shape).join(', ');
        if (suggestion !== undefined) this.mentioned.add(join(scope, byName.get(suggestion)!));
        this.report(key, keyPath, `unknown key \`${name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''} (known here: ${known})`);
        continue;
      }
      if (result.has(canonical)) {
        this.report(key, keyPath, `\`${name}\` repeats \`${result.get(canonical)!.path}\`; keep one of them`);
        continue;
      }
      this.mentioned.add(join(scope, canonical));
      result.set(canonical, { key, value: pair.value as Node | null, path: keyPath });
    }
    return result;
  }

  /** A single value or a list of values, as entries with their own paths. */
  private list(entry: Entry | undefined): Entry[] {
    if (entry === undefined) return [];
    if (!isSeq(entry.value)) return [entry];
    return entry.value.items.map((item, index) => ({ key: item as Node, value: item as Node, path: `${entry.path}[${index}]` }));
  }

  private text(entry: Entry | undefined): string | undefined {
    if (entry === undefined) return undefined;
    const node = entry.value;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      this.report(node ?? entry.key, entry.path, 'expected a value here (text or a number), found nothing or a list');
      return undefined;
    }
    // Unquoted `+352...` or `0033...` parse as numbers: keep what the user typed, not the number.
    const value = typeof node.value === 'number' ? (node as Scalar).source ?? String(node.value) : String(node.value);
    if (value.trim() === '') {
      this.report(node, entry.path, 'is empty');
      return undefined;
    }
    return value;
  }

  /** Reports each rule across `shape`'s keys that the keys written break. */
  private across(shape: Mapping, node: Node | null, where: string, keys: ReadonlyMap<string, Entry>): void {
    for (const rule of shape.across ?? []) {
      switch (rule.rule) {
        case 'notEmpty':
          if (isMap(node) && node.items.length === 0) this.report(node, where, rule.message);
          break;
        case 'notBoth': {
          const second = keys.get(rule.keys[1]);
          if (keys.has(rule.keys[0]) && second !== undefined) this.report(second.key, second.path, rule.message);
          break;
        }
        case 'needs':
          if (keys.has(rule.needs)) break;
          for (const name of rule.keys) {
            const orphan = keys.get(name);
            if (orphan !== undefined) this.report(orphan.key, orphan.path, rule.message);
          }
      }
    }
  }

  /** A text that looks like `pattern` says; undefined when not written, or reported. */
  private matching(entry: Entry | undefined, pattern: Pattern): string | undefined {
    const text = this.text(entry);
    if (entry === undefined || text === undefined) return undefined;
    if (new RegExp(pattern.regex, 'u').test(text)) return text;
    this.report(entry.value, entry.path, `"${text}" is not ${pattern.is}; expected something like ${pattern.like}`);
    return undefined;
  }

  /** A number within bounds: `min` included, or `above` excluded. */
  private number(entry: Entry | undefined, rule: NumberRange): number | undefined {
    if (entry === undefined) return undefined;
    const node = entry.value;
    const value = isScalar(node) ? node.value : undefined;
    const low = 'min' in rule ? (n: number) => n >= rule.min : (n: number) => n > rule.above;
    const ok = typeof value === 'number' && low(value) && (rule.max === undefined || value <= rule.max)
      && (!rule.integer || Number.isInteger(value));
    if (!ok) {
      const range = 'above' in rule ? `above ${rule.above}${rule.max === undefined ? '' : ` and at most ${rule.max}`}`
        : rule.max === undefined ? `${rule.min} or more` : `from ${rule.min} to ${rule.max}`;
      this.report(node ?? entry.key, entry.path, `expected a ${rule.integer ? 'whole ' : ''}number ${range}${rule.unit ? ` (${rule.unit})` : ''}`);
      return undefined;
    }
    return value;
  }

  /** One of the words `rule` allows; undefined when not written, or reported with the word it looks like. */
  private choice<T extends string>(entry: Entry | undefined, rule: { readonly values: readonly T[] }): T | undefined {
    if (entry === undefined) return undefined;
    const node = entry.value;
    const value = isScalar(node) ? node.value : undefined;
    const found = rule.values.find((allowed) => allowed === value);
    if (found !== undefined) return found;
    // A shortening ("ack") names the word it starts, when only one does.
    const starts = typeof value === 'string' && value !== '' ? rule.values.filter((allowed) => allowed.startsWith(value.toLowerCase())) : [];
    const guess = starts.length === 1 ? starts[0] : typeof value === 'string' ? closest(value, rule.values) : undefined;
    const written = typeof value === 'string' || typeof value === 'number' ? `"${value}"` : 'this';
    this.report(node ?? entry.key, entry.path, `${written} is not one of: ${rule.values.join(', ')}${guess === undefined ? '' : `; did you mean "${guess}"?`}`);
    return undefined;
  }

  private report(node: Node | null | undefined, where: string, message: string): void {
    this.reportAt(node?.range?.[0] ?? 0, where, message);
  }

  private reportAt(offset: number, where: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.issues.push({ file: this.file, line, column: col, path: where, message });
  }
}

/** The name of each key as messages show it. */
function firstNames(shape: Mapping): string[] {
  return Object.values(shape.keys).map((key) => key.names[0]);
}

/** The first document of the tokens, as yaml's parseDocument builds it (a second document is an error). */
function documentOf(tokens: readonly CST.Token[], source: string): Document.Parsed {
  let first: Document.Parsed | undefined;
  for (const doc of new Composer({ prettyErrors: false, uniqueKeys: true }).compose(tokens, true, source.length)) {
    if (first === undefined) {
      first = doc;
    } else {
      first.errors.push(new YAMLParseError([doc.range[0], doc.range[1]], 'MULTIPLE_DOCS', 'a second document starts here (after a `---` line); a settings file is one document: remove the `---` line'));
      break;
    }
  }
  // compose(..., true) always ends with a document, an empty one for an empty text.
  return first!;
}

function join(where: string, name: string): string {
  return where ? `${where}.${name}` : name;
}

/** The key path of the last node in a chain of ancestors, as `entries()` writes it: `bt.tn[1].sms.to`. */
function pathOf(chain: readonly unknown[]): string {
  let result = '';
  chain.forEach((parent, index) => {
    const child = chain[index + 1];
    if (isPair(parent) && child === parent.value) result = join(result, isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
    if (isSeq(parent)) result += `[${parent.items.indexOf(child)}]`;
  });
  return result;
}

/** The top-level times every step takes unless it sets its own. */
interface StepTimes {
  readonly escalateAfter: number | 'never' | undefined;
  readonly ackTimeout: number | 'never' | undefined;
}
