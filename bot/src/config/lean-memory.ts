// How the deployed bot runs Node (the systemd unit uses these, and so does `npm run bench`): a small
// young generation and a capped old one keep the heap near what the bot really holds (about 25 MB),
// and two malloc arenas stop glibc from keeping one per thread.
export const LEAN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=96'];
export const LEAN_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
