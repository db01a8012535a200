// `npm run bench`: how fast the bot presses and starts, and how much memory it keeps, each beside a floor
// measured in the same run on the same machine (a figure alone says as much about the machine as the bot):
// - each press of the 2016 seed against fakes that answer 50 ms after each request arrives, beside the floor
//   (bot/bench/floor.ts: node:http and undici making as many dependent requests to the same fake as that
//   press's critical path); bot and floor start fresh in each round, settle for half a second (a deployed bot
//   starts long before its first press), and take turns, press by press. Goal ≤ 1.05.
// - start-up, from spawning node to the first healthy answer, for the bundle (run as the systemd unit runs
//   it, its compile cache warm) and the source, beside `node -e 0`. Goal: the bundle within 5×.
// - resident memory after 1,000 presses, beside the floor with Express (the bot's own server library), under
//   the same flags. Goal ≤ 1.15. Then 3,000 presses with escalation timers and open status pages: no growth of
//   what stays once the bot idles (V8 keeps more pages while presses come without a pause, and gives them back).
// BENCH_BASELINE=<folder of another checkout, npm-installed> runs that release's bundle, as its unit runs it, beside this one in
// every round, for before-and-after figures from the same minute. BENCH_ROUNDS sets the rounds (default 7);
// BENCH_PARTS=presses,startup,memory,flags runs only those parts.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBot } from '../../scripts/build.ts';
import { LEAN_ENVIRONMENT, LEAN_NODE_FLAGS } from '../src/config/lean-memory.ts';
import { startFakeTwilio } from '../test/fakes/twilio.ts';
import { startFakeWebex } from '../test/fakes/webex.ts';
import { liveEnv, repoRoot, seedSettings, startBot, TEST_TOKENS, workspace, type BotProcess } from '../test/support/bot-process.ts';

const LATENCY_MS = 50;
/** Dependent round trips per press of the seed: find room → create room → (members ∥ message); SMS/call → record line. */
const CRITICAL_PATH = [3, 2, 2, 1, 1, 1, 1];
/** How long the memory part lets the bot idle before it reads what a run of presses left behind. */
const IDLE_MS = 20_000;
/** Between a start and the first press (the start-up part measures what a press at start waits for). */
const SETTLE_MS = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const parts = new Set((process.env.BENCH_PARTS ?? 'presses,startup,memory,flags').split(','));
const seed = `${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`;
/** The floor, bundled like the bot: no type stripping, one file to compile. */
const floorEntry = path.join(mkdtempSync(path.join(tmpdir(), 'bttn-floor-')), 'floor.cjs');
await build({ entryPoints: [path.join(repoRoot, 'bot/bench/floor.ts')], outfile: floorEntry, bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, logLevel: 'warning' });

/** Fakes of their own for each server, so that none finds the room another made. */
const fakes = async () => ({
  webex: await startFakeWebex({ token: TEST_TOKENS.webex, latencyMs: LATENCY_MS }),
  twilio: await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken, latencyMs: LATENCY_MS }),
});
const { webex } = await fakes(); // the floor's
const bundle = await buildBot();
const compileCache = mkdtempSync(path.join(tmpdir(), 'bttn-compile-cache-'));
/** As each release's unit runs it: its memory flags, and a compile cache of its own. */
type Contestant = Awaited<ReturnType<typeof fakes>> & { readonly name: string; readonly entry: string; readonly flags: readonly string[]; readonly unitEnv: Record<string, string> };
const bots: Contestant[] = [{ name: 'bot', entry: bundle, ...(await fakes()), flags: LEAN_NODE_FLAGS, unitEnv: { ...LEAN_ENVIRONMENT, NODE_COMPILE_CACHE: compileCache } }];
if (process.env.BENCH_BASELINE !== undefined) bots.push({ name: 'baseline', entry: buildBaseline(process.env.BENCH_BASELINE), ...(await fakes()), ...(await baselineUnit(process.env.BENCH_BASELINE)) });
const envOf = (bot: typeof bots[number]) => ({ ...liveEnv(bot.webex.url, bot.twilio.url), ...bot.unitEnv });
const resetFakes = () => { for (const fake of [webex, ...bots.flatMap((bot) => [bot.webex, bot.twilio])]) fake.reset(); };
const setLatency = (ms: number) => { for (const fake of [webex, ...bots.flatMap((bot) => [bot.webex, bot.twilio])]) fake.latencyMs = ms; };
const cpus = (await import('node:os')).cpus().length;
console.log(`Machine: ${cpus} cores, load average ${(await import('node:os')).loadavg().map((load) => load.toFixed(2)).join(' ')}; node ${process.version}.`);

