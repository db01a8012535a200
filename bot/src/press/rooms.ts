// The escalation's one Webex room: found by its exact title, else created (moderated when the settings
// name moderators, so the bot becomes its first moderator), taken once however many actions need it.
// Looking before creating, every time, is what keeps it one room across crashes and lost answers.

import type { RoomState } from '../core/state.ts';
import { memberActions } from '../core/plan.ts';
import { newCall, type ApiCall } from '../http/transport.ts';
import type { Logger } from '../log.ts';
import type { Settings } from '../settings/types.ts';
import type { ButtonStore } from '../state/button-store.ts';
import type { WebexClient } from '../webex/client.ts';

/** What deleting the room did: deleted for everyone, only the bot left (a moderated room it does not moderate), or it was gone. */
export type RoomDeletion = 'for everyone' | 'bot removed' | 'not found';

/** A room the bot cannot use as it is: no retry will change that. */
export class RoomRefused extends Error {
  override name = 'RoomRefused';
}

export interface RoomServices {
  readonly settings: Settings;
  readonly store: ButtonStore;
  readonly webex: WebexClient;
  readonly log: Logger;
}

export class RoomKeeper {
  private readonly services: RoomServices;
  private taking: Promise<RoomState> | undefined;
  /** The room was lost after it had its people: the next one gets them again. */
  private reinvite = false;

  constructor(services: RoomServices) {
    this.services = services;
  }

  /** The room, taken at most once at a time; concurrent callers share the same search. */
  get(call: ApiCall): Promise<RoomState> {
    const known = this.services.store.current.room;
    if (known !== undefined) return Promise.resolve(known);
    this.taking ??= this.take(call).finally(() => { this.taking = undefined; });
    return this.taking;
  }

  /** Webex no longer knows this room (deleted by hand): forget it, so the next action takes one again. */
  async lost(roomId: string): Promise<void> {
    const { store, log } = this.services;
    if (store.current.room?.id !== roomId) return;
    this.reinvite = true;
    log('room lost', { room: store.current.room.title });
    await store.update((state) => (state.room?.id === roomId ? { ...state, room: undefined } : state), 'process-crash');
  }

  /**
   * Deletes the room as far as Webex lets the bot: for everyone when the room is not moderated or the bot
   * moderates it; otherwise Webex only removes the bot, and says nothing of it, so the bot says it here.
   */
  async delete(call: ApiCall): Promise<RoomDeletion> {
    const { webex, store, settings } = this.services;
    const known = store.current.room;
    const room = known === undefined ? await webex.findRoom(settings.webex.room, call) : await webex.getRoom(known.id, call);
    if (room === undefined) return 'not found';
    const moderator = !room.isLocked || await webex.isModerator(room.id, await webex.me(call), call) === true;
    await webex.deleteRoom(room.id, call);
    return moderator ? 'for everyone' : 'bot removed';
  }

  private async take(call: ApiCall): Promise<RoomState> {
    const { webex, store, settings, log } = this.services;
    const title = settings.webex.room;
    let found = await webex.findRoom(title, call);
    if (found?.isLocked) {
      const me = await webex.me(call);
      if (await webex.isModerator(found.id, me, call) !== true) {
        throw new RoomRefused(`the room "${title}" is moderated and the bot is not one of its moderators, so it cannot invite anyone there: `
          + 'ask a moderator to make the bot a moderator, or rename the room in settings.yaml so the bot creates its own');
      }
    }
    found ??= await webex.createRoom(title, settings.webex.moderators.length > 0, call);
    const room: RoomState = { id: found.id, title, membersAdded: false };
    await store.update((state) => ({ ...state, room }), 'process-crash');
    log('room', { title, moderated: found.isLocked || undefined });
    if (this.reinvite) await this.inviteAgain(room);
    return room;
  }

  /** After a lost room: everyone again, as repeatable requests (Webex answers 409 for someone already there). */
  private async inviteAgain(room: RoomState): Promise<void> {
    const { webex, store, settings, log } = this.services;
    this.reinvite = false;
    await Promise.all(memberActions(settings).map(async (action) => {
      if (action.kind !== 'member') return;
      try {
        await webex.addMember(room.id, action.email, action.moderator, newCall());
      } catch (error) {
        log('invite failed', { email: action.email, error: error instanceof Error ? error.message : String(error) });
      }
    }));
    await store.update((state) => (state.room?.id === room.id ? { ...state, room: { ...room, membersAdded: true } } : state), 'process-crash');
  }
}
