// Bundles the bot into one file that runs with plain `node` and no node_modules: what the deployment ships.
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bundlePath = path.join(root, 'dist', 'bot.cjs');

/**
 * Twilio's client loads each of its ~38 API domains on first use; the bot only uses Api (messages and
 * calls). The others stay out of the bundle: 2.6 MB less source for Node to parse at every start.
 */
const onlyTwilioApi: Plugin = {
  name: 'only-twilio-api',
  setup(builder) {
    const client = path.join('twilio', 'lib', 'rest', 'Twilio.js');
    builder.onResolve({ filter: /^\.\/[A-Z]\w*$/ }, (args) =>
      args.importer.endsWith(client) && args.path !== './Api' ? { path: args.path.slice(2), namespace: 'twilio-domain-left-out' } : undefined);
    builder.onLoad({ filter: /.*/, namespace: 'twilio-domain-left-out' }, (args) => ({
      contents: `module.exports = function () { throw new Error('the Twilio ${args.path} API is not in the bot bundle (see scripts/build.ts)'); };`,
    }));
  },
};

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
    plugins: [onlyTwilioApi],
  });
  return bundlePath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildBot();
  console.log(`bundled the bot into ${path.relative(process.cwd(), out)}`);
}
