// The library API from the package root: compress/decompress round trips, the reusable
// VdmzipCodec, and the VdmzipError codes the CLI prints, including a file decoded with
// another model than the one that made it.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, parseContainer, readImage, VdmzipCodec, VdmzipError, writeImage, type Channels, type CodingProgress, type Image } from '../src/index.ts';
import { compressImage } from '../src/codec.ts';
import type { ModelBundle } from '../src/model/bundle.ts';
import { createEngine } from '../src/model/engines.ts';
import { saveTinyModel, tinyBundle } from './helpers/tiny-model.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));

function testImage(width: number, height: number, channels: Channels): Image {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + ((i * 2654435761) >>> 27)) & 255;
  return { width, height, channels, data };
}

async function rejection(promise: Promise<unknown>): Promise<VdmzipError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VdmzipError);
  return error as VdmzipError;
}

const model1 = tinyBundle(1);
const model2 = tinyBundle(2);

/** A file the chain codes: left to itself, the encoder gives images this small to the predictor, which needs no model. */
async function chainFile(image: Image, bundle: ModelBundle): Promise<Uint8Array> {
  const engine = await createEngine(bundle);
  try {
    return await compressImage(image, bundle, engine, { predictorRows: 0 });
  } finally {
    await engine.dispose();
  }
}
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-api-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('library API', () => {
  it('round-trips every channel count through compress and decompress', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const image = testImage(11, 7, channels);
      const bytes = await compress(image, { model: model1 });
      expect(parseContainer(bytes).header).toMatchObject({ width: 11, height: 7, channels });
      expect(await decompress(bytes, { model: model1 })).toEqual(image);
    }
  });

  it('a file the predictor codes alone records no model, and decodes with any model', async () => {
    const image = testImage(11, 7, 3);
    const bytes = await compress(image, { model: model1 });
    const { header } = parseContainer(bytes);
    expect(header.modelId).toBeUndefined();
    expect(header.coder.predictorRows).toBe(7);
    expect(await decompress(bytes, { model: model2 })).toEqual(image);
    // A chain file records its model.
    expect(parseContainer(await chainFile(image, model1)).header.modelId).toBe(model1.id.slice(0, 16));
  });

  it('reads and writes images, and takes a model folder as well as a bundle', async () => {
    const modelDir = join(dir, 'model');
    saveTinyModel(modelDir, 1);
    const image = readImage(writeImage(testImage(5, 4, 3), 'png'));
    const bytes = await compress(image, { model: modelDir, verify: true });
    expect(bytes).toEqual(await compress(image, { model: model1 }));
    expect(await decompress(bytes, { model: modelDir })).toEqual(image);
  });

  it('opens the network only for files that need it: predictor-only files and effort 1 never do', async () => {
    const image = testImage(13, 11, 3);
    const opened: string[] = [];
    const fast = await VdmzipCodec.open({ model: model1, effort: 1, verify: true, onDevice: (info) => opened.push(info.engine) });
    const predictorFile = await fast.compress(image);
    expect(parseContainer(predictorFile).header.modelId).toBeUndefined();
    expect(Buffer.from((await fast.decompress(predictorFile)).data).equals(Buffer.from(image.data))).toBe(true);
    expect(opened).toEqual([]);
    const chained = await chainFile(image, model1);
    expect(Buffer.from((await fast.decompress(chained)).data).equals(Buffer.from(image.data))).toBe(true);
    await fast.decompress(chained);
    expect(opened).toEqual([expect.stringMatching(/^onnx-cpu/)]);
    await fast.dispose();
    const usual = await VdmzipCodec.open({ model: model1, onDevice: (info) => opened.push(info.engine) });
    await usual.compress(image); // effort 2: the estimate runs the network
    expect(opened.length).toBe(2);
    await usual.dispose();
    // Nor is the model loaded for them: a model folder that does not exist matters only to files that need it.
    const nowhere = await VdmzipCodec.open({ model: join(dir, 'no-such-model'), effort: 1 });
    expect(Buffer.from((await nowhere.decompress(await nowhere.compress(image))).data).equals(Buffer.from(image.data))).toBe(true);
    expect((await rejection(nowhere.decompress(chained))).code).toBe('IO');
    await nowhere.dispose();
    const needsModel = await VdmzipCodec.open({ model: join(dir, 'no-such-model') });
    expect((await rejection(needsModel.compress(image))).code).toBe('IO');
  });

  it('VdmzipCodec opens the model once for many images and reports progress', async () => {
    const codec = await VdmzipCodec.open({ model: model1, verify: true });
    try {
      expect(codec.modelId).toBe(model1.id);
      for (const [w, h] of [[1, 1], [8, 8], [17, 3]]) {
        const image = testImage(w, h, 3);
        const progress: CodingProgress[] = [];
        const bytes = await codec.compress(image, (p) => progress.push(p));
        // With verify, progress covers encoding then decoding: it never goes back or past
        // its total, and ends there.
        expect(progress.at(-1)!.stepsDone).toBe(progress.at(-1)!.stepsTotal);
        expect(progress.every((p, k) => p.stepsDone <= p.stepsTotal && (k === 0 || p.stepsDone >= progress[k - 1].stepsDone))).toBe(true);
        expect(progress.some((p) => p.stepsDone === p.stepsTotal / 2)).toBe(true);
        expect(await codec.decompress(bytes)).toEqual(image);
      }
    } finally {
      await codec.dispose();
    }
  });

  it('fails with the same VdmzipError codes the CLI prints', async () => {
    const bytes = await compress(testImage(4, 4, 3), { model: model1 });
    // A .vdmz file does not record its payload length: a cut payload is found damaged (format
    // version 4: the message no longer parses or decodes to its start), a cut header cut short.
    expect((await rejection(decompress(bytes.subarray(0, bytes.length - 1), { model: model1 }))).code).toBe('CORRUPT');
    expect((await rejection(decompress(bytes.subarray(0, 8), { model: model1 }))).code).toBe('TRUNCATED');
    expect((await rejection(decompress(bytes.subarray(0, 12), { model: model1 }))).code).toBe('TRUNCATED');
    const flipped = bytes.slice();
    flipped[flipped.length - 1] ^= 1;
    expect((await rejection(decompress(flipped, { model: model1 }))).code).toBe('CORRUPT');
    expect((await rejection(decompress(new TextEncoder().encode('hello'), { model: model1 }))).code).toBe('UNSUPPORTED_FORMAT');
    expect((await rejection(compress({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, { model: model1 }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(compress(testImage(2, 2, 3), { model: model1, gridFactor: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(compress(testImage(2, 2, 3), { model: model1, threads: 0 }))).code).toBe('INVALID_ARGUMENT');
    const missing = await rejection(compress(testImage(2, 2, 3), { model: join(dir, 'nowhere') }));
    expect(missing.code).toBe('IO');
    expect(missing.file).toBe(join(dir, 'nowhere'));
    expect(() => readImage(new Uint8Array([0x50, 0x35, 0x0a, 0x31, 0x20, 0x31, 0x0a, 0x36, 0x35, 0x35, 0x33, 0x35, 0x0a, 0, 0]))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_BIT_DEPTH' }),
    );
  });
});

describe('a file made with another model', () => {
  it('fails with MODEL_MISMATCH naming both model ids, via the API', async () => {
    const bytes = await chainFile(testImage(6, 5, 3), model1);
    const error = await rejection(decompress(bytes, { model: model2 }));
    expect(error.code).toBe('MODEL_MISMATCH');
    expect(error.message).toContain(model1.id.slice(0, 16));
    expect(error.message).toContain(model2.id.slice(0, 16));
    expect(model1.id).not.toBe(model2.id);
  });

  it('fails with one line naming both model ids, via the CLI (exit 1, no output)', async () => {
    const other = join(dir, 'model2');
    saveTinyModel(other, 2);
    const file = join(dir, 'by-model1.vdmz');
    await writeFile(file, await chainFile(testImage(6, 5, 3), model1));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'decompress', '--model', other, file], (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`vdmzip: ${file}: made with model ${model1.id.slice(0, 16)}…, but the model given is ${model2.id.slice(0, 16)}…\n`);
    const info = await new Promise<string>((resolve) => {
      execFile(process.execPath, [BIN, 'info', '--model', other, file], (_error, stdout) => resolve(stdout));
    });
    expect(info).toMatch(new RegExp(`^model matches\\s+no: --model ${other.replace(/[.\\/]/g, '\\$&')} is ${model2.id.slice(0, 16)}…; decompress needs ${model1.id.slice(0, 16)}…$`, 'm'));
  });
});
