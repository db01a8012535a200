// Bundles the bot into one file that runs with plain `node` and no node_modules: what the deployment ships.
import { build, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PRESS_COMPILED_EVENT } from '../bot/src/config/code-cache.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bundlePath = path.join(root, 'dist', 'bot.cjs');

/**
 * The Twilio SDK's modules the bot never runs stay out of the bundle, which makes loading the SDK several
 * times faster (it is loaded at start): each is replaced by a module that says so if it is ever used.
 * - the client loads each of its ~38 API domains on first use; the bot only uses Api (messages and calls);
 * - the default HTTP client (axios and its agents): the bot always gives the SDK its own (twilio/client.ts);
 * - the account's resources other than messages and calls, and theirs, which the SDK loads all at once.
 */
const LEFT_OUT: readonly { readonly importer: string; readonly path: RegExp; readonly kept: ReadonlySet<string> }[] = [
  { importer: path.join('twilio', 'lib', 'rest', 'Twilio.js'), path: /^\.\/[A-Z]\w*$/, kept: new Set(['./Api']) },
  { importer: path.join('twilio', 'lib', 'base', 'BaseTwilio.js'), path: /^\.\/RequestClient$/, kept: new Set() },
  { importer: path.join('twilio', 'lib', 'rest', 'api', 'v2010', 'account.js'), path: /^\.\/account\/\w+$/, kept: new Set(['./account/call', './account/message']) },
  { importer: path.join('twilio', 'lib', 'rest', 'api', 'v2010', 'account', 'call.js'), path: /^\.\/call\/\w+$/, kept: new Set() },
  { importer: path.join('twilio', 'lib', 'rest', 'api', 'v2010', 'account', 'message.js'), path: /^\.\/message\/\w+$/, kept: new Set() },
];

const onlyWhatTheBotUsesOfTwilio: Plugin = {
  name: 'only-what-the-bot-uses-of-twilio',
  setup(builder) {
    builder.onResolve({ filter: /^\.\// }, (args) => {
      const rule = LEFT_OUT.find((candidate) => args.importer.endsWith(candidate.importer) && candidate.path.test(args.path) && !candidate.kept.has(args.path));
      return rule === undefined ? undefined : { path: `${path.basename(args.importer, '.js')}/${args.path.slice(2)}`, namespace: 'twilio-left-out' };
    });
    // Used as a constructor (a domain), or for its exports (a resource's list, the HTTP client): either way, it says what is missing.
    builder.onLoad({ filter: /.*/, namespace: 'twilio-left-out' }, (args) => ({
      contents: `const missing = function () { throw new Error('the Twilio SDK module ${args.path} is not in the bot bundle (see scripts/build.ts)'); };
module.exports = new Proxy(missing, { get: (target, key) => (key === '__esModule' ? false : missing) });`,
    }));
  },
};

/**
 * undici's index loads all of undici (fetch, WebSocket, EventSource, mocks, caches), and its cookies module
 * reads globalThis.Headers, which makes Node load its own copy of undici too: tens of milliseconds of every
 * start. The bot uses an Agent (with the request() every dispatcher gets, and none of the other calls); the
 * bundle gives the bot's imports of 'undici' just that. The Agent's HTTP/2 client is left out
 * as well: it loads Node's http2 (about 10 ms) at start, and runs only for an Agent made with allowH2, which
 * the build refuses.
 */
const UNDICI_EXPORTS = ['Agent'];
const onlyWhatTheBotUsesOfUndici: Plugin = {
  name: 'only-what-the-bot-uses-of-undici',
  setup(builder) {
    builder.onResolve({ filter: /^undici$/ }, (args) => {
      if (!args.importer.startsWith(path.join(root, 'bot', 'src'))) return undefined;
      const source = readFileSync(args.importer, 'utf8');
      // A name the subset lacks would be undefined at run time: the build refuses it instead.
      const names = [...source.matchAll(/^import (?!type )\{([^}]*)\} from 'undici';/gm)].flatMap((match) => match[1]!.split(',').map((name) => name.trim()));
      const missing = names.filter((name) => name !== '' && !name.startsWith('type ') && !UNDICI_EXPORTS.includes(name));
      if (missing.length > 0) return { errors: [{ text: `${args.importer} imports ${missing.join(', ')} from undici: add it to the bundle's subset (scripts/build.ts)` }] };
      if (source.includes('allowH2')) return { errors: [{ text: `${args.importer} mentions allowH2: the bundle leaves out undici's HTTP/2 client (scripts/build.ts)` }] };
      return { path: 'undici', namespace: 'undici-subset' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'undici-subset' }, () => ({
      resolveDir: root,
      contents: `require('undici/lib/dispatcher/dispatcher').prototype.request = require('undici/lib/api/api-request');
module.exports = { Agent: require('undici/lib/dispatcher/agent') };`,
    }));
    builder.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) => (args.importer.endsWith(path.join('undici', 'lib', 'dispatcher', 'client.js')) ? { path: 'client-h2', namespace: 'undici-left-out' } : undefined));
    builder.onLoad({ filter: /.*/, namespace: 'undici-left-out' }, () => ({
      contents: "module.exports = function connectH2() { throw new Error('undici\\'s HTTP/2 client is not in the bot bundle (see scripts/build.ts)'); };",
    }));
  },
};

