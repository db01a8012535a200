// What settings.yaml and the button files of buttons/ may contain, declared once: every mapping, its keys
// with the names a user may write for them, what each value is, and a description for editors. The
// validator (load.ts) reads from here the keys, the required ones and what each is, the patterns and number
// limits, the rules across keys and the keys that belong in the other file, each with its message; it adds
// the checks a schema cannot make (files exist, E.164, voices, message and TwiML lengths) as code.
// settings.schema.json and button.schema.json are generated from the same declarations (`npm run schema`).

import { GESTURE_ACTIONS } from '../core/button-event.ts';
import { VOICE_PATTERN } from './voice.ts';

/** A JSON Schema (2020-12) fragment, written as it appears in settings.schema.json. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** A number and its limits: `min` included, or `above` excluded. `unit` is said in messages. */
export type NumberRange = ({ readonly min: number } | { readonly above: number }) & {
  readonly max?: number;
  readonly integer?: boolean;
  readonly unit?: string;
  /** What the bot uses when the key is not written. */
  readonly default?: number;
};

/** What a text must look like: refused as `"<text>" is not <is>; expected something like <like>`. */
export interface Pattern {
  /** A JSON Schema pattern: an ECMAScript regular expression with the `u` flag. */
  readonly regex: string;
  readonly is: string;
  readonly like: string;
}

export type Value =
  | { readonly kind: 'number'; readonly range: NumberRange }
  | { readonly kind: 'text'; readonly pattern: Pattern }
  | { readonly kind: 'schema'; readonly schema: JsonSchema }
  | { readonly kind: 'mapping'; readonly mapping: Mapping }
  | { readonly kind: 'list'; readonly of: Value; readonly min?: number; readonly max?: number }
  /** One of a few words; `default` is what the bot uses when the key is not written. */
  | { readonly kind: 'choice'; readonly values: readonly [string, ...string[]]; readonly default: string };

export interface Key {
  /** The names a user may write, the first one shown in messages ("known here: ..."); the others are aliases. */
  readonly names: readonly [string, ...string[]];
  readonly value: Value;
  readonly description?: string;
}

/** A key that belongs in another file: refused here with `reason`, which says where it goes. */
export interface Elsewhere {
  readonly names: readonly [string, ...string[]];
  readonly reason: string;
}

/** A rule across the keys of one mapping, with what the validator says when it is broken. */
export type Across =
  /** At least one key: said at the mapping. */
  | { readonly rule: 'notEmpty'; readonly message: string }
  /** Not both keys: said at the second. */
  | { readonly rule: 'notBoth'; readonly keys: readonly [string, string]; readonly message: string }
  /** `keys` only beside `needs`, a key of one name (the schema's dependentRequired names one): said at each of them. */
  | { readonly rule: 'needs'; readonly keys: readonly string[]; readonly needs: string; readonly message: string };

export interface Mapping {
  /** Keys by the name the validator gives them, in the order messages list them. */
  readonly keys: Readonly<Record<string, Key>>;
  /**
   * Keys that must be written (under any of their names), each with what it is, for the message that says
   * it is missing: "missing `room`: <what>".
   */
  readonly required?: Readonly<Record<string, string>>;
  /** Also accepted as the 2016 list of one-key items (`- message: ...`, `- number: ...`). */
  readonly listForm?: boolean;
  /** Where the schema keeps it, for a mapping written under several names. */
  readonly def?: string;
  readonly description?: string;
  /** Rules across keys, each refused with its message; keys by the validator's name. */
  readonly across?: readonly Across[];
  /** Keys a user may mean to write here that belong in another file (a button's room, the shared token). */
  readonly elsewhere?: Readonly<Record<string, Elsewhere>>;
}

const MINUTES_OR_NEVER = 'minutes, or `never`';

/** Generous: a person presses a button this many times in one escalation at most. */
export const MAX_STEPS = 100;
/** Twilio counts characters (code points) and refuses a longer SMS body (error 21617). */
export const SMS_MAX_CHARACTERS = 1600;
/** Up to a week, in minutes; decimals allowed (0.5 is 30 seconds). */
export const ESCALATE_AFTER: NumberRange = { above: 0, max: 10_080, unit: MINUTES_OR_NEVER };
/** No timer waits less: below a second, one press would run every step at once. */
export const SHORTEST_WAIT_MS = 1000;

