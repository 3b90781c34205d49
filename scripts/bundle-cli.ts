// The vdmzip command as one file, dist/vdmzip.mjs, which cli/vdmzip.js runs (and its worker
// threads' entry as another, dist/vdmzip-worker.mjs): one module to load instead of some
// eighty, so a command starts sooner (`npm run bench:speed` times it). `npm run build` makes
// them after tsc; the library (dist/src/) stays in modules.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './build-gpu-runner.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
await bundleCli(join(ROOT, 'dist', 'vdmzip.mjs'));
