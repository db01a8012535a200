// The deployed bundle keeps a V8 code cache of what it ran (scripts/build.ts), written a few seconds after a
// start that had none. The code of a press is compiled only when the first press comes: the bot says so once,
// and a bundle that made its cache in this run writes it again, so that each later start of this release
// answers its first press from compiled code, as it answers its first health check.

import type { EventEmitter } from 'node:events';

/** The event the bundle listens for on `process`. */
export const PRESS_COMPILED_EVENT = 'bttn:press-compiled';

let said = false;

/** After the first press is answered; a no-op afterwards, and when the bot runs from source. */
export function pressCompiled(): void {
  if (said) return;
  said = true;
  const events: EventEmitter = process;
  events.emit(PRESS_COMPILED_EVENT);
}