// ── Presses ────────────────────────────────────────────────────────────────────────────────────────────────
if (parts.has('presses')) await presses();
if (parts.has('startup')) await startUp();
if (parts.has('memory')) await memoryUse();
if (parts.has('flags')) await flagGains();
await Promise.all([webex, ...bots.flatMap((contestant) => [contestant.webex, contestant.twilio])].map((fake) => fake.close()));
process.exit(0);

async function presses(): Promise<void> {
  console.log(`\nPresses of the seed sample, bundle run as the unit runs it; fakes answer ${LATENCY_MS} ms after each request arrives; median of ${ROUNDS} rounds, each with fresh servers taking turns:`);
  const times = new Map<string, number[][]>([...bots.map(({ name }) => [name, []] as [string, number[][]]), ['floor', []]]);
  for (let round = 0; round < ROUNDS; round++) {
    resetFakes();
    const floor = await startFloor({});
    const started = await Promise.all(bots.map(async (bot) => ({ name: bot.name, bot: await startBot({ folder: workspace(seed), env: envOf(bot), entry: bot.entry, nodeFlags: bot.flags }) })));
    // A deployed bot starts long before its first press: each server gets this long to settle after it listens.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const row = new Map<string, number[]>([...times.keys()].map((name) => [name, []]));
    for (let press = 0; press < CRITICAL_PATH.length; press++) {
      // Who goes first changes with each round and press, so neither always follows the other.
      const turns = [...started.map(({ name, bot }) => ({ name, go: () => timed(() => bot.press().then(check(name, press))) })),
        { name: 'floor', go: () => timed(() => floor.press(CRITICAL_PATH[press]!)) }];
      for (let turn = 0; turn < turns.length; turn++) {
        const { name, go } = turns[(turn + round + press) % turns.length]!;
        row.get(name)!.push(await go());
      }
    }
    for (const [name, row_] of row) times.get(name)!.push(row_);
    await Promise.all([floor.stop(), ...started.map(({ bot }) => bot.stop())]);
}
const medianOf = (name: string, press: number) => median(times.get(name)!.map((row) => row[press]!));
CRITICAL_PATH.forEach((trips, press) => {
  const floor = medianOf('floor', press);
  const ratios = bots.map(({ name }) => `${name} ${medianOf(name, press).toFixed(1)} ms, ratio ${(medianOf(name, press) / floor).toFixed(3)}`);
  console.log(`  press ${press + 1} (${trips} round trips): floor ${floor.toFixed(1)} ms; ${ratios.join('; ')}`);
});
for (const { name } of bots) {
  // The ratio of each round's press to the same round's floor, then the median: the noise of a round cancels.
  const perRound = CRITICAL_PATH.map((_, press) => median(times.get(name)!.map((row, round) => row[press]! / times.get('floor')![round]![press]!)));
  console.log(`  ${name}: worst press ${Math.max(...CRITICAL_PATH.map((_, press) => medianOf(name, press) / medianOf('floor', press))).toFixed(3)}× the floor`
    + ` (median of per-round ratios: worst ${Math.max(...perRound).toFixed(3)}, each ${perRound.map((ratio) => ratio.toFixed(3)).join(' ')}; goal ≤ 1.05)`);
}

}

