// How the deployed bot runs Node (the systemd unit uses these, and so does `npm run bench`), each kept for
// what `npm run bench` (its "flags" part; figures in the README) shows after 1,000 presses: a small young
// generation is the large gain (about 24 MB); one malloc arena stops glibc from keeping memory per thread
// (about 11 MB below glibc's default, 5 MB below two arenas); the capped old generation saves a few MB and
// bounds what a slow growth could take from a 512 MB droplet. --v8-pool-size=1 and UV_THREADPOOL_SIZE=1
// gained nothing beyond the noise of a run: they are left out.
export const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=96'];
export const LEAN_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
