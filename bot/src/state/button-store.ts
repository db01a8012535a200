// One button's view of the state store: what its escalation reads and changes, journaled under its name
// (a record's paths start with `buttons`, `<name>`), beside the other buttons' and the bot-wide facts.

import { buttonState, claimedIds, type ButtonState, type SharedState } from '../core/state.ts';
import type { Durability, StateStore } from './store.ts';

export class ButtonStore {
  readonly name: string;
  private readonly store: StateStore;

  constructor(store: StateStore, name: string) {
    this.store = store;
    this.name = name;
  }

  get current(): ButtonState {
    return buttonState(this.store.current, this.name);
  }

  get shared(): SharedState {
    return this.store.current.shared;
  }

  get file(): string {
    return this.store.file;
  }

  get writeFailure(): string | undefined {
    return this.store.writeFailure;
  }

  /** The SIDs a check with Twilio must not take: what any button sent or is sending. */
  claimed(): ReadonlySet<string> {
    return claimedIds(this.store.current);
  }

  update(change: (state: ButtonState) => ButtonState, durability?: Durability): Promise<void> {
    return this.updateWithShared((state, shared) => [change(state), shared], durability);
  }

  /** A change of this button's state and of the bot-wide facts, in one journal record. */
  updateWithShared(change: (state: ButtonState, shared: SharedState) => readonly [ButtonState, SharedState], durability?: Durability): Promise<void> {
    return this.store.update((stored) => {
      const before = buttonState(stored, this.name);
      const [after, shared] = change(before, stored.shared);
      if (after === before && shared === stored.shared) return stored;
      return { ...stored, shared, buttons: after === before ? stored.buttons : { ...stored.buttons, [this.name]: after } };
    }, durability);
  }
}