async function startUp(): Promise<void> {
  // ── Start-up ───────────────────────────────────────────────────────────────────────────────────────────────
  const starts: { readonly name: string; readonly run: (lingerMs?: number) => Promise<number> }[] = [
    { name: 'node -e 0', run: () => timed(() => new Promise((resolve) => spawn(process.execPath, ['-e', '0']).once('exit', resolve))) },
    ...bots.map((bot) => ({ name: `${bot.name} bundle`, run: (lingerMs?: number) => timeToHealth(bot.entry, envOf(bot), bot.flags, lingerMs) })),
    { name: 'bot source (npm start)', run: (lingerMs?: number) => timeToHealth(path.join(repoRoot, 'bot/src/start.ts'), liveEnv(bots[0]!.webex.url, bots[0]!.twilio.url), [], lingerMs) },
  ];
  // Warms the compile caches and the file cache; each bot runs on a while, as a deployed one does, long enough
  // for the bundle to write the cache of its start-up (scripts/build.ts).
  for (const start of starts) await start.run(5000);
  const startTimes = new Map<string, number[]>(starts.map(({ name }) => [name, []]));
  for (let run = 0; run < ROUNDS; run++) for (const { name, run: go } of starts) startTimes.get(name)!.push(await go());
  const bare = median(startTimes.get('node -e 0')!);
  console.log(`\nStart-up to the first healthy answer, median of ${ROUNDS} starts, taking turns (bundles as the unit runs them, compile cache warm):`);
  for (const [name, samples] of startTimes) console.log(`  ${name}: ${median(samples).toFixed(0)} ms, ${(median(samples) / bare).toFixed(2)}× node -e 0${name.includes('bundle') ? ' (goal ≤ 5×)' : ''}`);

}

async function memoryUse(): Promise<void> {
  // ── Memory ─────────────────────────────────────────────────────────────────────────────────────────────────
  setLatency(0);
  console.log('\nResident memory after 1,000 presses, each under the unit\'s flags:');
  const floorMemory = await startFloor({ FLOOR_EXPRESS: '1' });
  const bareFloorMemory = await startFloor({});
  for (let press = 0; press < 1000; press++) await Promise.all([floorMemory.press(CRITICAL_PATH[press % CRITICAL_PATH.length]!), bareFloorMemory.press(1)]);
  const floorRss = memory(floorMemory.pid);
  console.log(`  floor (Express, undici): ${mb(floorRss.rss)} MB (${mb(floorRss.anon)} MB private); bare floor (node:http, undici): ${mb(memory(bareFloorMemory.pid).rss)} MB`);
  await Promise.all([floorMemory.stop(), bareFloorMemory.stop()]);
  for (const contestant of bots) {
    const bot = await startBot({ folder: workspace(seed), env: envOf(contestant), entry: contestant.entry, nodeFlags: contestant.flags });
    await pressSequences(bot, 1000);
    const rss = memory(bot.pid);
    console.log(`  ${contestant.name}: ${mb(rss.rss)} MB (${mb(rss.anon)} MB private, ${mb(rss.file)} MB mapped from files, mostly the node binary), ${(rss.rss / floorRss.rss).toFixed(3)}× the floor (goal ≤ 1.15)`);
    await bot.stop();
}

// Timers that step the escalation by themselves between presses (as often as the settings allow: one second),
// and three status pages kept open.
const escalating = seed.replace('\nbt.tn:', '\nescalate_after: 0.017\nbt.tn:');
const bot = await startBot({ folder: workspace(escalating), env: envOf(bots[0]!), entry: bundle, nodeFlags: LEAN_NODE_FLAGS });
const pages = new AbortController();
for (let page = 0; page < 3; page++) void readStream(`${bot.pressUrl.replace('/press/', '/status/')}/events`, pages.signal);
// Pressed without a pause, V8 fills its old generation up to its limit (1.3 times the live heap, under the 96 MB
// cap) before it collects; once the bot idles, as a deployed one does between presses, its memory reducer gives
// the free pages back. What a press leaves behind for good shows in the second figure.
const underLoad: number[] = [];
const retained: number[] = [];
for (let thousand = 1; thousand <= 3; thousand++) {
  await pressSequences(bot, 1000);
  underLoad.push(memory(bot.pid).rss);
  if (thousand !== 2) retained.push(await idleRss(bot.pid));
}
const growth = (from: number, to: number) => `${((to / from - 1) * 100).toFixed(1)} %`;
console.log(`  bot, escalating by timers with 3 status pages open: ${underLoad.map((rss, i) => `${mb(rss)} MB after ${(i + 1) * 1000}`).join(', ')} presses without a pause`
  + ` (${growth(underLoad[0]!, underLoad[2]!)} from 1,000 to 3,000);`);
console.log(`    after ${IDLE_MS / 1000} s idle: ${mb(retained[0]!)} MB after 1,000 presses, ${mb(retained[1]!)} MB after 3,000: growth ${growth(retained[0]!, retained[1]!)} (goal: none)`);
pages.abort();
await bot.stop();
}

