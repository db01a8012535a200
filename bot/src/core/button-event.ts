// What a button sends, in the words of the buttons people use: bt.tn's <ETYPE> tag (`pressed`,
// `pressed-long`, `not-pressed`) and <EID> (a unique event id), Flic's click types, Shelly's and Home
// Assistant's names. Each becomes one gesture; the settings say what a long or double press does.

/** The press types each gesture is sent as; no type at all is a press, as the 2016 bot took every call. */
export const GESTURE_TYPES = {
  press: ['pressed', 'click', 'single'],
  'long press': ['pressed-long', 'hold', 'long'],
  'double press': ['double_click', 'double'],
  // bt.tn's "not pressed" timer: the button is alive, and nobody pressed it.
  heartbeat: ['not-pressed'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type Gesture = keyof typeof GESTURE_TYPES;

/** What `long_press:` and `double_press:` may say a gesture does. */
export const GESTURE_ACTIONS = ['next', 'acknowledge', 'resolve', 'reset', 'nothing'] as const;
export type GestureAction = (typeof GESTURE_ACTIONS)[number];

export interface ButtonEvent {
  readonly gesture: Gesture;
  /** The type as the button sent it, lower-cased; undefined when it sent none. */
  readonly type: string | undefined;
  /** The button's unique event id (bt.tn's <EID>): an event with an id already handled is handled once. */
  readonly eid: string | undefined;
}

/** Longest event id kept: bt.tn's are short; this bounds what the state keeps for each. */
export const EID_MAX_LENGTH = 128;

const GESTURE_BY_TYPE: ReadonlyMap<string, Gesture> = new Map(
  Object.entries(GESTURE_TYPES).flatMap(([gesture, types]) => types.map((type) => [type, gesture as Gesture] as const)),
);

export const KNOWN_TYPES: readonly string[] = [...GESTURE_BY_TYPE.keys()];

/**
 * Reads the event from the arguments of a press (query string and body, already merged); every other
 * argument (bt.tn's <COUNTER>, <ID>, <NAME>, ...) is ignored. A type nobody sends is refused, never guessed.
 */
export function buttonEvent(args: Readonly<Record<string, unknown>>): ButtonEvent | { readonly error: string } {
  const type = argument(args.type);
  const eid = argument(args.eid);
  if (type === null) return { error: '`type` must be one text value' };
  if (eid === null) return { error: '`eid` must be one text value' };
  if (eid !== undefined && (eid.length > EID_MAX_LENGTH || /[\u0000-\u001f\u007f]/.test(eid))) {
    return { error: `\`eid\` must be at most ${EID_MAX_LENGTH} printable characters` };
  }
  if (type === undefined) return { gesture: 'press', type: undefined, eid };
  const normal = type.toLowerCase();
  const gesture = GESTURE_BY_TYPE.get(normal);
  if (gesture === undefined) return { error: `\`type\` "${type.slice(0, 40)}" is not a press type this bot knows; send one of: ${KNOWN_TYPES.join(', ')}` };
  return { gesture, type: normal, eid };
}

/** One string, trimmed; undefined when absent or empty; null when it is not one value (a list, an object). */
function argument(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
