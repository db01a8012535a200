// The state file: read once at start, rewritten atomically (temporary file, rename; fsync where asked)
// after every change, so a crash at any moment leaves either the old state or the new one on disk.
// Dry-run and live runs keep separate files, so a rehearsal never leaks into the real escalation.

import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { INITIAL_STATE, type BotState } from '../core/state.ts';
import type { Environment } from '../settings/load.ts';
import { parseState } from './parse-state.ts';

/** What a write must survive before update() resolves. */
export type Durability = 'power-loss' | 'process-crash';
export type StateMode = 'live' | 'dry-run';

type Change = (state: BotState) => BotState;

export class StateStore {
  readonly file: string;
  /** The state as last written to the file. */
  private written: BotState;
  /** Changes applied in memory and not yet written, oldest first. */
  private unwritten: Change[] = [];
  private state: BotState;
  private writes: Promise<void> = Promise.resolve();
  /** The write that has not started yet; every change made before it starts is in it. */
  private next: Promise<void> | undefined;
  private flushNext = false;
  private failure: string | undefined;

  private constructor(file: string, state: BotState) {
    this.file = file;
    this.state = state;
    this.written = state;
  }

  /** Opens (and creates) the state of this mode in `directory`; a file that cannot be used is kept aside, never silently lost. */
  static async open(directory: string, mode: StateMode, warn: (message: string) => void): Promise<StateStore> {
    await makeFolder(directory);
    const file = stateFile(directory, mode);
    const text = await readIfThere(file);
    if (text === undefined) return new StateStore(file, INITIAL_STATE);
    const parsed = parseState(text);
    if (parsed.state !== undefined) return new StateStore(file, parsed.state);
    const aside = `${file}.unreadable-${Date.now()}`;
    await rename(file, aside);
    warn(`the state file ${file} could not be used (${parsed.problem}); it was kept as ${aside} and the sequence starts at step 1`);
    return new StateStore(file, INITIAL_STATE);
  }

  get current(): BotState {
    return this.state;
  }

  /** Why the last write failed, until a write succeeds again. */
  get writeFailure(): string | undefined {
    return this.failure;
  }

  /**
   * Applies a change and resolves once it is written: flushed to the disk ('power-loss'), or handed to the
   * kernel, which keeps it if the process dies ('process-crash'). Changes made while a write is under way
   * are written together by the next one. When a write fails, only the changes it carried are undone (and
   * their callers told); later changes stay, and go with the next write.
   */
  update(change: Change, durability: Durability = 'power-loss'): Promise<void> {
    this.state = change(this.state);
    this.unwritten.push(change);
    this.flushNext ||= durability === 'power-loss';
    this.next ??= this.writes.then(async () => {
      const flush = this.flushNext;
      const snapshot = this.state;
      this.next = undefined;
      this.flushNext = false;
      this.unwritten = [];
      try {
        await writeAtomically(this.file, JSON.stringify(snapshot), flush);
        this.written = snapshot;
        this.failure = undefined;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        this.failure = `the state file ${this.file} could not be written (${code})`;
        // What could not be written did not happen; what came after it still stands.
        this.state = this.unwritten.reduce((state, later) => later(state), this.written);
        throw new Error(this.failure, { cause: error });
      }
    });
    this.writes = this.next.catch(() => undefined); // a failed write does not stop the next one
    return this.next;
  }

  /** Writes the current state again, synced to the disk. */
  flush(): Promise<void> {
    return this.update((state) => state, 'power-loss');
  }
}

export function stateFile(directory: string, mode: StateMode): string {
  return path.join(directory, mode === 'live' ? 'state.json' : 'dry-run-state.json');
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`the state file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
}

/** Creates the state folder, naming the folder that really refused (a read-only parent, a file in the way). */
async function makeFolder(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    let blocker = path.resolve(directory);
    while (path.dirname(blocker) !== blocker && !(await exists(blocker))) blocker = path.dirname(blocker);
    const why = code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'is not writable by this user'
      : code === 'ENOTDIR' || code === 'EEXIST' ? 'is a file, not a folder' : `refused (${code})`;
    throw new Error(`cannot create the state folder ${directory}: ${blocker} ${why}; set BTTN_STATE_DIR to a writable folder`, { cause: error });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomically(file: string, text: string, flush: boolean): Promise<void> {
  const temporary = `${file}.tmp`;
  if (!flush) {
    // Without a flush, a synchronous write and rename take half the time of four trips to the thread pool,
    // and they sit on the path of every press.
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, file);
    return;
  }
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    if (flush) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/** Where state lives: systemd's STATE_DIRECTORY (first entry), else BTTN_STATE_DIR, else ./.state. */
export function stateDirectory(env: Environment): string {
  return env.STATE_DIRECTORY?.split(':')[0] || env.BTTN_STATE_DIR || path.resolve('.state');
}