/** Each of the unit's memory flags, and the candidates, by the resident memory they leave after 1,000 presses. */
async function flagGains(): Promise<void> {
  setLatency(0);
  const without = (name: string) => Object.fromEntries(Object.entries(LEAN_ENVIRONMENT).filter(([key]) => key !== name));
  const variants: { readonly name: string; readonly flags: readonly string[]; readonly env: Record<string, string> }[] = [
    { name: 'no flags', flags: [], env: {} },
    { name: 'the unit\'s flags', flags: LEAN_NODE_FLAGS, env: LEAN_ENVIRONMENT },
    ...LEAN_NODE_FLAGS.map((flag) => ({ name: `  without ${flag}`, flags: LEAN_NODE_FLAGS.filter((other) => other !== flag), env: LEAN_ENVIRONMENT })),
    ...Object.entries(LEAN_ENVIRONMENT).map(([name, value]) => ({ name: `  without ${name}=${value}`, flags: LEAN_NODE_FLAGS, env: without(name) })),
    // Candidates left out, and the unit's earlier choice.
    { name: '  with MALLOC_ARENA_MAX=2 instead', flags: LEAN_NODE_FLAGS, env: { ...LEAN_ENVIRONMENT, MALLOC_ARENA_MAX: '2' } },
    { name: '  with --v8-pool-size=1', flags: [...LEAN_NODE_FLAGS, '--v8-pool-size=1'], env: LEAN_ENVIRONMENT },
    { name: '  with UV_THREADPOOL_SIZE=1', flags: LEAN_NODE_FLAGS, env: { ...LEAN_ENVIRONMENT, UV_THREADPOOL_SIZE: '1' } },
    // Against the growth over 3,000 presses: the bot's live heap stays flat, V8 keeps more old-generation pages.
    { name: '  with --optimize-for-size', flags: [...LEAN_NODE_FLAGS, '--optimize-for-size'], env: LEAN_ENVIRONMENT },
    { name: '  with --memory-saver-mode', flags: [...LEAN_NODE_FLAGS, '--memory-saver-mode'], env: LEAN_ENVIRONMENT },
    { name: '  with --max-old-space-size=32 instead', flags: [...LEAN_NODE_FLAGS.filter((flag) => !flag.startsWith('--max-old-space-size=')), '--max-old-space-size=32'], env: LEAN_ENVIRONMENT },
    { name: '  with --max-semi-space-size=2 instead', flags: [...LEAN_NODE_FLAGS.filter((flag) => !flag.startsWith('--max-semi-space-size=')), '--max-semi-space-size=2'], env: LEAN_ENVIRONMENT },
  ];
  console.log(`\nResident memory of the bot after 1,000 presses, by flags (median of ${Math.min(ROUNDS, 3)} runs; the unit's: ${[...LEAN_NODE_FLAGS, ...Object.entries(LEAN_ENVIRONMENT).map(([name, value]) => `${name}=${value}`)].join(' ')}):`);
  const contestant = bots[0]!;
  for (const variant of variants) {
    const samples: number[] = [];
    for (let run = 0; run < Math.min(ROUNDS, 3); run++) {
      // The compile caches as the unit has them: reading them is part of what the allocator keeps.
      const bot = await startBot({ folder: workspace(seed), env: { ...liveEnv(contestant.webex.url, contestant.twilio.url), NODE_COMPILE_CACHE: compileCache, ...variant.env }, entry: contestant.entry, nodeFlags: variant.flags });
      await pressSequences(bot, 1000);
      samples.push(memory(bot.pid).rss);
      await bot.stop();
    }
    console.log(`  ${variant.name}: ${mb(median(samples))} MB`);
  }
}

