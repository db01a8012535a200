// One button's state as the bot left it on disk (snapshot and journal), read without changing anything.
import type { ButtonState } from '../../src/core/state.ts';
import { LEGACY_BUTTON } from '../../src/settings/types.ts';
import { savedState, type StateMode } from '../../src/state/store.ts';

export function savedButton(directory: string, mode: StateMode = 'live', name = LEGACY_BUTTON): ButtonState | undefined {
  return savedState(directory, mode)?.buttons[name];
}
