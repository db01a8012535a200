// The one place a command from any door reaches its button's escalation: each door names the button by
// what its request carries (core/command.ts), and the button found runs the command. A command no button
// owns reaches none: a wrong token is a 404, a card of a finished escalation or a stranger's SMS changes nothing.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Address, Command } from '../core/command.ts';
import type { Settings } from '../settings/types.ts';
import type { ButtonStore } from '../state/button-store.ts';
import type { Button, CommandOutcome } from './button.ts';
import type { Outbox } from './outbox.ts';

/** One button: its settings, its secret, its part of the state and the sequencer of its escalation. */
export interface Escalation {
  readonly name: string;
  /** The secret of its press URL and status page. */
  readonly token: string;
  readonly settings: Settings;
  readonly store: ButtonStore;
  readonly button: Button;
  readonly outbox: Outbox;
}

export class Escalations {
  readonly all: readonly Escalation[];
  private readonly digests: readonly Buffer[];

  constructor(all: readonly Escalation[]) {
    this.all = all;
    this.digests = all.map((escalation) => digest(escalation.token));
  }

  /** The button a door's address names, if one does. */
  find(address: Address): Escalation | undefined {
    switch (address.by) {
      case 'token': return this.byToken(address.token);
      case 'room': return this.all.find((escalation) => escalation.store.current.room?.id === address.roomId);
      case 'escalation': return address.id === undefined ? undefined : this.all.find((escalation) => escalation.store.current.incident?.id === address.id);
      case 'number': return this.newestReaching(address.number);
      case 'contact': return this.all.find((escalation) => escalation.store.current.incident?.contacts.some((contact) => contact.sid === address.sid));
    }
  }

  /** Runs the command on the button the address names; undefined when none does. */
  async run<C extends Command>(address: Address, command: C): Promise<CommandOutcome<C> | undefined> {
    return this.find(address)?.button.run(command);
  }

  /** Every number an escalation under way texted or called: only they get an answer by SMS. */
  numbers(): string[] {
    return this.all.flatMap(({ store }) => {
      const incident = store.current.incident;
      return incident === undefined || incident.status === 'resolved' ? [] : incident.reached;
    });
  }

  /** Compared in constant time with every button's token (hashed first, so lengths are equal too). */
  private byToken(candidate: unknown): Escalation | undefined {
    if (typeof candidate !== 'string') return undefined;
    const given = digest(candidate);
    let found: Escalation | undefined;
    this.digests.forEach((want, index) => {
      if (timingSafeEqual(given, want)) found = this.all[index];
    });
    return found;
  }

  /** A number two escalations reached answers the one that started last: the one it most likely heard of last. */
  private newestReaching(number: string): Escalation | undefined {
    let newest: Escalation | undefined;
    for (const escalation of this.all) {
      const incident = escalation.store.current.incident;
      if (incident === undefined || incident.status === 'resolved' || !incident.reached.includes(number)) continue;
      if (newest === undefined || incident.startedAt > newest.store.current.incident!.startedAt) newest = escalation;
    }
    return newest;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
