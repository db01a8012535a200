// The state on disk: a snapshot (`state.json`) and a journal beside it (`state.journal`), one line per
// change, appended to an open file at once (and flushed to the disk where a change must survive a power
// loss), so a change costs its own size and not the whole state's. Now and then, and at every clean stop,
// the state is compacted: written whole as the next snapshot (temporary file, fsync, rename), which makes
// the journal's lines stale (each carries the generation of the snapshot it follows), and the journal
// starts afresh. A crash at any moment leaves a snapshot and the lines that follow it; a line cut short
// by the crash is left out. Dry-run and live runs keep separate files, so a rehearsal never leaks into the
// real escalation.

import { closeSync, fdatasync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { INITIAL_STORED, STATE_VERSION, type StoredState } from '../core/state.ts';
import type { Environment } from '../settings/load.ts';
import { ButtonStore } from './button-store.ts';
import { changesBetween, replay } from './journal.ts';
import { stateFromJson } from './parse-state.ts';

/** What a write must survive before update() resolves. */
export type Durability = 'power-loss' | 'process-crash';
export type StateMode = 'live' | 'dry-run';

type Change = (state: StoredState) => StoredState;

/** The snapshot's field that names its generation (older snapshots have none, and no journal). */
const GENERATION = 'journalGeneration';
/** A journal this long is folded into a new snapshot, after the answer that made it grow. */
const COMPACT_AT_BYTES = 512 * 1024;

export class StateStore {
  readonly file: string;
  readonly journalFile: string;
  private state: StoredState;
  private generation: number;
  /** The journal, opened for appending at the first change (and again after a failed append). */
  private journal: number | undefined;
  private journalBytes: number;
  private failure: string | undefined;
  /** Appended lines not yet flushed to the disk. */
  private unsynced = false;
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;
  private compactionDue = false;
  private readonly warn: (message: string) => void;

  private constructor(file: string, saved: Saved, warn: (message: string) => void) {
    this.file = file;
    this.journalFile = journalFile(file);
    this.state = saved.state;
    this.generation = saved.generation;
    this.journalBytes = saved.journalBytes;
    this.warn = warn;
  }

  /** Opens (and creates) the state of this mode in `directory`; a file that cannot be used is kept aside, never silently lost. */
  static async open(directory: string, mode: StateMode, warn: (message: string) => void): Promise<StateStore> {
    await makeFolder(directory);
    const file = stateFile(directory, mode);
    const saved = readSaved(file, warn);
    const store = new StateStore(file, saved, warn);
    // A journal to fold (after a crash), or a snapshot of an older bot that names no generation: a fresh
    // snapshot, so that the journal only ever holds lines of this run.
    if (saved.compact) store.compact();
    return store;
  }

  get current(): StoredState {
    return this.state;
  }

  /** One button's part of the state: its changes are journaled under its name. */
  button(name: string): ButtonStore {
    return new ButtonStore(this, name);
  }

  /** Why the last write failed, until a write succeeds again. */
  get writeFailure(): string | undefined {
    return this.failure;
  }

  /**
   * Applies a change and appends it to the journal at once; resolves when it is flushed to the disk
   * ('power-loss', several changes share a flush) or right away ('process-crash': the kernel has it, and
   * keeps it if the process dies). A change that cannot be appended is undone, and the promise says why.
   */
  update(change: Change, durability: Durability = 'power-loss'): Promise<void> {
    const before = this.state;
    const after = change(before);
    if (after !== before) {
      try {
        this.append(`${JSON.stringify({ g: this.generation, c: changesBetween(before, after) })}\n`);
      } catch (error) {
        return Promise.reject(this.failed(error));
      }
      this.state = after;
      this.failure = undefined;
      if (this.journalBytes >= COMPACT_AT_BYTES) this.compactSoon();
    }
    return durability === 'power-loss' ? this.synced() : Promise.resolve();
  }

  /** Closes the journal's file (a later change would open it again): for a store that is done with. */
  close(): void {
    if (this.journal !== undefined) closeSync(this.journal);
    this.journal = undefined;
  }

  /** Writes the whole state as a new snapshot, synced to the disk, and empties the journal: at a clean stop. */
  flush(): Promise<void> {
    try {
      this.compact();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.failed(error));
    }
  }

  private append(line: string): void {
    try {
      this.journal ??= openSync(this.journalFile, 'a', 0o600);
      const bytes = Buffer.from(line);
      for (let done = 0; done < bytes.length;) done += writeSync(this.journal, bytes, done);
      this.journalBytes += bytes.length;
      this.unsynced = true;
    } catch (error) {
      this.dropJournal();
      throw error;
    }
  }

  /** After a failed append: what it may have written in part goes, and the next change opens the journal again. */
  private dropJournal(): void {
    if (this.journal === undefined) return;
    try {
      ftruncateSync(this.journal, this.journalBytes);
      closeSync(this.journal);
    } catch {
      // The journal is unusable either way; its next opening says why.
    }
    this.journal = undefined;
  }

  /** The snapshot and its journal are one state file to the reader of an error. */
  private failed(error: unknown): Error {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    this.failure = `the state file ${this.file} could not be written (${code})`;
    return new Error(this.failure, { cause: error });
  }

  /** Resolves once every line appended so far is on the disk; a flush under way is joined by the next one. */
  private synced(): Promise<void> {
    if (!this.unsynced && this.syncing === undefined) return Promise.resolve();
    this.nextSync ??= (this.syncing ?? Promise.resolve()).catch(() => undefined).then(() => {
      this.nextSync = undefined;
      this.syncing = this.syncJournal().finally(() => { this.syncing = undefined; });
      return this.syncing;
    });
    return this.nextSync;
  }

  private syncJournal(): Promise<void> {
    const journal = this.journal;
    this.unsynced = false;
    if (journal === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      fdatasync(journal, (error) => (error === null ? resolve() : reject(this.failed(error))));
    });
  }

  private compactSoon(): void {
    if (this.compactionDue) return;
    this.compactionDue = true;
    setImmediate(() => {
      this.compactionDue = false;
      try {
        this.compact();
      } catch (error) {
        // Nothing is lost: the journal keeps every change, and the next change tries again.
        this.warn(`the state file ${this.file} could not be compacted (${(error as NodeJS.ErrnoException).code ?? String(error)}); its journal keeps growing`);
      }
    }).unref();
  }

  private compact(): void {
    const generation = this.generation + 1;
    const temporary = `${this.file}.tmp`;
    const snapshot = openSync(temporary, 'w', 0o600);
    try {
      writeSync(snapshot, JSON.stringify({ ...this.state, [GENERATION]: generation }));
      fsyncSync(snapshot);
    } finally {
      closeSync(snapshot);
    }
    renameSync(temporary, this.file);
    // The rename on the disk before the journal is emptied: a power loss in between must not leave the
    // old snapshot with an empty journal.
    const folder = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
    this.generation = generation;
    // The journal's lines are stale now (another generation); emptying it only saves reading them.
    // The journal is opened by the first change, not here: a state folder gone since the start shows there.
    if (this.journal !== undefined) ftruncateSync(this.journal, 0);
    else emptyIfThere(this.journalFile);
    this.journalBytes = 0;
    this.unsynced = false;
  }
}