// ── Helpers ────────────────────────────────────────────────────────────────────────────────────────────────

interface Floor {
  readonly pid: number;
  press(trips: number): Promise<void>;
  stop(): Promise<void>;
}

async function startFloor(extra: Record<string, string>): Promise<Floor> {
  const child = spawn(process.execPath, [...LEAN_NODE_FLAGS, floorEntry], {
    env: { PATH: process.env.PATH, ...LEAN_ENVIRONMENT, FLOOR_TARGET: webex.url, FLOOR_TOKEN: TEST_TOKENS.webex, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening port=(\d+)/.exec(output);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the floor exited (${code}): ${output}`)));
  });
  return {
    pid: child.pid!,
    async press(trips) {
      const answer = await fetch(`http://127.0.0.1:${port}/press/${trips}`, { method: 'POST' });
      if (answer.status !== 200) throw new Error(`the floor failed: ${await answer.text()}`);
      await answer.arrayBuffer();
    },
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function check(name: string, press: number) {
  return (answer: { status: number; body: unknown }) => {
    if (answer.status !== 200) throw new Error(`${name}: press ${press + 1} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** From spawning node to the first 200 of /health (polled as fast as the bench can). */
async function timeToHealth(entry: string, environment: Record<string, string>, flags: readonly string[], lingerMs = 0): Promise<number> {
  const folder = workspace(seed);
  const state = mkdtempSync(path.join(tmpdir(), 'bttn-state-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...flags, entry], {
    cwd: folder, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BTTN_TOKEN: TEST_TOKENS.button, PORT: '0', HOST: '127.0.0.1', BTTN_STATE_DIR: state, ...environment },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  let port: number | undefined;
  for (;;) {
    port ??= Number(/^started .*\bport=(\d+)/m.exec(output)?.[1]) || undefined;
    if (port !== undefined && (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200) break;
    if (child.exitCode !== null) throw new Error(`${entry} exited: ${output}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = performance.now() - started;
  if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
  await stop(child);
  return elapsed;
}

/** Presses whole sequences, and starts the sequence again after each, so every kind of step keeps running. */
async function pressSequences(bot: BotProcess, presses: number): Promise<void> {
  const statusUrl = bot.pressUrl.replace('/press/', '/status/');
  for (let press = 1; press <= presses; press++) {
    await bot.press();
    if (press % CRITICAL_PATH.length === 0) {
      await fetch(`${statusUrl}/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deleteRoom":false}' });
    }
  }
}

async function readStream(url: string, signal: AbortSignal): Promise<void> {
  try {
    const response = await fetch(url, { signal });
    for await (const chunk of response.body!) void chunk;
  } catch {
    // Aborted at the end of the bench.
  }
}

/** The least resident memory over IDLE_MS without presses: V8's memory reducer starts after about 8 s of quiet. */
async function idleRss(pid: number): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let waited = 0; waited < IDLE_MS; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    least = Math.min(least, memory(pid).rss);
  }
  return least;
}

function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** How the other release's unit runs its bundle: its own memory flags, and a compile cache where its unit has one. */
async function baselineUnit(folder: string): Promise<{ flags: readonly string[]; unitEnv: Record<string, string> }> {
  const lean = await import(path.join(folder, 'bot/src/config/lean-memory.ts')) as typeof import('../src/config/lean-memory.ts');
  const cached = readFileSync(path.join(folder, 'infra/render/unit.ts'), 'utf8').includes('NODE_COMPILE_CACHE');
  return { flags: lean.LEAN_NODE_FLAGS, unitEnv: { ...lean.LEAN_ENVIRONMENT, ...(cached ? { NODE_COMPILE_CACHE: mkdtempSync(path.join(tmpdir(), 'bttn-compile-cache-')) } : {}) } };
}

/** The other release's bundle, built by its own build script from its own folder. */
function buildBaseline(folder: string): string {
  const built = spawnSync(process.execPath, ['scripts/build.ts'], { cwd: folder, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`the baseline in ${folder} did not build: ${built.stderr}`);
  return path.join(folder, 'dist', 'bot.cjs');
}
