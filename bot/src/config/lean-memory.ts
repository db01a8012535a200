// How the deployed bot runs Node (the systemd unit uses these, and so does `npm run bench`), each kept for
// the resident memory it saves after 1,000 presses (`npm run bench`, its "flags" part; single runs vary by
// 2 MB): a small young generation is the large gain (about 22 MB); one malloc arena stops glibc from keeping
// memory per thread (about 7 MB below glibc's default); a fixed mmap threshold keeps glibc giving back the
// large blocks it maps (freeing one, such as the compile caches read at start, raises the threshold, and
// blocks below it then stay in the heap: 2 to 4 MB); the capped old generation bounds what a slow growth
// could take from a 512 MB droplet. Left out, for gaining no more than the noise of a run: --v8-pool-size=1,
// UV_THREADPOOL_SIZE=1, 2 MB semi-spaces; a 32 MB old generation (little room above the bot's 17 MB live
// heap); and --optimize-for-size and --memory-saver-mode, which V8 counts in the hash its code caches carry:
// Node's cache of its own modules is then refused, and every start takes 25 to 60 ms longer.
export const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=96'];
export const LEAN_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' };