/** The extensions Express looks up for the bot (res.send: html, bin; res.sendStatus: txt; req.accepts, req.is). */
const MIME_EXTENSIONS = ['html', 'json', 'txt', 'bin', 'urlencoded', 'xml'];
/** The types the bot answers with: res.set('Content-Type') asks for each, and again with the charset res.send adds. */
const MIME_TYPES = ['application/json', 'text/html', 'text/plain', 'text/xml', 'application/octet-stream'];
const MIME_QUESTIONS = {
  lookup: MIME_EXTENSIONS,
  contentType: [...MIME_EXTENSIONS, ...MIME_TYPES, ...MIME_TYPES.map((type) => `${type}; charset=utf-8`)],
};
const mimeTypes = createRequire(path.join(root, 'package.json')).resolve('mime-types');
/**
 * Express asks mime-types a handful of questions while answering (res.json, res.type('html'), res.send,
 * req.accepts, req.is), and mime-types loads and indexes all of mime-db (200 KB of JSON) to answer any: about
 * 15 ms of every start, before the first health check. The bundle answers the questions the bot's answers ask
 * from a table made here by the real mime-types, and loads it only for a question not in the table, so every
 * answer is the one the real module gives.
 */
const answeredMimeQuestions: Plugin = {
  name: 'answered-mime-questions',
  setup(builder) {
    builder.onResolve({ filter: /^mime-types$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const resolved = await builder.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real' });
      return resolved.path === mimeTypes ? { path: 'mime-types', namespace: 'answered-mime-questions' } : resolved;
    });
    builder.onLoad({ filter: /.*/, namespace: 'answered-mime-questions' }, () => {
      const real = createRequire(mimeTypes)(mimeTypes) as Record<string, (question: string) => unknown>;
      const answers = Object.fromEntries(Object.entries(MIME_QUESTIONS).map(([kind, questions]) => [kind, Object.fromEntries(questions.map((question) => [question, real[kind]!(question)]))]));
      return {
        resolveDir: path.dirname(mimeTypes),
        contents: `const answers = ${JSON.stringify(answers)};
let real;
const load = () => (real ??= require(${JSON.stringify(mimeTypes)}));
const answer = (kind) => (question) => (typeof question === 'string' && Object.hasOwn(answers[kind], question) ? answers[kind][question] : load()[kind](question));
module.exports = { lookup: answer('lookup'), contentType: answer('contentType'), charset: (type) => load().charset(type), extension: (type) => load().extension(type) };
for (const name of ['charsets', 'extensions', 'types', '_extensionConflicts']) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
      };
    });
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
    plugins: [onlyWhatTheBotUsesOfTwilio, onlyWhatTheBotUsesOfUndici, answeredMimeQuestions],
  });
  writeFileSync(bundlePath, withStartUpCache(asciiOnly(readFileSync(bundlePath, 'utf8'))));
  return bundlePath;
}

/**
 * Node's compile cache (NODE_COMPILE_CACHE, which the unit sets) keeps only the code V8 compiles before a
 * file runs; every function the start runs is compiled again at each start, about a quarter of it. The
 * bundle keeps its own cache beside Node's, made by V8 once the bot has started, with those functions in it:
 * the bot's code is a function the file declares and never calls, compiled from its own text (the same
 * string, not a copy) by a vm.Script that reads the cache, or writes it a few seconds after a start without
 * one, and again after that run's first press (config/code-cache.ts), with the code of a press in it; each
 * write goes through a temporary file, so a start never reads half a cache (an older release's caches, and a
 * temporary file a crash left, are removed). The file name carries a hash of the code, as V8 checks only
 * the length of the text a cache is for.
 */
function withStartUpCache(code: string): string {
  const bot = `function __botBundle(exports,require,module,__filename,__dirname){${code}\n}\n`;
  const cacheName = `bot-${createHash('sha256').update(bot).digest('hex').slice(0, 16)}.v8-code-cache`;
  const boot = `"use strict";{const fs=require("node:fs"),path=require("node:path"),{Script}=require("node:vm");
const dir=process.env.NODE_COMPILE_CACHE,file=dir&&path.join(dir,${JSON.stringify(cacheName)});let cachedData;
if(file)try{cachedData=fs.readFileSync(file)}catch{}
const script=new Script(String(__botBundle),{filename:__filename,cachedData});
const save=()=>{try{for(const old of fs.readdirSync(dir))if(/^bot-\\w+\\.v8-code-cache/.test(old)&&!old.startsWith(${JSON.stringify(cacheName)}))fs.rmSync(path.join(dir,old));fs.writeFileSync(file+".tmp",script.createCachedData());fs.renameSync(file+".tmp",file)}catch{}};
if(file&&(cachedData===undefined||script.cachedDataRejected)){setTimeout(save,${START_UP_CACHE_AFTER_MS}).unref();process.once(${JSON.stringify(PRESS_COMPILED_EVENT)},()=>setTimeout(save,${PRESS_CACHE_AFTER_MS}).unref())}
script.runInThisContext();const bot=globalThis.__botBundle;globalThis.__botBundle=undefined;bot(exports,require,module,__filename,__dirname)}
`;
  return boot + bot;
}
/** Long after a start (a fraction of a second), so the cache holds all of it. */
const START_UP_CACHE_AFTER_MS = 2000;
/** After the first press's answer, once its late actions have most likely run too. */
const PRESS_CACHE_AFTER_MS = 1000;

/**
 * V8 keeps a script's source for as long as it runs, one byte a character if every character fits in one, and
 * two bytes each otherwise: one curly quote in a regular expression (esbuild escapes strings, not those) made
 * the bundle's 1.4 MB cost 2.8 MB of every running bot. Escaped, each character means the same in a regular
 * expression as in a string, and comments (where it would not) are gone from the minified bundle.
 */
function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildBot();
  console.log(`bundled the bot into ${path.relative(process.cwd(), out)}`);
}
