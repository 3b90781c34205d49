// The GPU runner's bundled CLI (scripts/build-gpu-runner.ts) is the same program as the
// TypeScript one: it starts, and writes the same bytes. The rest of the runner (node, ONNX
// Runtime's native library, the Vulkan debs) is checked where it runs, by gpu-check.sh.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../scripts/build-gpu-runner.ts';
import { writeImage } from '../src/image/index.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'cli/vdmzip.js');

type Run = { code: number; stdout: Buffer; stderr: string };

function node(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { encoding: 'buffer' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

let dir: string;
let bundled: string;
let model: string;
beforeAll(async () => {
  // Inside the checkout, so the bundle finds onnxruntime-node (kept external) in its node_modules.
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  dir = await mkdtemp(join(ROOT, 'dist', 'test-runner-'));
  bundled = join(dir, 'cli/vdmzip.mjs');
  await bundleCli(bundled);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'vdmzip', version: '0.0.0-test', type: 'module' }));
  model = join(dir, 'model');
  saveTinyModel(model, 1);
  const data = new Uint8Array(24 * 16 * 3).map((_, i) => (i * 11 + ((i * i) >> 3)) & 255);
  await writeFile(join(dir, 'small.png'), writeImage({ width: 24, height: 16, channels: 3, data }, 'png'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  it('starts, reads its version beside it, and runs no script it bundles as if it were the main one', async () => {
    const help = await node([bundled, '--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/^Usage: vdmzip /);
    const version = await node([bundled, '--version']);
    expect(version.stdout.toString()).toBe('0.0.0-test\n');
  });

  it('compresses to the same bytes as the TypeScript CLI on the CPU, and decodes them', async () => {
    const args = ['compress', '--device', 'cpu', '--model', model, '-c', join(dir, 'small.png')];
    const fromBundle = await node([bundled, ...args]);
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.code).toBe(0);
    const fromSource = await node([BIN, ...args]);
    expect(fromSource.code).toBe(0);
    expect(fromBundle.stdout.equals(fromSource.stdout)).toBe(true);
    await writeFile(join(dir, 'small.vdmz'), fromBundle.stdout);
    const back = await node([bundled, 'decompress', '--device', 'cpu', '--model', model, '-c', join(dir, 'small.vdmz')]);
    expect(back.code).toBe(0);
    const again = await node([BIN, 'decompress', '--device', 'cpu', '--model', model, '-c', join(dir, 'small.vdmz')]);
    expect(back.stdout.equals(again.stdout)).toBe(true);
  });
});
