// How the deployed bot runs Node (the systemd unit uses these, and so does `npm run bench`), each chosen by
// the resident memory it saves after 1,000 presses (`npm run bench`, part "flags"; figures in the README):
// a small young generation (the largest gain) and a capped old one keep the heap near what the bot really
// holds; one malloc arena, and one V8 worker thread, stop glibc and V8 from keeping memory per thread (a
// small droplet has one CPU: more threads would not run in parallel anyway). UV_THREADPOOL_SIZE=1 saved
// nothing, and would queue DNS lookups behind the journal's flushes: it is left out.
export const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=96', '--v8-pool-size=1'];
export const LEAN_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