/** A number's limits as JSON Schema keywords (the unit is for messages and descriptions). */
export function rangeSchema(range: NumberRange): JsonSchema {
  return {
    type: range.integer ? 'integer' : 'number',
    ...('min' in range ? { minimum: range.min } : { exclusiveMinimum: range.above }),
    ...(range.max === undefined ? {} : { maximum: range.max }),
    ...(range.default === undefined ? {} : { default: range.default }),
  };
}

/** Values used in several places, kept under `$defs` in the schema. */
export const definitions = {
  text: { type: ['string', 'number'], minLength: 1 },
  phone: {
    oneOf: [
      { type: 'integer', minimum: 1_000_000 },
      { type: 'string', pattern: '^\\s*(?:\\+|00)[ .\\-]*[1-9][0-9 .\\-]*\\s*$|^\\s*[1-9][0-9]*\\s*$' },
    ],
    description: 'A phone number with its country code: + (or 00), the country code, then the number, e.g. "+352691496401" or "+1 212 555 1234". Digits alone get a + in front.',
  },
  phones: { oneOf: [{ $ref: '#/$defs/phone' }, { type: 'array', minItems: 1, items: { $ref: '#/$defs/phone' } }] },
  voice: {
    type: 'string',
    pattern: VOICE_PATTERN,
    description: 'Twilio voice: man, woman, alice, Polly.<name> (e.g. Polly.Joanna) or Google.<name> (e.g. Google.en-US-Standard-C).',
  },
  smsText: {
    type: ['string', 'number'], minLength: 1, maxLength: SMS_MAX_CHARACTERS,
    // Not toLocaleString, which would start ICU as the bot loads: a few MB and milliseconds of every start.
    description: `The SMS text, at most ${String(SMS_MAX_CHARACTERS).replace(/\B(?=(\d{3})+$)/g, ',')} characters.`,
  },
  escalateAfter: {
    description: 'Minutes without an acknowledgement after a step ran, before the next step runs by itself (decimals allowed: 0.5 is 30 s); `never` stops there.',
    oneOf: [{ ...rangeSchema(ESCALATE_AFTER), minimum: SHORTEST_WAIT_MS / 60_000 }, { const: 'never' }],
  },
  ackTimeout: {
    description: 'Minutes an acknowledged escalation may stay unresolved before it escalates again, as PagerDuty\'s acknowledgement timeout (decimals allowed); `never`: it stays taken.',
    oneOf: [{ ...rangeSchema(ESCALATE_AFTER), minimum: SHORTEST_WAIT_MS / 60_000 }, { const: 'never' }],
  },
} satisfies Readonly<Record<string, JsonSchema>>;

const schema = (value: JsonSchema) => ({ kind: 'schema', schema: value }) as const;
const ref = (name: keyof typeof definitions) => schema({ $ref: `#/$defs/${name}` });
const number = <R extends NumberRange>(range: R) => ({ kind: 'number', range }) as const;
const mapping = <M extends Mapping>(value: M) => ({ kind: 'mapping', mapping: value }) as const;
const gestureAction = { kind: 'choice', values: GESTURE_ACTIONS, default: 'next' } as const;
const text = (pattern: Pattern) => ({ kind: 'text', pattern }) as const;

