// How the deployed bot runs Node (the systemd unit uses these, and so does `npm run bench`), each kept for
// what `npm run bench` (its "flags" part; figures in the README) shows: a small young generation is the
// large gain (about 23 MB after 1,000 presses); one malloc arena stops glibc from keeping memory per thread
// (3 to 7 MB below glibc's default); the capped old generation saves nothing measurable at 1,000 presses,
// but bounds what a slow growth could take from a 512 MB droplet. --v8-pool-size=1 and UV_THREADPOOL_SIZE=1
// measured within the noise (a few MB either way, run to run): they are left out.
export const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=96'];
export const LEAN_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
