// The settings after validation and normalisation: what the rest of the bot sees.
// Every form a user may write in settings.yaml (2016 seed forms, today's names) ends up in this one shape.

import type { GestureAction } from '../core/button-event.ts';

/** Everything the bot was given: the buttons, each with its own sequence and room, and what they share. */
export interface BotSettings {
  /** Absolute path of settings.yaml. */
  readonly sourcePath: string;
  /**
   * settings.yaml's own `bt.tn:` sequence as the one button named LEGACY_BUTTON, or one button per
   * `buttons/<name>.yaml`, in the order of their names.
   */
  readonly buttons: readonly Settings[];
  /** The buttons come from the buttons/ folder (each then has a token of its own, config/button-tokens.ts). */
  readonly folder: boolean;
}

/** The name of settings.yaml's own sequence, under which today's state file is read. */
export const LEGACY_BUTTON = 'button';

/** One button's settings: its own sequence, room, timers and press types, with the Twilio account and server all share. */
export interface Settings {
  /** The button's name: LEGACY_BUTTON, or the file name of buttons/<name>.yaml. */
  readonly name: string;
  /** Absolute path of the file that declares the sequence; referenced files are resolved against its folder. */
  readonly sourcePath: string;
  readonly steps: readonly Step[];
  readonly webex: WebexSettings;
  readonly twilio: TwilioSettings;
  readonly server: ServerSettings;
  /** Idle time after which the next press starts the sequence again at step 1; undefined: never. */
  readonly resetAfterMs: number | undefined;
  /** What a long press and a double press do (`long_press:`, `double_press:`); a plain press runs the next step. */
  readonly gestures: Readonly<Record<'long press' | 'double press', GestureAction>>;
}

export interface WebexSettings {
  readonly room: string;
  readonly moderators: readonly string[];
  readonly participants: readonly string[];
  /** From the file (overrides) or CISCO_SPARK_BTTN_BOT / WEBEX_BOT_TOKEN; undefined means dry-run for Webex. */
  readonly token: string | undefined;
}

export interface TwilioSettings {
  /** E.164 number used as From for SMS and calls (customer_service_number). */
  readonly from: string | undefined;
  readonly accountSid: string | undefined;
  readonly authToken: string | undefined;
}

export interface ServerSettings {
  readonly port: number;
  /** Public URL of the bot, if the user gave one. */
  readonly url: string | undefined;
  /** A second press within this window is counted once. */
  readonly debounceMs: number;
  /** `press_timeout`: the whole press is answered by then, whatever is still pending. */
  readonly pressTimeoutMs: number;
  /** `deliver_within`: how long an action not delivered within its press keeps being retried in the background. */
  readonly deliverWithinMs: number;
}

export interface Step {
  /** 1-based position in the bt.tn list. */
  readonly number: number;
  /** What to post in the room: Markdown, or plain text from `text`. */
  readonly message: StepMessage | undefined;
  readonly file: StepFile | undefined;
  readonly sms: Sms | undefined;
  readonly call: Call | undefined;
  /** Without an acknowledgement this long after the step ran, the next step runs by itself; undefined: only a press moves on. */
  readonly escalateAfterMs: number | undefined;
  /** Taken after this step and not resolved this long after: it escalates again; undefined: it stays taken. */
  readonly ackTimeoutMs: number | undefined;
}

export interface StepMessage {
  readonly format: 'markdown' | 'text';
  readonly body: string;
}

export interface StepFile {
  /** Absolute path on disk. */
  readonly path: string;
  /** Path as written in settings.yaml, relative to the settings folder. */
  readonly relativePath: string;
  /** File name sent to Webex. */
  readonly name: string;
  readonly contentType: string;
  readonly label: string | undefined;
  readonly bytes: number;
}

export interface Sms {
  readonly body: string;
  /** E.164 numbers. */
  readonly to: readonly string[];
  /** Overrides twilio.from for this step. */
  readonly from: string | undefined;
}

export interface Call {
  readonly say: string;
  readonly to: readonly string[];
  readonly from: string | undefined;
  /** Twilio <Say> voice, e.g. "alice" or "Polly.Joanna". */
  readonly voice: string | undefined;
}

/** One problem found in a settings file, with enough context for a non-developer to fix it. */
export interface SettingsIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Key path as the user wrote it, e.g. `bt.tn[2].sms.to[0]`. */
  readonly path: string;
  readonly message: string;
}
