// Loads settings.yaml, and the buttons/ folder beside it when there is one, into typed settings (each file is
// read by reader.ts). All problems of all files are collected, each with file, line, column, key path and
// what was expected, so a non-developer fixes them in one go. Used by the bot at start, `npm run check` and
// the deployment.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Reader } from './reader.ts';
import type { BotSettings, Settings, SettingsIssue } from './types.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export class SettingsError extends Error {
  readonly issues: readonly SettingsIssue[];
  constructor(file: string, issues: readonly SettingsIssue[]) {
    super(formatIssues(file, issues));
    this.name = 'SettingsError';
    this.issues = issues;
  }
}

/**
 * The report a person reads: what to do, then one line per problem. Problems in several files (settings.yaml
 * and its buttons) come file by file, and the first line names the files, relative to `file`'s folder.
 */
export function formatIssues(file: string, issues: readonly SettingsIssue[]): string {
  const lines = issues.map((i) => `${i.file}:${i.line}:${i.column}  ${i.path ? `${i.path}: ` : ''}${i.message}`);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const files = [...new Set(issues.map((issue) => issue.file))];
  const where = files.length <= 1 ? `${files[0] ?? file} has ${count}`
    : `${count} in ${files.length} files (${files.map((one) => path.relative(path.dirname(file), one)).join(', ')})`;
  return `${where}; fix ${issues.length === 1 ? 'it' : 'them'} and try again:\n${lines.join('\n')}`;
}

/** Loads and validates a settings file; throws SettingsError listing every problem found. */
export function loadSettings(file: string, env: Environment = process.env): Settings {
  const reader = new Reader(file, readSource(file));
  const settings = reader.readSettings(env);
  if (reader.issues.length > 0 || settings === undefined) throw new SettingsError(file, inFileOrder(reader.issues));
  return settings;
}

/**
 * Loads settings.yaml and the buttons it drives: its own `bt.tn:` sequence, or one `buttons/<name>.yaml`
 * each; throws SettingsError listing every problem of every file.
 */
export function loadBot(file: string, env: Environment = process.env): BotSettings {
  const buttonFiles = buttonFilesBeside(file);
  if (buttonFiles.length === 0) {
    const settings = loadSettings(file, env);
    return { sourcePath: settings.sourcePath, buttons: [settings], folder: false };
  }
  const issues: SettingsIssue[] = [];
  const shared = reading(file, issues, (reader) => reader.readShared(env))
    // Unreadable, settings.yaml says nothing about its sender: no button is told it lacks one.
    ?? { ...new Reader(file, '{}').readShared(env)!, senderWritten: true };
  const names = new Map<string, string>();
  const rooms = new Map<string, string>();
  const buttons: Settings[] = [];
  for (const buttonFile of buttonFiles) {
    const name = path.basename(buttonFile, path.extname(buttonFile));
    const at = (message: string) => issues.push({ file: buttonFile, line: 1, column: 1, path: '', message });
    if (!BUTTON_NAME.test(name)) {
      at(`"${name}" cannot name a button: a name is 1 to 40 lower-case letters, digits, \`-\` and \`_\`, starting with a letter or a digit (it goes in web addresses); rename the file`);
    }
    const first = names.get(name);
    if (first !== undefined) at(`names the button "${name}", as ${path.basename(first)} does; keep one of the two files`);
    else names.set(name, buttonFile);
    const button = reading(buttonFile, issues, (reader) => {
      const settings = reader.readButton(name, shared);
      // A second file of the same name is one mistake, already said: its room is no second one.
      if (settings === undefined || first !== undefined) return settings;
      const owner = rooms.get(settings.webex.room);
      if (owner === undefined) rooms.set(settings.webex.room, name);
      else reader.reportRoom(`the room "${settings.webex.room}" is already button "${owner}"'s; a command typed in a room finds its button by the room, so give each button a room of its own`);
      return settings;
    });
    if (button !== undefined) buttons.push(button);
  }
  if (issues.length > 0) throw new SettingsError(file, issues);
  return { sourcePath: path.resolve(file), buttons, folder: true };
}

/** Button names go in web addresses and state keys. */
const BUTTON_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** The button files of the buttons/ folder beside `file`, in the order of their names; none without the folder. */
function buttonFilesBeside(file: string): string[] {
  const folder = path.join(path.dirname(file), 'buttons');
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((name) => /\.ya?ml$/.test(name) && statSync(path.join(folder, name), { throwIfNoEntry: false })?.isFile())
    .map((name) => ({ name, button: path.basename(name, path.extname(name)) }))
    .sort((a, b) => (a.button === b.button ? (a.name < b.name ? -1 : 1) : a.button < b.button ? -1 : 1))
    .map(({ name }) => path.join(folder, name));
}

/** What `read` returns from `file`, its problems added to `issues` in file order. */
function reading<T>(file: string, issues: SettingsIssue[], read: (reader: Reader) => T | undefined): T | undefined {
  let reader: Reader;
  try {
    reader = new Reader(file, readSource(file));
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    issues.push(...error.issues);
    return undefined;
  }
  const result = read(reader);
  issues.push(...inFileOrder(reader.issues));
  return reader.issues.length > 0 ? undefined : result;
}

function inFileOrder(issues: readonly SettingsIssue[]): SettingsIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Far above any real sequence; a bigger file is not a settings file, and is not parsed at all. */
const SETTINGS_MAX_BYTES = 1024 * 1024;

function readSource(file: string): string {
  const refuse = (message: string) => new SettingsError(file, [{ file, line: 1, column: 1, path: '', message }]);
  let bytes: number;
  try {
    bytes = statSync(file).size;
    if (bytes <= SETTINGS_MAX_BYTES) return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw refuse(`cannot read the settings file (${reason})`);
  }
  throw refuse(`the file is ${bytes} bytes; a settings file may be at most 1 MB (${SETTINGS_MAX_BYTES} bytes): is it the right file?`);
}

