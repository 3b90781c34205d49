// Builds dist/gpu-runner/: vdmzip for a GPU host that has a driver but no Node and no network,
// and receives a copy of the repository plus at most 64 MiB (docs/gpu.md).
//
//   npm run build:gpu-runner [-- --out DIR]
//
// What goes in: the CLI (and its worker threads' entry) and the GPU checks, each bundled into
// one file by esbuild; the node binary, xz-compressed; onnxruntime-node's JavaScript and its
// linux-x64 native library and binding, xz-compressed (the bundles load it as an external
// package); the Debian packages of the Vulkan loader (apt-get download); and the scripts that
// unpack and run them. Runs on linux-x64 with apt, xz and network access to the Debian archive.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_QUERY, WORKER_BUNDLE } from '../src/workers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What the GPU host may receive in all, repository included. */
const CARRY_LIMIT_BYTES = 64 * 2 ** 20;
/** The Vulkan loader and the GL dispatch libraries Dawn's Vulkan backend loads beside it (measured on an H200 host). */
const VULKAN_DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
const ORT_NATIVE = 'bin/napi-v6/linux/x64';

function fail(message: string): never {
  console.error(`build-gpu-runner: ${message}`);
  process.exit(1);
}

function run(command: string, args: string[], cwd = ROOT): void {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

function xzInto(source: string, target: string): void {
  execFileSync('sh', ['-c', 'xz -9e -T0 -c "$1" > "$2"', 'xz', source, target]);
}

function sizeOf(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * One ESM file from `source` (an entry module's text, resolved from the root). All modules of
 * a bundle share one import.meta.url, so each script's "am I the main module?" test would pass:
 * the bundle sees its own URL with a query added, which resolves relative paths (the model,
 * package.json) the same and equals no script's path. Bundled CommonJS packages get `require`.
 */
export async function bundle(source: string, outfile: string): Promise<void> {
  await build({
    stdin: { contents: source, resolveDir: ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    external: ['onnxruntime-node'],
    define: { 'import.meta.url': '__bundleModuleUrl' },
    banner: {
      js: `import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url); const __bundleModuleUrl = new URL('${BUNDLE_QUERY}', import.meta.url).href;`,
    },
    logLevel: 'warning',
  });
}

/** The vdmzip command's entry. */
const CLI_ENTRY = "import { runCli } from './cli/main.ts';\nprocess.exitCode = await runCli(process.argv);\n";
/** The worker threads' entry, bundled beside the command under the name src/workers.ts looks for. */
const WORKER_ENTRY = "import './src/worker.ts';\n";

/**
 * The vdmzip command as one file, `outfile`, and beside it the bundle its worker threads run:
 * the workers' first, so that a command bundle no older than the sources (what cli/vdmzip.js
 * checks) never runs beside an older worker bundle.
 */
export async function bundleCli(outfile: string): Promise<void> {
  await bundle(WORKER_ENTRY, join(dirname(outfile), WORKER_BUNDLE));
  await bundle(CLI_ENTRY, outfile);
}

/** onnxruntime-node's JavaScript as it is, its native files xz-compressed, and onnxruntime-common beside it. */
function copyOnnxRuntime(modules: string): void {
  const ortSource = join(ROOT, 'node_modules/onnxruntime-node');
  const ortTarget = join(modules, 'onnxruntime-node');
  mkdirSync(join(ortTarget, 'dist'), { recursive: true });
  copyFileSync(join(ortSource, 'package.json'), join(ortTarget, 'package.json'));
  for (const name of readdirSync(join(ortSource, 'dist'))) if (name.endsWith('.js')) copyFileSync(join(ortSource, 'dist', name), join(ortTarget, 'dist', name));
  mkdirSync(join(ortTarget, ORT_NATIVE), { recursive: true });
  for (const name of ['libonnxruntime.so.1', 'onnxruntime_binding.node']) xzInto(join(ortSource, ORT_NATIVE, name), join(ortTarget, ORT_NATIVE, `${name}.xz`));

  const commonSource = join(ROOT, 'node_modules/onnxruntime-common');
  const commonTarget = join(modules, 'onnxruntime-common');
  mkdirSync(commonTarget, { recursive: true });
  copyFileSync(join(commonSource, 'package.json'), join(commonTarget, 'package.json'));
  cpSync(join(commonSource, 'dist/cjs'), join(commonTarget, 'dist/cjs'), { recursive: true, filter: (path) => !path.endsWith('.map') && !path.endsWith('.d.ts') });
}

function downloadDebs(target: string): void {
  mkdirSync(target, { recursive: true });
  try {
    run('apt-get', ['download', ...VULKAN_DEBS], target);
  } catch {
    // A fresh machine has no package lists yet.
    run('apt-get', ['update', '-qq'], target);
    run('apt-get', ['download', ...VULKAN_DEBS], target);
  }
}

/** The bytes of the repository's tracked files, as they are in the working tree. */
function repositoryBytes(): number {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  return files.reduce((sum, file) => {
    try {
      return sum + statSync(join(ROOT, file)).size;
    } catch {
      return sum; // deleted in the working tree
    }
  }, 0);
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = resolve(outIndex >= 0 ? (process.argv[outIndex + 1] ?? fail('--out needs a folder')) : join(ROOT, 'dist/gpu-runner'));
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the runner carries linux-x64 binaries; this is ${process.platform}-${process.arch}`);
  rmSync(out, { recursive: true, force: true });
  const app = join(out, 'app');
  mkdirSync(join(app, 'cli'), { recursive: true });

  console.log('bundling the CLI and the GPU checks');
  await bundleCli(join(app, 'cli/vdmzip.mjs'));
  await bundle("import { main } from './scripts/gpu-check.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n", join(app, 'cli/gpu-check.mjs'));
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // The CLI reads its version from ../package.json; "type": "module" is for the .mjs-less tools a user may add.
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'vdmzip', version, private: true, type: 'module' }, null, 2)}\n`);

  console.log('copying onnxruntime-node (xz-compressing its native library)');
  copyOnnxRuntime(join(app, 'node_modules'));

  console.log(`xz-compressing node ${process.version} (${process.execPath})`);
  xzInto(process.execPath, join(out, 'node.xz'));

  console.log(`downloading ${VULKAN_DEBS.join(' ')}`);
  downloadDebs(join(out, 'debs'));

  for (const script of ['setup.sh', 'run.sh', 'gpu-check.sh']) {
    copyFileSync(join(ROOT, 'scripts/gpu-runner', script), join(out, script));
    chmodSync(join(out, script), 0o755);
  }
  // setup.sh unpacks again when this changes: a hash of everything the app folder holds and of node.
  const hash = createHash('sha256');
  const addTree = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) addTree(full);
      else hash.update(relative(out, full)).update(readFileSync(full));
    }
  };
  addTree(app);
  hash.update(readFileSync(join(out, 'node.xz')));
  writeFileSync(join(app, 'build-id'), `${hash.digest('hex').slice(0, 16)}\n`);

  const runner = sizeOf(out);
  const repo = repositoryBytes();
  console.log(`\n${relative(ROOT, out)}: ${mib(runner)}`);
  for (const name of readdirSync(out).sort()) console.log(`  ${name.padEnd(14)} ${mib(sizeOf(join(out, name)))}`);
  console.log(`repository (tracked files): ${mib(repo)}; together ${mib(runner + repo)} of the ${mib(CARRY_LIMIT_BYTES)} a GPU host may receive`);
  if (runner + repo > CARRY_LIMIT_BYTES) fail(`runner and repository together exceed ${mib(CARRY_LIMIT_BYTES)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
