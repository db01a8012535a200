// What a step posts in the Webex room: its message and, beside its file, the file's label.
// The settings validator measures the same text, so a step that loads is a step Webex accepts.

import type { Step } from '../settings/types.ts';

/** Webex rejects a message whose markdown or text is longer than this, in bytes. */
export const WEBEX_MESSAGE_MAX_BYTES = 7439;
/** Webex rejects an uploaded file larger than this. */
export const WEBEX_FILE_MAX_BYTES = 100 * 1024 * 1024;

export interface RoomMessage {
  readonly format: 'markdown' | 'text';
  readonly body: string;
}

/** The text posted for a step (with its file, when it has one), or undefined when the step posts nothing. */
export function roomMessageFor(step: Pick<Step, 'message' | 'file'>): RoomMessage | undefined {
  const label = step.file?.label;
  if (step.message === undefined) return label === undefined ? undefined : { format: 'text', body: label };
  if (label === undefined) return step.message;
  return { format: step.message.format, body: `${step.message.body.trimEnd()}\n\n${label}` };
}
