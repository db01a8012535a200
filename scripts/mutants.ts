// `npm run mutants [-- 3 7 ...]`: the mutation check of the code that guards people and secrets. Each mutant of
// scripts/mutants/list.ts is applied alone to a scratch copy of the repository (the working tree is never
// touched), and the test files it names are run there; a mutant is killed when they fail. Prints each
// outcome, the score and every survivor; exits 1 when a mutant survives without the reason the list gives,
// when a mutant's code is no longer in its file, or when the tests fail with no mutant at all.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS, type Mutant } from './mutants/list.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A mutant that makes its tests hang (a lost answer waited for forever) counts as killed after this. */
const TIMEOUT_MS = 10 * 60_000;
const SKIPPED_IN_COPY = new Set(['node_modules', '.git', '.state', 'dist']);

type Outcome = { readonly killed: boolean; readonly timedOut: boolean; readonly ms: number; readonly output: string };

/** The mutants chosen on the command line (their numbers, from 1), or all. */
function chosen(): { readonly number: number; readonly mutant: Mutant }[] {
  const all = MUTANTS.map((mutant, index) => ({ number: index + 1, mutant }));
  const asked = process.argv.slice(2).map(Number);
  const unknown = asked.filter((number) => !Number.isInteger(number) || number < 1 || number > MUTANTS.length);
  if (unknown.length > 0) throw new Error(`no mutant numbered ${unknown.join(', ')}; they run from 1 to ${MUTANTS.length}`);
  return asked.length === 0 ? all : all.filter(({ number }) => asked.includes(number));
}

/** Each mutant's search text, once in its file: otherwise the code moved, and the mutant must be rewritten, never skipped. */
function stale(mutants: readonly { number: number; mutant: Mutant }[]): string[] {
  return mutants.flatMap(({ number, mutant }) => {
    const count = readFileSync(path.join(root, mutant.file), 'utf8').split(mutant.search).length - 1;
    if (count === 1) return [];
    return [count === 0 ? `mutant ${number}: its code is no longer in ${mutant.file}` : `mutant ${number}: its code is in ${mutant.file} ${count} times; make the search text unique`];
  });
}

function scratchCopy(): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'bttn-mutants-'));
  cpSync(root, copy, { recursive: true, filter: (source) => !SKIPPED_IN_COPY.has(path.relative(root, source).split(path.sep)[0] ?? '') });
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(copy, 'node_modules'));
  return copy;
}

function runTests(copy: string, files: readonly string[]): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
      cwd: copy, env: { ...process.env, PATH: `${path.join(copy, 'node_modules/.bin')}:${process.env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed: timedOut || code !== 0, timedOut, ms: performance.now() - started, output });
    });
  });
}

/** The names of the tests that failed, from the runner's report. */
function failedTests(output: string): string[] {
  const failing = output.split('✖ failing tests:')[1] ?? '';
  return [...new Set([...failing.matchAll(/^✖ (.+?)(?: \([\d.]+ms\))?$/gm)].map((match) => match[1]!))];
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

async function main(): Promise<void> {
  const mutants = chosen();
  const problems = stale(mutants);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error('mutants: FAIL (the code changed under these mutants: rewrite them in scripts/mutants/list.ts)');
    process.exit(1);
  }
  const started = performance.now();
  const copy = scratchCopy();
  try {
    const files = [...new Set(mutants.flatMap(({ mutant }) => mutant.tests))];
    console.log(`mutants: ${mutants.length} of ${MUTANTS.length}, against ${files.length} test files, in ${copy}`);
    const baseline = await runTests(copy, files);
    if (baseline.killed) {
      console.error(`${baseline.output}\nmutants: FAIL (the tests fail with no mutant: ${failedTests(baseline.output).join('; ') || 'see above'})`);
      process.exit(1);
    }
    console.log(`no mutant: the tests pass (${seconds(baseline.ms)})`);

    const survivors: { number: number; mutant: Mutant }[] = [];
    for (const { number, mutant } of mutants) {
      const file = path.join(copy, mutant.file);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace(mutant.search, () => mutant.replace));
      let outcome: Outcome;
      try {
        outcome = await runTests(copy, mutant.tests);
      } finally {
        writeFileSync(file, original);
      }
      const verdict = outcome.timedOut ? 'killed (timed out)' : outcome.killed ? 'killed' : mutant.survives === undefined ? 'SURVIVED' : 'survived, as explained';
      console.log(`mutant ${number} ${verdict} in ${seconds(outcome.ms)}: ${mutant.bug} (${mutant.file})`);
      if (outcome.killed && !outcome.timedOut) console.log(`  caught by: ${failedTests(outcome.output).slice(0, 3).join('; ')}`);
      if (!outcome.killed) survivors.push({ number, mutant });
    }

    const killed = mutants.length - survivors.length;
    console.log(`\nmutation score: ${killed} of ${mutants.length} killed (${Math.round((100 * killed) / mutants.length)}%) in ${seconds(performance.now() - started)}`);
    for (const { number, mutant } of survivors) {
      console.log(`survivor ${number}: ${mutant.bug} (${mutant.file})\n  ${mutant.survives ?? 'NOT EXPLAINED: write a test that catches it, or say in the list and the README why none can'}`);
    }
    const unexplained = survivors.filter(({ mutant }) => mutant.survives === undefined);
    console.log(unexplained.length === 0 ? 'mutants: PASS' : `mutants: FAIL (${unexplained.length} unexplained survivor${unexplained.length === 1 ? '' : 's'})`);
    if (unexplained.length > 0) process.exitCode = 1;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`mutants: FAIL (${error instanceof Error ? error.message : String(error)})`);
  process.exit(1);
});
