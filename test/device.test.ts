// The compute device through the real binary: --device cpu|gpu|auto on a machine without a
// GPU (CI), and ONNX Runtime's telemetry kept off. The model is the tiny random-weight one.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VdmzipCodec } from '../src/codec-api.ts';
import { readImage, writeImage, type Image } from '../src/image/index.ts';
import { missingGpuLibrary, webGpuFailureReason } from '../src/model/engine-onnx.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));

type Run = { code: number | null; stdout: Buffer; stderr: string };

let dir: string;
let model: string;

/** Runs the bin through node in `dir` with extra environment variables. */
function vdmzip(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
  });
}

/** Every path under `root`, folders included. */
async function everythingUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).map(String);
}

/** A 24×16 RGB image: 6 patches of the tiny model, so the chain-or-predictor estimate runs the network. */
function smallImage(): Image {
  const width = 24;
  const height = 16;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 5 + ((i * i * 2654435761) >>> 29)) & 255;
  return { width, height, channels: 3, data };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-device-'));
  model = join(dir, 'model');
  saveTinyModel(model, 1);
  await writeFile(join(dir, 'small.png'), writeImage(smallImage(), 'png'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ONNX Runtime telemetry', () => {
  it('a compress writes nothing under the home folder', async () => {
    const home = join(dir, 'home');
    await mkdir(home);
    const run = await vdmzip(['compress', '--model', model, '-c', 'small.png'], { HOME: home, XDG_CACHE_HOME: undefined });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(await everythingUnder(home)).toEqual([]);
  });
});

// CI machines have no GPU: what --device does there. Where a Vulkan loader is installed the
// GPU may answer, and these expectations do not hold; the GPU runner (docs/gpu.md) checks that case.
describe.skipIf(missingGpuLibrary() === undefined)('--device on a machine without a GPU', () => {
  const gpuMissing = /^vdmzip: cannot run on the GPU: no Vulkan loader \(libvulkan\.so\.1 not found; [^\n]*\)\n$/;

  it('gpu fails with one line naming what is missing, exit 1, for compress, decompress, eval and bench', async () => {
    const compressed = await vdmzip(['compress', '--model', model, '-c', '--device', 'cpu', 'small.png']);
    expect(compressed.code).toBe(0);
    await writeFile(join(dir, 'small.vdmz'), compressed.stdout);
    for (const args of [
      ['compress', '--model', model, '-c', '--device', 'gpu', 'small.png'],
      ['decompress', '--model', model, '-c', '--device', 'gpu', 'small.vdmz'],
      ['eval', '--model', model, '--device', 'gpu', 'small.png'],
      ['bench', '--model', model, '--codecs', 'vdmzip', '--device', 'gpu', 'small.png'],
    ]) {
      const run = await vdmzip(args);
      expect(run.stderr, args[0]).toMatch(gpuMissing);
      expect(run.code, args[0]).toBe(1);
      expect(run.stdout.length, args[0]).toBe(0);
    }
  });

  it('auto falls back to the CPU, says so under -v, and writes the same bytes as cpu', async () => {
    const cpu = await vdmzip(['compress', '--model', model, '-c', '--device', 'cpu', '-v', 'small.png']);
    expect(cpu.code).toBe(0);
    expect(cpu.stderr.split('\n')[0]).toBe('device: cpu, onnx-cpu(threads=1)');
    const auto = await vdmzip(['compress', '--model', model, '-c', '--device', 'auto', '-v', 'small.png']);
    expect(auto.code).toBe(0);
    expect(auto.stderr.split('\n')[0]).toMatch(/^device: cpu, onnx-cpu\(threads=1\); GPU not used: no Vulkan loader \(libvulkan\.so\.1 not found; /);
    expect(auto.stdout.equals(cpu.stdout)).toBe(true);
    // The default is auto, and decodes what either wrote.
    const byDefault = await vdmzip(['compress', '--model', model, '-c', 'small.png']);
    expect(byDefault.stdout.equals(cpu.stdout)).toBe(true);
    await writeFile(join(dir, 'auto.vdmz'), auto.stdout);
    const back = await vdmzip(['decompress', '--model', model, '-c', '--device', 'auto', 'auto.vdmz']);
    expect(back.code).toBe(0);
    expect(Buffer.from(readImage(back.stdout).data).equals(Buffer.from(smallImage().data))).toBe(true);
  });

  it('the library: device gpu is a VdmzipError DEVICE_UNAVAILABLE, auto reports the CPU and why', async () => {
    await expect(VdmzipCodec.open({ model, device: 'gpu' })).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE', message: expect.stringMatching(/^cannot run on the GPU: no Vulkan loader/) });
    await expect(VdmzipCodec.open({ model, device: 'tpu' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const codec = await VdmzipCodec.open({ model, device: 'auto' });
    try {
      expect(await codec.deviceInfo()).toMatchObject({ device: 'cpu', engine: 'onnx-cpu(threads=1)', gpuUnavailable: expect.stringMatching(/^no Vulkan loader/) });
    } finally {
      await codec.dispose();
    }
  });
});

describe('the GPU failure reasons', () => {
  it("ONNX Runtime's adapter failure becomes a few words", () => {
    const ort = new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n');
    expect(webGpuFailureReason(ort)).toBe('no WebGPU adapter (No supported adapters)');
    expect(webGpuFailureReason(new Error('something else\nmore'))).toBe('the WebGPU provider failed to start: something else');
  });
});
