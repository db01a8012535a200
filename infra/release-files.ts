// What one release holds, read from the local disk: the bundle, settings.yaml and the files its steps
// send, each with its content hash. The hashes name the release, so only a real change uploads again.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../bot/src/settings/types.ts';
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

export function collectRelease(settings: Settings, bundlePath: string): Release {
  const entries = new Map<string, string>([
    [RELEASE_FILES.bundle, bundlePath],
    [RELEASE_FILES.settings, settings.sourcePath],
  ]);
  // esbuild's linked legal comments travel with the bundle they belong to.
  const legal = `${bundlePath}.LEGAL.txt`;
  if (existsSync(legal)) entries.set(`${RELEASE_FILES.bundle}.LEGAL.txt`, legal);
  for (const step of settings.steps) {
    if (step.file === undefined) continue;
    const name = path.posix.normalize(step.file.relativePath.split(path.sep).join('/'));
    // The bot resolves files against the settings folder; on the droplet that folder is the release.
    if (path.posix.isAbsolute(name) || name === '..' || name.startsWith('../')) {
      throw new ReleaseError(`step ${step.number}: ${step.file.relativePath} is outside the folder of ${path.basename(settings.sourcePath)}; move the file beside it so it can be deployed`);
    }
    if (Object.values(RELEASE_FILES).includes(name as never)) {
      throw new ReleaseError(`step ${step.number}: the file name ${name} is reserved for the deployment; rename the file`);
    }
    entries.set(name, step.file.path);
  }
  const files = [...entries]
    .map(([name, localPath]) => ({ name, localPath, sha256: sha256(readFileSync(localPath)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const checksums = files.map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return { id: sha256(checksums).slice(0, 16), files, checksums };
}
