// `npm start`: turns on Node's compile cache (Node 22.1 and later) before the bot's modules load, so a start
// reads their compiled code from the cache instead of compiling Express, undici and yaml again. The
// deployed bundle is one file, compiled before any code of it runs: the unit sets NODE_COMPILE_CACHE instead.
import module from 'node:module';

module.enableCompileCache?.();
await import('./main.ts');
