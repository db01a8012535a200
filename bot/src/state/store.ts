// The state file: read once at start, rewritten atomically (temporary file, rename; fsync where asked)
// after every change, so a crash at any moment leaves either the old state or the new one on disk.

import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { INITIAL_STATE, type BotState } from '../core/state.ts';
import type { Environment } from '../settings/load.ts';

/** What a write must survive before update() resolves. */
export type Durability = 'power-loss' | 'process-crash';

export class StateStore {
  readonly file: string;
  private state: BotState;
  private writes: Promise<void> = Promise.resolve();
  /** The write that has not started yet; every change made before it starts is in it. */
  private next: Promise<void> | undefined;
  private flushNext = false;
  /** The state as last written to the file. */
  private written: BotState;

  private constructor(file: string, state: BotState) {
    this.file = file;
    this.state = state;
    this.written = state;
  }

  /** Opens (and creates) the state in `directory`; an unreadable file is kept aside, never silently lost. */
  static async open(directory: string, warn: (message: string) => void): Promise<StateStore> {
    await mkdir(directory, { recursive: true });
    const file = path.join(directory, 'state.json');
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) return new StateStore(file, INITIAL_STATE);
    const parsed = parseState(text);
    if (parsed !== undefined) return new StateStore(file, parsed);
    const aside = `${file}.unreadable-${Date.now()}`;
    await rename(file, aside);
    warn(`the state file ${file} could not be read; it was kept as ${aside} and the sequence starts at step 1`);
    return new StateStore(file, INITIAL_STATE);
  }

  get current(): BotState {
    return this.state;
  }

  /**
   * Applies a change and resolves once it is written: flushed to the disk ('power-loss'), or handed to the
   * kernel, which keeps it if the process dies ('process-crash', about 2 ms faster). Changes made while a write is under way are
   * written together by the next one, so concurrent actions of a press share writes instead of queueing.
   */
  update(change: (state: BotState) => BotState, durability: Durability = 'power-loss'): Promise<void> {
    this.state = change(this.state);
    this.flushNext ||= durability === 'power-loss';
    this.next ??= this.writes.then(async () => {
      const flush = this.flushNext;
      const snapshot = this.state;
      this.next = undefined;
      this.flushNext = false;
      try {
        await writeAtomically(this.file, JSON.stringify(snapshot), flush);
        this.written = snapshot;
      } catch (error) {
        // What could not be written did not happen: memory goes back to what the disk holds.
        this.state = this.written;
        throw new Error(`the state file ${this.file} could not be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
      }
    });
    this.writes = this.next.catch(() => undefined); // a failed write does not stop the next one
    return this.next;
  }

  /** Writes the current state again, synced to the disk. */
  flush(): Promise<void> {
    return this.update((state) => state, 'power-loss');
  }

  async writable(): Promise<boolean> {
    try {
      await access(path.dirname(this.file), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }
}

async function writeAtomically(file: string, text: string, flush: boolean): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    if (flush) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/** The state as written by StateStore, or undefined when the text is not that. */
export function parseState(text: string): BotState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const state = value as Partial<Record<keyof BotState, unknown>>;
  const valid = Number.isInteger(state.nextStep) && (state.nextStep as number) >= 1
    && Number.isInteger(state.pressCount)
    && Array.isArray(state.history)
    && (state.room === undefined || (typeof state.room === 'object' && state.room !== null && typeof (state.room as { id?: unknown }).id === 'string'))
    && (state.pending === undefined || (typeof state.pending === 'object' && state.pending !== null && Array.isArray((state.pending as { done?: unknown }).done)))
    && (state.lastPressAt === undefined || typeof state.lastPressAt === 'string');
  return valid ? (value as BotState) : undefined;
}

/** Where state lives: systemd's STATE_DIRECTORY (first entry), else BTTN_STATE_DIR, else ./.state. */
export function stateDirectory(env: Environment): string {
  return env.STATE_DIRECTORY?.split(':')[0] || env.BTTN_STATE_DIR || path.resolve('.state');
}
