// What one release holds, read from the local disk: the bundle, settings.yaml and the files its steps
// send, each with its content hash. The hashes name the release, so only a real change uploads again.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BotSettings } from '../bot/src/settings/types.ts';
import { RELEASE_FILES } from './layout.ts';

export interface ReleaseFile {
  /** Path inside the release directory, with `/` separators. */
  readonly name: string;
  readonly localPath: string;
  readonly sha256: string;
}

export interface Release {
  /** Short content hash of all files: the name of the release directory. */
  readonly id: string;
  readonly files: readonly ReleaseFile[];
  /** `sha256  name` lines, as `sha256sum --check` reads them. */
  readonly checksums: string;
}

export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function collectRelease(bot: BotSettings, bundlePath: string): Release {
  const root = path.dirname(bot.sourcePath);
  const entries = new Map<string, string>([
    [RELEASE_FILES.bundle, bundlePath],
    [RELEASE_FILES.settings, bot.sourcePath],
  ]);
  // esbuild's linked legal comments travel with the bundle they belong to.
  const legal = `${bundlePath}.LEGAL.txt`;
  if (existsSync(legal)) entries.set(`${RELEASE_FILES.bundle}.LEGAL.txt`, legal);
  // The buttons/ folder keeps its place beside settings.yaml, where the bot looks for it.
  if (bot.folder) for (const button of bot.buttons) entries.set(releaseName(root, button.sourcePath), button.sourcePath);
  for (const settings of bot.buttons) {
    for (const step of settings.steps) {
      if (step.file === undefined) continue;
      // The bot resolves files against the folder of the file that names them; on the droplet settings.yaml's folder is the release.
      const name = releaseName(root, step.file.path);
      const where = `${path.basename(settings.sourcePath)}, step ${step.number}`;
      if (path.posix.isAbsolute(name) || name === '..' || name.startsWith('../')) {
        throw new ReleaseError(`${where}: ${step.file.relativePath} is outside the folder of ${path.basename(bot.sourcePath)}; move the file beside it so it can be deployed`);
      }
      if (Object.values(RELEASE_FILES).includes(name as never)) {
        throw new ReleaseError(`${where}: the file name ${name} is reserved for the deployment; rename the file`);
      }
      entries.set(name, step.file.path);
    }
  }
  const files = [...entries]
    .map(([name, localPath]) => ({ name, localPath, sha256: sha256(readFileSync(localPath)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const checksums = files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return { id: sha256(checksums).slice(0, 16), files, checksums };
}

/** A path as it is named in the release: relative to settings.yaml's folder, with `/` separators. */
function releaseName(root: string, file: string): string {
  return path.posix.normalize(path.relative(root, file).split(path.sep).join('/'));
}
