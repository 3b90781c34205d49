#!/usr/bin/env node
// The vdmzip command. It runs the compiled command, bundled into one file (dist/vdmzip.mjs,
// made by `npm run build`, which `npm install` runs), unless a TypeScript source in src/ or cli/
// is newer than that build, as in a checkout being edited: then it runs the sources through tsx
// (a development dependency).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'vdmzip.mjs');

function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (existsSync(compiled) && statSync(compiled).mtimeMs >= Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'cli')))) {
  // The bundle runs the command itself.
  await import(new URL('../dist/vdmzip.mjs', import.meta.url).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import('./main.ts');
  process.exitCode = await runCli(process.argv);
}