const EMAIL = text({ regex: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', is: 'an e-mail address', like: 'name@example.com' });

export const WEBEX = {
  def: 'webex',
  required: { room: 'the title of the Webex room, e.g. `room: "Green Power Demonstration"`' },
  keys: {
    room: { names: ['room'], value: ref('text'), description: 'Title of the Webex room; found by this exact title or created.' },
    moderators: { names: ['moderators'], value: { kind: 'list', of: EMAIL } },
    participants: { names: ['participants'], value: { kind: 'list', of: EMAIL } },
    token: {
      names: ['token', 'bot_token', 'CISCO_SPARK_BTTN_BOT', 'WEBEX_BOT_TOKEN'], value: schema({ type: 'string' }),
      description: 'Better set CISCO_SPARK_BTTN_BOT (or WEBEX_BOT_TOKEN) in the environment.',
    },
  },
} as const satisfies Mapping;

export const TWILIO = {
  def: 'twilio',
  keys: {
    from: { names: ['customer_service_number', 'from'], value: ref('phone'), description: 'Your Twilio number, used as the sender of SMS and calls.' },
    accountSid: { names: ['account_sid', 'TWILIO_ACCOUNT_SID'], value: schema({ type: 'string' }), description: 'Better set TWILIO_ACCOUNT_SID in the environment.' },
    authToken: { names: ['auth_token', 'TWILIO_AUTH_TOKEN'], value: schema({ type: 'string' }), description: 'Better set TWILIO_AUTH_TOKEN in the environment.' },
  },
} as const satisfies Mapping;

export const SERVER = {
  def: 'server',
  keys: {
    port: { names: ['port'], value: number({ min: 1, max: 65_535, integer: true, default: 8080 }) },
    url: {
      names: ['url'], value: text({ regex: '^https?://[^\\s/]+', is: 'a web address', like: 'https://bot.example.com/' }),
      description: 'The public address of the bot, for display.',
    },
    debounce: {
      names: ['debounce'], value: number({ min: 0, max: 60, unit: 'seconds', default: 2 }),
      description: 'Seconds during which a second press counts once.',
    },
    press_timeout: {
      names: ['press_timeout'], value: number({ above: 0, max: 120, unit: 'seconds', default: 8 }),
      description: 'Seconds by which a press always gets its answer, whatever is still pending (bt.tn gives up after about 10).',
    },
    deliver_within: {
      names: ['deliver_within'], value: number({ above: 0, max: 1440, unit: 'minutes', default: 15 }),
      description: 'Minutes during which an action not delivered within its press keeps being retried in the background.',
    },
  },
} as const satisfies Mapping;

const RECIPIENTS = 'the phone numbers to reach, e.g. `to: ["+352691496401"]`';

export const SMS = {
  listForm: true,
  required: { message: 'the text of the SMS, e.g. `message: "Check Webex"`', to: RECIPIENTS },
  keys: {
    message: { names: ['message'], value: ref('smsText') },
    to: { names: ['to', 'number'], value: ref('phones') },
    from: { names: ['from'], value: ref('phone') },
  },
} as const satisfies Mapping;

export const CALL = {
  listForm: true,
  required: { say: 'the sentence spoken on the call, e.g. `say: "Please check Webex"`', to: RECIPIENTS },
  keys: {
    say: { names: ['say'], value: ref('text') },
    to: { names: ['to', 'number'], value: ref('phones') },
    from: { names: ['from'], value: ref('phone') },
    voice: { names: ['voice'], value: ref('voice') },
  },
} as const satisfies Mapping;

export const STEP = {
  def: 'step',
  across: [
    { rule: 'notEmpty', message: 'this step does nothing; give it `markdown`, `text`, `file`, `sms` or `call`' },
    { rule: 'notBoth', keys: ['markdown', 'text'], message: 'a step posts either `markdown` or `text`, not both' },
    { rule: 'needs', keys: ['type', 'label'], needs: 'file', message: '`type` and `label` describe a `file`, and this step has no `file`' },
  ],
  keys: {
    markdown: { names: ['markdown'], value: ref('text'), description: 'Message posted in the room, in Markdown.' },
    text: { names: ['text'], value: ref('text'), description: 'Plain message posted in the room.' },
    file: { names: ['file'], value: schema({ type: 'string' }), description: 'File uploaded in the room, relative to this settings file (at most 100 MB).' },
    type: {
      names: ['type', 'content_type'],
      value: text({ regex: '^[\\w.+-]+/[\\w.+-]+$', is: 'a content type', like: '"image/png" or "application/pdf"' }),
      description: 'Content type of the file, e.g. image/png.',
    },
    label: { names: ['label'], value: ref('text'), description: 'Shown with the file.' },
    sms: {
      names: ['sms'], value: mapping(SMS),
      description: 'An SMS: `{ message, to: [...] }`, or the 2016 list form `- message: ...` / `- number: ...`.',
    },
    call: {
      names: ['call'], value: mapping(CALL),
      description: 'A voice call that says a sentence: `{ to: [...], say, voice }`, or the 2016 list form `- number: ...` / `- say: ...`.',
    },
    escalate_after: { names: ['escalate_after'], value: ref('escalateAfter'), description: 'Overrides the top-level `escalate_after` for this step.' },
    ack_timeout: { names: ['ack_timeout'], value: ref('ackTimeout'), description: 'Overrides the top-level `ack_timeout` when the escalation is taken after this step.' },
  },
} as const satisfies Mapping;

export const SETTINGS = {
  description: 'What each press of the bt.tn button does in Webex and over Twilio. `npm run check` validates a file with the same rules and more (files exist, phone numbers, message and TwiML lengths).',
  required: {
    'bt.tn': 'the list of what each press does (one `- ` item per press)',
    webex: 'the section with the `room:` to use, e.g. `webex: { room: "My demo room" }`',
  },
  keys: {
    'bt.tn': {
      names: ['bt.tn'], value: { kind: 'list', of: mapping(STEP), min: 1, max: MAX_STEPS },
      description: 'The sequence: one item per press. Press 1 runs the first item, press 2 the second, and so on.',
    },
    webex: { names: ['webex', 'spark'], value: mapping(WEBEX), description: 'The Webex room the escalation runs in (`spark:` is its 2016 name).' },
    twilio: { names: ['twilio'], value: mapping(TWILIO), description: 'The Twilio account that sends SMS and makes calls.' },
    server: { names: ['server'], value: mapping(SERVER), description: 'How the bot listens and how long it waits.' },
    reset: {
      names: ['reset'], value: number({ min: 1, unit: 'minutes' }),
      description: 'Idle minutes after which the next press starts again at step 1 (the room stays).',
    },
    escalate_after: {
      names: ['escalate_after'], value: ref('escalateAfter'),
      description: 'The default `escalate_after` of every step that sets none. Without any, presses alone drive the sequence.',
    },
    ack_timeout: {
      names: ['ack_timeout'], value: ref('ackTimeout'),
      description: 'The default `ack_timeout` of every step that sets none. Without any, a taken escalation stays taken until resolved.',
    },
    long_press: {
      names: ['long_press'], value: gestureAction,
      description: 'What a long press (bt.tn `pressed-long`, Flic `hold`, Shelly `long`) does: `next` step (the default), `acknowledge`, `resolve`, `reset` or `nothing`.',
    },
    double_press: {
      names: ['double_press'], value: gestureAction,
      description: 'What a double press (Flic `double_click`, Shelly `double`) does: `next` step (the default), `acknowledge`, `resolve`, `reset` or `nothing`.',
    },
  },
} as const satisfies Mapping;

// With a buttons/ folder, settings.yaml holds what the buttons share, and each buttons/<name>.yaml one
// button: its sequence and its room. The keys are those of SETTINGS, split between the two.

const { 'bt.tn': sequence, twilio, server, reset, escalate_after, ack_timeout, long_press, double_press } = SETTINGS.keys;
/** What a button may set for itself, and settings.yaml for every button that does not. */
const timers = { reset, escalate_after, ack_timeout, long_press, double_press };
const { token, ...room } = WEBEX.keys;
const SHARED_ELSEWHERE = 'belongs in settings.yaml: every button shares it';
const PER_BUTTON = 'is per button beside a buttons/ folder: each button has its own room in buttons/<name>.yaml';

/** A button file's `webex:`: its room and people; the token stays in settings.yaml. */
export const BUTTON_WEBEX = {
  required: WEBEX.required,
  keys: room,
  elsewhere: {
    token: { names: token.names, reason: 'is a secret: it stays in settings.yaml (`webex: token:`) or the environment (CISCO_SPARK_BTTN_BOT), for every button' },
  },
} as const satisfies Mapping;

/** One button, `buttons/<name>.yaml`: its sequence, its room, and timers and press types of its own if it wants. */
export const BUTTON = {
  description: 'One bt.tn button (buttons/<name>.yaml): its sequence and its Webex room. The Webex token, Twilio and the server are in settings.yaml, whose `reset`, `escalate_after`, `ack_timeout`, `long_press` and `double_press` every button inherits unless it sets its own.',
  required: SETTINGS.required,
  keys: {
    'bt.tn': sequence,
    webex: { names: SETTINGS.keys.webex.names, value: mapping(BUTTON_WEBEX), description: "This button's Webex room and its people." },
    ...timers,
  },
  elsewhere: {
    twilio: { names: twilio.names, reason: SHARED_ELSEWHERE },
    server: { names: server.names, reason: SHARED_ELSEWHERE },
  },
} as const satisfies Mapping;

/** settings.yaml's `webex:` beside a buttons/ folder: the token only. */
export const SHARED_WEBEX = {
  keys: { token },
  elsewhere: Object.fromEntries(Object.entries(room).map(([name, key]) => [name, { names: key.names, reason: PER_BUTTON }])),
} as const satisfies Mapping;

/** settings.yaml beside a buttons/ folder: what every button shares, and the defaults of their timers and press types. */
export const SHARED = {
  description: 'What every button of the buttons/ folder beside this file shares (each buttons/<name>.yaml holds one sequence and its room), and the defaults of their timers and press types.',
  keys: {
    webex: { names: SETTINGS.keys.webex.names, value: mapping(SHARED_WEBEX), description: 'The Webex bot every button uses.' },
    twilio,
    server,
    ...timers,
  },
  elsewhere: {
    'bt.tn': { names: sequence.names, reason: 'is per button beside a buttons/ folder: move it into buttons/<name>.yaml' },
  },
} as const satisfies Mapping;
