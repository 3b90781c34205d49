// The vdmzip command as one file, dist/vdmzip.mjs, which cli/vdmzip.js runs: one module to load
// instead of some eighty, so a command starts sooner (`npm run bench:speed` times it). `npm run
// build` makes it after tsc; the library (dist/src/) stays in modules.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, CLI_ENTRY } from './build-gpu-runner.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
await bundle(CLI_ENTRY, join(ROOT, 'dist', 'vdmzip.mjs'));
