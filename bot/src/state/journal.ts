// The state's journal, in records that know nothing of the state's shape: a record lists the paths that
// changed between two states, found by reference (every change makes a new object only where it changes
// something). An array is written as runs of its previous elements, by index, and its new or changed
// elements in full, so a new press in the history costs its own size, not the whole history's.
// Pure: store.ts does the reading and writing.

type Path = readonly string[];
/** A run of `n` elements of the previous array from index `o`, or one element written in full. */
type Element = { readonly o: number; readonly n: number } | { readonly v: unknown };
/** One path that changed: set to a value, rebuilt as an array, or deleted. */
export type PathChange = { readonly p: Path; readonly v: unknown } | { readonly p: Path; readonly a: readonly Element[] } | { readonly p: Path; readonly d: 1 };
/** One line of the journal: the changes of one update, for the snapshot of generation `g`. */
export interface JournalRecord {
  readonly g: number;
  readonly c: readonly PathChange[];
}

/** What changed from `before` to `after`, both as they would be written as JSON. */
export function changesBetween(before: unknown, after: unknown): PathChange[] {
  const changes: PathChange[] = [];
  diff(before, after, [], changes);
  return changes;
}

function diff(before: unknown, after: unknown, path: Path, changes: PathChange[]): void {
  if (before === after) return;
  if (after === undefined) {
    changes.push({ p: path, d: 1 });
  } else if (Array.isArray(before) && Array.isArray(after)) {
    changes.push({ p: path, a: arrayChange(before, after) });
  } else if (isRecord(before) && isRecord(after)) {
    for (const key of Object.keys(after)) diff(before[key], after[key], [...path, key], changes);
    for (const key of Object.keys(before)) if (!(key in after) && before[key] !== undefined) changes.push({ p: [...path, key], d: 1 });
  } else {
    changes.push({ p: path, v: after });
  }
}

function arrayChange(before: readonly unknown[], after: readonly unknown[]): Element[] {
  // Objects by reference, plain values (the sent ids) by value: any equal element writes the same JSON.
  const index = new Map<unknown, number>();
  before.forEach((element, i) => {
    if (!index.has(element)) index.set(element, i);
  });
  const elements: Element[] = [];
  let run: { o: number; n: number } | undefined;
  for (const element of after) {
    const old = index.get(element);
    if (old !== undefined && run !== undefined && run.o + run.n === old) {
      run.n++;
    } else if (old !== undefined) {
      run = { o: old, n: 1 };
      elements.push(run);
    } else {
      run = undefined;
      elements.push({ v: element });
    }
  }
  return elements;
}

/**
 * Applies a record to a state as parsed from JSON (changing it in place), or says why it does not fit
 * (a path through something other than an object, a run outside the previous array).
 */
export function applyRecord(state: Record<string, unknown>, record: JournalRecord): string | undefined {
  for (const change of record.c) {
    if (change.p.length === 0) return 'a change of the whole state';
    let parent: Record<string, unknown> = state;
    for (const key of change.p.slice(0, -1)) {
      const child = parent[key] ?? {};
      if (!isRecord(child)) return `${change.p.join('.')} goes through something other than an object`;
      parent[key] = child;
      parent = child;
    }
    const key = change.p[change.p.length - 1]!;
    if ('d' in change) {
      delete parent[key];
    } else if ('a' in change) {
      const previous = parent[key] ?? [];
      if (!Array.isArray(previous)) return `${change.p.join('.')} was not a list`;
      const next: unknown[] = [];
      for (const element of change.a) {
        if ('v' in element) {
          next.push(element.v);
        } else {
          if (element.o < 0 || element.o + element.n > previous.length) return `${change.p.join('.')} refers to elements it did not have`;
          next.push(...previous.slice(element.o, element.o + element.n));
        }
      }
      parent[key] = next;
    } else {
      parent[key] = change.v;
    }
  }
  return undefined;
}

/** One line of the journal, parsed; undefined when it is not a record (a line torn by a crash). */
export function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !Number.isInteger(value.g) || !Array.isArray(value.c)) return undefined;
  const wellFormed = value.c.every((change: unknown) => isRecord(change) && Array.isArray(change.p) && change.p.every((key) => typeof key === 'string')
    && ('v' in change || change.d === 1 || (Array.isArray(change.a) && change.a.every((element: unknown) => isRecord(element)
      && ('v' in element || (Number.isInteger(element.o) && Number.isInteger(element.n)))))));
  return wellFormed ? value as unknown as JournalRecord : undefined;
}

export interface Replay {
  /** Records of the snapshot's generation applied. */
  readonly applied: number;
  /** Why the journal stopped being read before its end: a torn last line is normal after a crash. */
  readonly stopped?: { readonly why: string; readonly last: boolean };
}

/** Replays the journal's records of `generation` onto `state` (in place); records of another generation are from before the snapshot. */
export function replay(state: Record<string, unknown>, journal: string, generation: number): Replay {
  const lines = journal.split('\n');
  // What follows the last newline is a line being written when the bot stopped (or nothing).
  const complete = lines.slice(0, -1);
  const tail = lines[lines.length - 1]!;
  let applied = 0;
  for (const [i, line] of complete.entries()) {
    const record = parseRecord(line);
    if (record === undefined) return { applied, stopped: { why: `line ${i + 1} is not a journal record`, last: false } };
    if (record.g !== generation) continue;
    const misfit = applyRecord(state, record);
    if (misfit !== undefined) return { applied, stopped: { why: `line ${i + 1}: ${misfit}`, last: false } };
    applied++;
  }
  return tail === '' ? { applied } : { applied, stopped: { why: 'its last line was cut short', last: true } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