export function stateFile(directory: string, mode: StateMode): string {
  return path.join(directory, mode === 'live' ? 'state.json' : 'dry-run-state.json');
}

function journalFile(file: string): string {
  return file.replace(/\.json$/, '.journal');
}

interface Saved {
  readonly state: StoredState;
  readonly generation: number;
  readonly journalBytes: number;
  /** Write a fresh snapshot before the first change. */
  readonly compact: boolean;
}

/**
 * The state as the files in `directory` hold it, read without changing anything (for a look at the
 * rehearsal's state, and for tests); undefined when there is none, or none that can be used.
 */
export function savedState(directory: string, mode: StateMode): StoredState | undefined {
  const file = stateFile(directory, mode);
  const snapshot = readIfThere(file);
  if (snapshot === undefined && readIfThere(journalFile(file)) === undefined) return undefined;
  const saved = readFiles(file, snapshot);
  return 'problem' in saved ? undefined : saved.state;
}

/** Reads the snapshot and replays its journal; a snapshot that cannot be used is kept aside (with its journal), with a warning. */
function readSaved(file: string, warn: (message: string) => void): Saved {
  const snapshot = readIfThere(file);
  const saved = readFiles(file, snapshot);
  if (!('problem' in saved)) {
    if (saved.journalProblem !== undefined) {
      const aside = keepAside(journalFile(file));
      warn(`the state file's journal ${journalFile(file)} was read up to where ${saved.journalProblem}; it was kept as ${aside}`);
    }
    return saved;
  }
  const aside = keepAside(file);
  const journal = readIfThere(journalFile(file)) === undefined ? '' : ` (its journal as ${keepAside(journalFile(file))})`;
  warn(`the state file ${file} could not be used (${saved.problem}); it was kept as ${aside}${journal} and the sequence starts at step 1`);
  return { state: INITIAL_STORED, generation: 0, journalBytes: 0, compact: false };
}

function readFiles(file: string, snapshot: string | undefined): (Saved & { readonly journalProblem?: string }) | { readonly problem: string } {
  let json: Record<string, unknown> = {};
  if (snapshot !== undefined) {
    try {
      const value: unknown = JSON.parse(snapshot);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'the state is not an object' };
      json = value as Record<string, unknown>;
    } catch {
      return { problem: 'not JSON' };
    }
  }
  const named = json[GENERATION];
  // A snapshot of an older bot: today's state.json, read as before, without a journal.
  const olderBot = snapshot !== undefined && !Number.isInteger(named);
  const generation = olderBot ? 0 : (named as number | undefined) ?? 0;
  const journal = olderBot ? undefined : readIfThere(journalFile(file));
  const replayed = journal === undefined ? { applied: 0 } : replay(json, journal, generation);
  // No snapshot yet: one of today's shape is written before the first change, so that a journal never stands
  // without the snapshot that says its shape (a journal alone is the previous release's, read as its shape).
  if (snapshot === undefined && replayed.applied === 0) return { state: INITIAL_STORED, generation, journalBytes: 0, compact: true };
  const parsed = stateFromJson(json);
  if (parsed.state === undefined) return { problem: replayed.applied > 0 ? `${parsed.problem}, after its journal` : parsed.problem };
  const journalBytes = journal === undefined ? 0 : Buffer.byteLength(journal);
  return {
    // A file of an older version is written afresh by button before any line follows it: its journal's paths are the old shape's.
    state: parsed.state, generation, journalBytes, compact: snapshot === undefined || olderBot || journalBytes > 0 || json.version !== STATE_VERSION,
    ...(replayed.stopped === undefined || replayed.stopped.last ? {} : { journalProblem: replayed.stopped.why }),
  };
}

function emptyIfThere(file: string): void {
  try {
    truncateSync(file, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function keepAside(file: string): string {
  const aside = `${file}.unreadable-${Date.now()}`;
  renameSync(file, aside);
  return aside;
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
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

/** Where state lives: systemd's STATE_DIRECTORY (first entry), else BTTN_STATE_DIR, else ./.state. */
export function stateDirectory(env: Environment): string {
  return env.STATE_DIRECTORY?.split(':')[0] || env.BTTN_STATE_DIR || path.resolve('.state');
}
