// Bundles the bot into one file that runs with plain `node` and no node_modules: what the deployment ships.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bundlePath = path.join(root, 'dist', 'bot.cjs');

export async function buildBot(): Promise<string> {
  await build({
    entryPoints: [path.join(root, 'bot', 'src', 'main.ts')],
    outfile: bundlePath,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return bundlePath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildBot();
  console.log(`bundled the bot into ${path.relative(process.cwd(), out)}`);
}
