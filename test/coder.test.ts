// The bits-back coder end to end (src/codec.ts) with the tiny random-weight model on
// ONNX Runtime (test/coder-engines.test.ts checks that other ONNX Runtime settings agree).
//
// A random-weight model compresses badly, but a lossless coder must round-trip whatever the
// model predicts, so every test compares every pixel. Images run from 1×1 to sizes that are
// not multiples of the patch (8), with 1–4 channels and adversarial content; altered files
// must fail with a VdmzipError and never decode to a wrong image.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage, decompressImage, defaultGridFactor, OPENING_GRIDS, type CoderOptions, type Effort } from '../src/codec.ts';
import { codedPlanes, MAX_CHUNK_PATCHES } from '../src/chain/tiling.ts';
import { Message, popUniform } from '../src/ans/index.ts';
import { parseContainer, writeContainer, type ContainerHeader } from '../src/format/container.ts';
import { varintLength } from '../src/format/leb128.ts';
import { tiling } from '../src/chain/tiling.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import type { Channels, Image } from '../src/image/index.ts';
import { bundleFromParams, type ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';
import { initParams } from '../src/model/params.ts';
import { type ChainHeader, containerV2 } from './helpers/container-bytes.ts';
import { TINY_CONFIG, tinyBundle } from './helpers/tiny-model.ts';
import { mulberry32 } from '../src/random.ts';

// ---------------------------------------------------------------------------------------
// Images

/** A colour pattern: the value of channel c at (x, y) of a w×h image. */
type Pattern = (x: number, y: number, c: number, w: number, h: number) => number;

/** Uniform noise: a hash of (seed, x, y, c), so the same pixel gets the same value in every image. */
function noise(seed: number): Pattern {
  return (x, y, c) => {
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(x + 1, 0xc2b2ae35) ^ Math.imul(y + 1, 0x27d4eb2f) ^ Math.imul(c + 1, 0x165667b1);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    return (h ^ (h >>> 15)) >>> 24;
  };
}

const COLOUR_PATTERNS: Record<string, Pattern> = {
  noise: noise(1),
  'constant 0': () => 0,
  'constant 255': () => 255,
  'constant 128': () => 128,
  'checkerboard 0/255': (x, y) => ((x + y) % 2 ? 255 : 0),
  'checkerboard per channel': (x, y, c) => ((x + y + c) % 2 ? 255 : 0),
  'horizontal gradient': (x, _y, _c, w) => (w === 1 ? 0 : Math.round((255 * x) / (w - 1))),
  'diagonal gradient, channels reversed': (x, y, c, w, h) => {
    const v = Math.round((255 * (x + y)) / Math.max(1, w + h - 2));
    return c % 2 ? 255 - v : v;
  },
  'stripes 0/255 of width 8 (patch edges)': (x) => (Math.floor(x / 8) % 2 ? 255 : 0),
};

/** Alpha patterns (used for channel 1 of grey+alpha and channel 3 of RGBA). */
const ALPHA_PATTERNS: Record<string, Pattern> = {
  'alpha constant 255': () => 255,
  'alpha constant 0': () => 0,
  'alpha noise': noise(2),
  'alpha 255 but one pixel 254': (x, y, _c, w, h) => (x === w - 1 && y === h - 1 ? 254 : 255),
  'alpha checkerboard': (x, y) => ((x + y) % 2 ? 255 : 0),
};

function makeImage(width: number, height: number, channels: Channels, colour: Pattern, alpha: Pattern = () => 255): Image {
  const data = new Uint8Array(width * height * channels);
  const hasAlpha = channels === 2 || channels === 4;
  const colours = hasAlpha ? channels - 1 : channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = (y * width + x) * channels;
      for (let c = 0; c < colours; c++) data[base + c] = colour(x, y, c, width, height);
      if (hasAlpha) data[base + colours] = alpha(x, y, 0, width, height);
    }
  }
  return { width, height, channels, data };
}

/** Every sample compared; the message names the first differing one. */
function expectSameImage(actual: Image, expected: Image, what = ''): void {
  expect([actual.width, actual.height, actual.channels], what).toEqual([expected.width, expected.height, expected.channels]);
  expect(actual.data.length, what).toBe(expected.data.length);
  const i = actual.data.findIndex((v, k) => v !== expected.data[k]);
  const at = i < 0 ? '' : `sample ${i} (x=${Math.floor(i / expected.channels) % expected.width}, y=${Math.floor(i / expected.channels / expected.width)}, c=${i % expected.channels}): ${actual.data[i]} ≠ ${expected.data[i]}`;
  expect(at, what).toBe('');
}

// ---------------------------------------------------------------------------------------

let bundle: ModelBundle;
let engine: IntegerEngine;

beforeAll(async () => {
  bundle = tinyBundle(1);
  engine = await createEngine(bundle, { threads: 1 });
});

afterAll(async () => {
  await engine?.dispose();
});

async function roundTrip(image: Image, options: CoderOptions = {}): Promise<{ bytes: Uint8Array; header: ContainerHeader }> {
  const bytes = await compressImage(image, bundle, engine, options);
  const { header } = parseContainer(bytes);
  expectSameImage(await decompressImage(bytes, bundle, engine), image, `${image.width}×${image.height}×${image.channels}`);
  return { bytes, header };
}

/** Checks the header against the image; `predictorRows` is what the encoder was told (undefined: its own choice). */
function checkHeader(header: ContainerHeader, image: Image, gridFactor?: number, predictorRows?: number): void {
  const patches = tiling(image.width, image.height, bundle.meta.config.patch).count;
  gridFactor ??= Math.fround(defaultGridFactor(patches * codedPlanes(image).length));
  expect([header.width, header.height, header.channels, header.bitDepth]).toEqual([image.width, image.height, image.channels, 8]);
  const { chunkSizes, predictorRows: rows } = header.coder;
  if (predictorRows !== undefined) expect(rows).toBe(predictorRows);
  expect(rows).toBeGreaterThanOrEqual(0);
  expect(rows).toBeLessThanOrEqual(image.height);
  if (rows === image.height) {
    // Every row classic: the file records no model, nor anything of the chain, nor a pixel
    // checksum: its message starts at one (format 4).
    expect([header.modelId, header.steps, header.patchSize, header.coder.gridFactor]).toEqual([undefined, undefined, undefined, undefined]);
    expect([chunkSizes, header.coder.seedWords, header.pixelSha256Prefix]).toEqual([[], 0, undefined]);
    return;
  }
  expect(header.modelId).toBe(bundle.id.slice(0, 16));
  expect([header.steps, header.patchSize]).toEqual([bundle.meta.config.T, bundle.meta.config.patch]);
  expect(header.coder.gridFactor).toBe(gridFactor);
  expect(chunkSizes.reduce((a, b) => a + b, 0)).toBe(tiling(image.width, image.height - rows!, bundle.meta.config.patch).count);
  expect(chunkSizes[0]).toBe(1);
  expect(Math.max(...chunkSizes)).toBeLessThanOrEqual(MAX_CHUNK_PATCHES);
}

/** The chain alone, the chain over the top half with predictor rows under it, and the encoder's choice. */
const ROW_SPLITS = [(_height: number) => 0, (height: number) => Math.floor(height / 2), (_height: number) => undefined];

const SIZES: [number, number][] = [
  [1, 1],
  [1, 9],
  [9, 1],
  [7, 3],
  [8, 8],
  [8, 9],
  [9, 17],
  [17, 9],
  [16, 16],
  [33, 20],
];

/**
 * VDMZIP_EXHAUSTIVE=1 (before a release) runs every colour × alpha × row split in every size
 * and channel count; by default each of those cells pairs every colour and row split with one
 * alpha pattern, rotated from cell to cell, so that every pair of patterns still meets
 * somewhere in the grid at a fifth of the round trips.
 */
const EXHAUSTIVE = process.env.VDMZIP_EXHAUSTIVE === '1';

describe('round trips, every pixel compared', () => {
  SIZES.forEach(([width, height], sizeIndex) => {
    for (const channels of [1, 2, 3, 4] as const) {
      it(`${width}×${height}, ${channels} channel${channels > 1 ? 's' : ''}`, async () => {
        const alphas = channels === 2 || channels === 4 ? Object.entries(ALPHA_PATTERNS) : [['', () => 255] as [string, Pattern]];
        const cell = 4 * sizeIndex + channels;
        for (const [colourIndex, [colourName, colour]] of Object.entries(COLOUR_PATTERNS).entries()) {
          for (const [splitIndex, split] of ROW_SPLITS.entries()) {
            const chosen = EXHAUSTIVE ? alphas : [alphas[(colourIndex + splitIndex + cell) % alphas.length]];
            for (const [alphaName, alpha] of chosen) {
              const image = makeImage(width, height, channels, colour, alpha);
              const predictorRows = split(height);
              const bytes = await compressImage(image, bundle, engine, { predictorRows });
              const { header } = parseContainer(bytes);
              checkHeader(header, image, undefined, predictorRows);
              expectSameImage(await decompressImage(bytes, bundle, engine), image, `${colourName} ${alphaName}, predictor rows ${predictorRows ?? 'chosen'}`);
            }
          }
        }
      });
    }
  });

  it('random sizes, channels, samples and predictor rows (fast-check)', async () => {
    const extremes = [0, 1, 2, 126, 127, 128, 129, 253, 254, 255];
    const arbitraryImage = fc
      .record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }), channels: fc.constantFrom<Channels>(1, 2, 3, 4), extremesOnly: fc.boolean() })
      .chain(({ width, height, channels, extremesOnly }) => {
        const n = width * height * channels;
        const samples = extremesOnly ? fc.array(fc.constantFrom(...extremes), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a)) : fc.uint8Array({ minLength: n, maxLength: n });
        return fc.tuple(
          samples.map((data): Image => ({ width, height, channels, data })),
          fc.option(fc.integer({ min: 0, max: height }), { nil: undefined }),
        );
      });
    await fc.assert(
      fc.asyncProperty(arbitraryImage, async ([image, predictorRows]) => {
        const { header } = await roundTrip(image, { predictorRows });
        checkHeader(header, image, undefined, predictorRows);
      }),
      { numRuns: 40, seed: 20240611 },
    );
  });

  it('many patches: the chunk schedule starts at one patch, stays within the cap, covers the image in few chunks', async () => {
    const image = makeImage(100, 90, 4, noise(3), noise(4)); // 13×12 = 156 patches, more than the cap
    const { header } = await roundTrip(image, { predictorRows: 0 });
    checkHeader(header, image, undefined, 0); // sum = 156, first = 1, each ≤ MAX_CHUNK_PATCHES
    const sizes = header.coder.chunkSizes;
    expect(sizes.length).toBeGreaterThanOrEqual(1 + Math.ceil(155 / MAX_CHUNK_PATCHES));
    // Chunks are funded by the bits of the ones before: a roughly doubling schedule, not one patch at a time.
    expect(sizes.length).toBeLessThanOrEqual(16);
  });

  it('compression is deterministic', async () => {
    const image = makeImage(17, 9, 4, noise(5), noise(6));
    const a = await compressImage(image, bundle, engine);
    const b = await compressImage(image, bundle, engine);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('decompression reports progress once per step and patch, up to its total', async () => {
    const image = makeImage(17, 9, 4, noise(5), noise(6));
    const bytes = await compressImage(image, bundle, engine, { predictorRows: 0 });
    const steps = 3 * 2 * bundle.meta.config.T * 2; // patches × T × planes (colour + alpha)
    const reports: number[][] = [];
    await decompressImage(bytes, bundle, engine, { onProgress: (p) => reports.push([p.stepsDone, p.stepsTotal]) });
    expect(reports.at(-1)).toEqual([steps, steps]);
    expect(reports.length).toBe(parseContainer(bytes).header.coder.chunkSizes.length * bundle.meta.config.T * 2);
  });

  // BUG (src/codec.ts compressImage): the first chunk's dry run (and any chunk coded
  // again after borrowing) reports its steps through stepReporter, so stepsDone passes
  // stepsTotal (51 > 48 here) and ends above it. Flip to `it` when fixed.
  it('compression progress only moves forward, never passes its total, and ends there', async () => {
    const image = makeImage(17, 9, 4, noise(5), noise(6));
    const reports: number[][] = [];
    await compressImage(image, bundle, engine, { predictorRows: 0, onProgress: (p) => reports.push([p.stepsDone, p.stepsTotal]) });
    const steps = 3 * 2 * bundle.meta.config.T * 2;
    // An encoder that codes a chunk again may count those steps in its total.
    for (const [done, total] of reports) {
      expect(done).toBeLessThanOrEqual(total);
      expect(total).toBeGreaterThanOrEqual(steps);
    }
    for (let k = 1; k < reports.length; k++) expect(reports[k][0]).toBeGreaterThan(reports[k - 1][0]);
    expect(reports.at(-1)![0]).toBe(reports.at(-1)![1]);
  });

  it('an image that the predictor clearly codes better is coded by the predictor without running the chain', async () => {
    // 96×96 is 144 patches of 8: enough for the sampled estimate (4 crops of 4×2 patches); 20×12
    // is 6 patches, estimated on the whole image; 160×128 (2^14 pixels and more) has a worker walk
    // the predictor's rows beside the estimate (where a second core is free), for the same file.
    for (const [width, height] of [[96, 96], [20, 12], [160, 128]]) {
      const image = makeImage(width, height, 3, (x, y, c) => (x * 2 + y + c * 40) & 255);
      const reports: number[][] = [];
      let runs = 0;
      const counting: IntegerEngine = { name: engine.name, batch: engine.batch, run: (...args) => (runs++, engine.run(...args)), dispose: () => Promise.resolve() };
      const bytes = await compressImage(image, bundle, counting, { workers: 2, onProgress: (p) => reports.push([p.stepsDone, p.stepsTotal]) });
      // The estimate's sum stops once the predictor is sure to win: on this ramp after its first
      // network call, of one per step (T) it would make without stopping.
      expect(runs).toBeLessThan(bundle.meta.config.T);
      // Progress moves during the estimate, one report per network call, towards a total that
      // includes the predictor's samples (whose walk reports every 65536 samples: none here, then
      // once at the end); a stopped estimate counts the calls it made.
      expect(reports.length).toBeGreaterThanOrEqual(2);
      for (let k = 1; k < reports.length; k++) {
        expect(reports[k][0]).toBeGreaterThan(reports[k - 1][0]);
        expect(reports[k][1]).toBeLessThanOrEqual(reports[k - 1][1]);
      }
      expect(reports.at(-2)![1] - reports.at(-2)![0]).toBe(width * height * 3);
      expect(reports.at(-1)![0]).toBe(reports.at(-1)![1]);
      expect(parseContainer(bytes).header.coder).toMatchObject({ predictorRows: height, chunkSizes: [] });
      expectSameImage(await decompressImage(bytes, bundle, engine), image);
      expect(await compressImage(image, bundle, engine, { workers: 1 })).toEqual(bytes);
    }
    const image = makeImage(96, 96, 3, (x, y, c) => (x * 2 + y + c * 40) & 255);
    const reports: number[][] = [];
    // Asked for, the chain still runs.
    await compressImage(image, bundle, engine, { predictorRows: 0, onProgress: (p) => reports.push([p.stepsDone, p.stepsTotal]) });
    expect(reports.length).toBeGreaterThan(0);
  });

  it('effort 1 never runs the network; effort 3 runs the chain where the estimate of effort 2 says it does not pay; each keeps the smaller coder', async () => {
    const image = makeImage(96, 96, 3, (x, y, c) => (x * 2 + y + c * 40) & 255);
    let calls = 0;
    const counting: IntegerEngine = {
      name: engine.name,
      batch: engine.batch,
      run: (...args) => (calls++, engine.run(...args)),
      dispose: () => Promise.resolve(),
    };
    const coded = async (effort: Effort) => {
      calls = 0;
      const bytes = await compressImage(image, bundle, counting, { effort });
      expectSameImage(await decompressImage(bytes, bundle, engine), image);
      return { bytes, calls };
    };
    const [one, two, three] = [await coded(1), await coded(2), await coded(3)];
    expect(one.calls).toBe(0);
    expect(parseContainer(one.bytes).header.coder.predictorRows).toBe(96);
    expect(two.calls).toBeGreaterThan(0);
    expect(three.calls).toBeGreaterThan(two.calls);
    // The predictor wins this image at every level, so all three write the same file.
    expect(Buffer.from(two.bytes).equals(Buffer.from(one.bytes))).toBe(true);
    expect(Buffer.from(three.bytes).equals(Buffer.from(one.bytes))).toBe(true);
    // A strip that fills few of its patches (1×40: 5 patches of 8×8, 12% filled) costs effort 2
    // no network at all; effort 3 still tries the chain.
    const strip = makeImage(40, 1, 3, noise(9));
    calls = 0;
    await compressImage(strip, bundle, counting, { effort: 2 });
    expect(calls).toBe(0);
    await compressImage(strip, bundle, counting, { effort: 3 });
    expect(calls).toBeGreaterThan(0);
  });

  it('refuses an effort that is not 1, 2 or 3', async () => {
    const image = makeImage(5, 4, 3, noise(20));
    for (const effort of [0, 4, 1.5, Number.NaN]) {
      await expect(compressImage(image, bundle, engine, { effort: effort as Effort })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('a constant alpha channel costs at most one rANS word over the same image without alpha', async () => {
    for (const [colours, withAlpha] of [[1, 2], [3, 4]] as const) {
      for (const alpha of [0, 77, 255]) {
        const plain = makeImage(17, 9, colours, noise(7));
        const alphaImage = makeImage(17, 9, withAlpha, noise(7), () => alpha);
        const p = parseContainer(await compressImage(plain, bundle, engine)).payload.length;
        const { payload, header } = await roundTrip(alphaImage).then(({ bytes }) => parseContainer(bytes));
        expect(header.coder.chunkSizes).toEqual(parseContainer(await compressImage(plain, bundle, engine)).header.coder.chunkSizes);
        expect(payload.length - p).toBeGreaterThanOrEqual(0);
        expect(payload.length - p).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('predictor rows', () => {
  it("the encoder's choice is no larger than the chain alone or every row by the predictor", async () => {
    for (const [name, pattern] of Object.entries(COLOUR_PATTERNS)) {
      for (const [width, height] of [[8, 8], [13, 11]]) {
        const image = makeImage(width, height, 3, pattern);
        const size = async (predictorRows?: number) => (await roundTrip(image, { predictorRows })).bytes.length;
        const [chosen, chain, classic] = [await size(), await size(0), await size(height)];
        expect(chosen, name).toBeLessThanOrEqual(Math.min(chain, classic));
      }
    }
  });

  it('refuses a predictor row count outside 0…height', async () => {
    const image = makeImage(5, 4, 3, noise(20));
    for (const predictorRows of [-1, 5, 1.5, Number.NaN]) {
      await expect(compressImage(image, bundle, engine, { predictorRows })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('opening grids', () => {
  it('the encoder picks an opening schedule per file and pushes its index last (RGB); every choice decodes', async () => {
    const chosen = new Set<number>();
    for (const [name, pattern] of Object.entries(COLOUR_PATTERNS)) {
      for (const [width, height] of [[8, 8], [13, 11]]) {
        const { bytes } = await roundTrip(makeImage(width, height, 3, pattern), { predictorRows: 0 });
        const choices = OPENING_GRIDS.length;
        const opening = popUniform(Message.fromBytes(parseContainer(bytes).payload), choices);
        expect(opening, name).toBeLessThan(choices);
        chosen.add(opening);
      }
    }
    expect(chosen.size).toBeGreaterThan(1);
  });
});

describe('grid factor κ', () => {
  it('round-trips at κ = 0.25, 1 and 2, and the header records it', async () => {
    const images = [makeImage(17, 9, 3, noise(8)), makeImage(9, 17, 4, COLOUR_PATTERNS['horizontal gradient'], noise(9)), makeImage(12, 7, 1, COLOUR_PATTERNS['checkerboard 0/255']), makeImage(1, 1, 2, noise(10), noise(11))];
    for (const gridFactor of [0.25, 1, 2]) {
      for (const image of images) {
        const { header } = await roundTrip(image, { gridFactor });
        checkHeader(header, image, gridFactor);
      }
    }
  });

  it('round-trips at extreme but finite κ (2^-20, 2^10)', async () => {
    const image = makeImage(9, 9, 3, noise(12));
    for (const gridFactor of [2 ** -20, 2 ** 10]) checkHeader((await roundTrip(image, { gridFactor })).header, image, gridFactor);
  });

  it('codes with κ rounded to float32, as the header stores it, and checks the range after rounding', async () => {
    const image = makeImage(9, 9, 3, noise(12));
    for (const [gridFactor, coded] of [[0.3, Math.fround(0.3)], [2 ** 10 + 2 ** -20, 2 ** 10], [2 ** -20 * (1 + 2 ** -30), 2 ** -20]]) {
      checkHeader((await roundTrip(image, { gridFactor })).header, image, coded);
    }
    for (const gridFactor of [2 ** 10 + 2 ** -10, 2 ** -20 * (1 - 2 ** -20)]) {
      await expect(compressImage(image, bundle, engine, { gridFactor })).rejects.toMatchObject({ name: 'VdmzipError', code: 'INVALID_ARGUMENT' });
    }
  });

  it('refuses κ that is not a positive finite number', async () => {
    const image = makeImage(3, 3, 3, noise(13));
    for (const gridFactor of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(compressImage(image, bundle, engine, { gridFactor })).rejects.toMatchObject({ name: 'VdmzipError', code: 'INVALID_ARGUMENT' });
    }
  });

  // BUG (src/codec.ts, compressImage's κ check): κ near Number.MAX_VALUE passes the
  // "positive and finite" check, δ_i = κ·std is finite, but bin·δ_i overflows to ±∞ in
  // latents() and ∞ − ∞ = NaN reaches popGaussians, which throws a RangeError ("mean 0 is
  // NaN") instead of a VdmzipError. Flip to `it` once κ is bounded (e.g. to [2^-20, 2^10]).
  it('refuses κ = Number.MAX_VALUE with a VdmzipError', async () => {
    const image = makeImage(5, 4, 3, noise(14));
    await expect(compressImage(image, bundle, engine, { gridFactor: Number.MAX_VALUE })).rejects.toMatchObject({ name: 'VdmzipError', code: 'INVALID_ARGUMENT' });
  });
});

describe('container overhead', () => {
  it("a 32×32 RGB image's header takes at most 52 bytes (the shipped model's T = 64 and patch 32)", async () => {
    const shaped = tinyBundle(1, { ...TINY_CONFIG, patch: 32, T: 64 });
    const shapedEngine = await createEngine(shaped, { threads: 1 });
    try {
      for (const seed of [19, 20]) {
        const image = makeImage(32, 32, 3, noise(seed));
        // The chain alone (the predictor codes noise in fewer bits than this random model).
        const bytes = await compressImage(image, shaped, shapedEngine, { predictorRows: 0 });
        const { header, payload } = parseContainer(bytes);
        expect(header.coder.chunkSizes).toEqual([1]);
        expect(bytes.length - payload.length).toBeLessThanOrEqual(52);
        expectSameImage(await decompressImage(bytes, shaped, shapedEngine), image);
      }
    } finally {
      await shapedEngine.dispose();
    }
  });
});

describe('damaged and forged files never decode to a wrong image', () => {
  let image: Image;
  let bytes: Uint8Array;

  beforeAll(async () => {
    // Faint noise over flat rows: the bottom one, coded by the predictor under a flat row, is too
    // cheap to fund the chain alone. (Loud noise would teach the predictor biases and spreads
    // that the flat rows take rows to unlearn.)
    image = makeImage(17, 9, 3, (x, y, c, w, h) => (y >= 3 ? 100 : 96 + (noise(15)(x, y, c, w, h) & 7)));
    // κ = 0.5 explicitly: the bit-flip test below knows where its bits are. One predictor row
    // under the chain, so that damage can land in either, and seed words under both.
    bytes = await compressImage(image, bundle, engine, { gridFactor: 0.5, predictorRows: 1 });
    expect(parseContainer(bytes).header.coder.seedWords).toBeGreaterThan(0);
  });

  /** Rewrites the file with a changed header and/or payload and valid CRCs (writeContainer re-signs both). */
  function forge(edit: (header: ContainerHeader, payload: Uint8Array) => { header?: ContainerHeader; payload?: Uint8Array }): Uint8Array {
    const parsed = parseContainer(bytes);
    const header = structuredClone(parsed.header);
    const changed = edit(header, parsed.payload.slice());
    return writeContainer(changed.header ?? header, changed.payload ?? parsed.payload);
  }

  /** 'error' when decompress throws a VdmzipError, 'same' when it returns the original image; anything else fails. */
  async function outcome(file: Uint8Array): Promise<'error' | 'same'> {
    let decoded: Image;
    try {
      decoded = await decompressImage(file, bundle, engine);
    } catch (error) {
      expect(error, String(error)).toBeInstanceOf(VdmzipError);
      return 'error';
    }
    expectSameImage(decoded, image, 'a file that decodes must decode to the original');
    return 'same';
  }

  it('payload: single bit flips, with the CRCs re-signed, all fail', async () => {
    const { payload } = parseContainer(bytes);
    const random = mulberry32(16);
    const positions = new Set([0, 1, 7, 8, 9, payload.length - 2, payload.length - 1]);
    while (positions.size < 120) positions.add(Math.floor(random() * payload.length));
    for (const at of positions) {
      for (const bit of at < 9 ? [0, 3, 7] : [Math.floor(random() * 8)]) {
        const file = forge((_h, p) => {
          p[at] ^= 1 << bit;
          return { payload: p };
        });
        expect(await outcome(file), `payload byte ${at}, bit ${bit}`).toBe('error');
      }
    }
  });

  it('payload: truncated, extended, words swapped, zeroed, replaced by noise, all fail', async () => {
    const { payload } = parseContainer(bytes);
    const random = mulberry32(17);
    const edits: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['last word dropped', payload.slice(0, -2)],
      ['last byte dropped', payload.slice(0, -1)],
      ['first tail word dropped', Uint8Array.of(...payload.subarray(0, 8), ...payload.subarray(10))],
      ['zero word appended', Uint8Array.of(...payload, 0, 0)],
      ['random word appended', Uint8Array.of(...payload, 0x34, 0x12)],
      ['top two words swapped', Uint8Array.of(...payload.subarray(0, -4), ...payload.subarray(-2), ...payload.subarray(-4, -2))],
      ['all zero', new Uint8Array(payload.length)],
      ['noise', Uint8Array.from(payload, () => Math.floor(random() * 256))],
      ['noise with a valid head', Uint8Array.from(payload, (v, i) => (i < 8 ? v : Math.floor(random() * 256)))],
    ];
    for (const [what, p] of edits) expect(await outcome(forge(() => ({ payload: p }))), what).toBe('error');
  });

  it('header: fields changed and re-signed fail (or decode to the original)', async () => {
    const other = tinyBundle(2);
    const edits: [string, (h: ContainerHeader) => void, string?][] = [
      ['another model id', (h) => (h.modelId = other.id), 'MODEL_MISMATCH'],
      ['T + 1', (h) => (h.steps! += 1), 'CORRUPT'],
      ['patch 16', (h) => (h.patchSize = 16), 'CORRUPT'],
      ['width and height swapped', (h) => ([h.width, h.height] = [h.height, h.width])],
      ['width − 1', (h) => (h.width -= 1)],
      ['height − 1', (h) => (h.height -= 1)],
      ['RGB read as RGBA', (h) => (h.channels = 4)],
      ['RGB read as grey', (h) => (h.channels = 1)],
      ['κ = 0.25', (h) => (h.coder.gridFactor = 0.25)],
      ['κ = 0.5 + 2^-24 (the next float32)', (h) => (h.coder.gridFactor = 0.5 + 2 ** -24)],
      ['chunk schedule reversed', (h) => h.coder.chunkSizes.reverse()],
      ['chunk schedule [6]', (h) => (h.coder.chunkSizes = [6])],
      ['chunk schedule all ones', (h) => (h.coder.chunkSizes = [1, 1, 1, 1, 1, 1])],
      ['chunk schedule short', (h) => (h.coder.chunkSizes = [1])],
      ['chunk over the cap', (h) => (h.coder.chunkSizes = [MAX_CHUNK_PATCHES + 1])],
      ['seed words + 1', (h) => (h.coder.seedWords += 1)],
      ['seed words − 1', (h) => (h.coder.seedWords -= 1)],
      ['seed words 0', (h) => (h.coder.seedWords = 0)],
      ['predictor rows + 1', (h) => (h.coder.predictorRows! += 1)],
      ['predictor rows − 1', (h) => (h.coder.predictorRows! -= 1)],
      ['predictor rows 0', (h) => (h.coder.predictorRows = 0)],
      ['pixel SHA-256 prefix changed', (h) => (h.pixelSha256Prefix = (h.pixelSha256Prefix![0] === '0' ? '1' : '0') + h.pixelSha256Prefix!.slice(1)), 'CORRUPT'],
    ];
    for (const [what, edit, code] of edits) {
      const file = forge((h) => {
        edit(h);
        return { header: h };
      });
      const result = await outcome(file);
      if (code) await expect(decompressImage(file, bundle, engine), what).rejects.toMatchObject({ code });
      // Only a change that leaves every coding decision the same could decode, and then to
      // the original image; none of these does.
      expect(result, what).toBe('error');
    }
  });

  it('header: every single bit flip, with the header CRC re-signed, fails or decodes to the original', async () => {
    const headerEnd = 9 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
    const counts = { error: 0, same: 0 };
    const sameAt: number[] = [];
    // κ, float32 little-endian after the preamble, model id prefix, W, H, C, depth, T, patch and coder version.
    const { T, patch } = bundle.meta.config;
    const kappaAt = 9 + 8 + varintLength(17) + varintLength(9) + 1 + 1 + varintLength(T) + varintLength(patch) + 1;
    expect(Array.from(bytes.subarray(kappaAt, kappaAt + 4))).toEqual([0, 0, 0, 0x3f]); // κ = 0.5
    let flips = 0;
    for (let at = 0; at < headerEnd; at++) {
      if (at >= 5 && at < 9) continue; // H moves the CRC itself: covered by container.test.ts
      for (let bit = 0; bit < 8; bit++) {
        flips++;
        const file = bytes.slice();
        file[at] ^= 1 << bit;
        new DataView(file.buffer).setUint32(headerEnd, crc32(file, 0, headerEnd), true);
        const result = await outcome(file);
        counts[result]++;
        if (result === 'same') sameAt.push(at * 8 + bit);
      }
    }
    // Only the lowest mantissa bits of κ could leave every coding decision unchanged, and so
    // decode to the original image (measured: none of the float32 bits does).
    for (const b of sameAt) expect(b - 8 * kappaAt, `byte ${b >> 3}, bit ${b & 7} decoded`).toBeLessThan(8);
    expect(counts.error).toBeGreaterThan(flips - 8);
    expect(counts.error + counts.same).toBe(flips);
  });

  it('a header claiming more predictor rows than its payload could hold is refused before decoding', async () => {
    // 16384 × 16384 RGB, every row by the predictor: at least 2.1·10⁻⁵ bits a sample (version 9's exact
    // contexts can make a value as likely as 24-bit frequencies allow), 2.1 KB, beyond this
    // payload cut to 1 KB.
    const file = forge((h, p) => ({ header: { ...h, width: 16384, height: 16384, coder: { ...h.coder, chunkSizes: [], seedWords: 0, predictorRows: 16384 } }, payload: p.subarray(0, 1024) }));
    await expect(decompressImage(file, bundle, engine)).rejects.toMatchObject({ code: 'CORRUPT', message: 'the payload is too short for its predictor rows' });
  });

  it('a forged header with the largest float32 κ fails with a VdmzipError', async () => {
    const file = forge((h, p) => {
      h.coder.gridFactor = (2 - 2 ** -23) * 2 ** 127;
      // Head = 2^36 exactly: the first pop reads slot 0, the low escape, so a bin ≤ −2.
      p.fill(0, 0, 8);
      p[5] = 0x10;
      return { header: h, payload: p };
    });
    await expect(decompressImage(file, bundle, engine)).rejects.toBeInstanceOf(VdmzipError);
  });

  it('a wrong pixel SHA-256 prefix is refused; the same file marked as written before 1.0 fails in one line that says so', async () => {
    const { header, payload } = parseContainer(bytes);
    const prefix = header.pixelSha256Prefix!;
    const wrong = writeContainer({ ...header, pixelSha256Prefix: `${prefix.slice(0, 15)}${prefix[15] === '0' ? '1' : '0'}` }, payload);
    await expect(decompressImage(wrong, bundle, engine)).rejects.toMatchObject({ code: 'CORRUPT', message: 'decoded pixels fail their checksum' });
    const chain = header as ChainHeader;
    const older = containerV2({ ...chain, coder: { ...chain.coder, version: 8 as never } }, payload);
    await expect(decompressImage(older, bundle, engine)).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: 'coder parameters version 8: written by a vdmzip before 1.0, which this version does not read',
    });
  });

  /**
   * Decompresses, in a child process with a 96 MB heap, a 1×1 file whose seed word count was
   * forged to `seedWords`; returns the child's last line ('RESULT <error name> <code>').
   */
  function decodeForgedSeedCount(seedWords: number): string {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const script = `
      import { compressImage, decompressImage } from './src/codec.ts';
      import { parseContainer, writeContainer } from './src/format/container.ts';
      import { bundleFromParams } from './src/model/bundle.ts';
      import { initParams } from './src/model/params.ts';
      const config = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
      const bundle = bundleFromParams(config, initParams(config, 1));
      // A stand-in engine (all-zero network output): enough to code and decode consistently.
      const engine = { name: 'zero', run: async (f) => new Float32Array(f.length / 3), dispose: async () => {} };
      const image = { width: 1, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3) };
      const { header, payload } = parseContainer(await compressImage(image, bundle, engine, { predictorRows: 0 }));
      const file = writeContainer({ ...header, coder: { ...header.coder, seedWords: ${seedWords} } }, payload);
      try { await decompressImage(file, bundle, engine); console.log('RESULT returned'); }
      catch (e) { console.log('RESULT', e.name, e.code); }
    `;
    const child = spawnSync(process.execPath, ['--max-old-space-size=96', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const last = child.stdout.trim().split('\n').at(-1) ?? '';
    return last.startsWith('RESULT') ? last : `no result (status ${child.status}, signal ${child.signal}): ${child.stderr.split('\n').find((l) => /error/i.test(l)) ?? ''}`;
  }

  it('a forged seed word count (1000) fails with CORRUPT (the harness of the next test)', () => {
    expect(decodeForgedSeedCount(1000)).toBe('RESULT VdmzipError CORRUPT');
  });

  // BUG (src/codec.ts decompressImage: `seedWords(coder.seedWords)`): the seed word
  // count comes from the header (up to 2^32 − 1) and is materialised as a JS array before
  // any check, so a 136-byte file kills the process with a fatal out-of-memory error (not
  // catchable). Flip to `it` when fixed.
  it('a forged seed word count of 2^32 − 1 fails with CORRUPT, without exhausting memory', () => {
    expect(decodeForgedSeedCount(2 ** 32 - 1)).toBe('RESULT VdmzipError CORRUPT');
  });
});

describe('models the coder cannot use', () => {
  it('a file the chain made with another model is refused with MODEL_MISMATCH; a predictor-only file decodes with any', async () => {
    const image = makeImage(5, 5, 3, noise(18));
    const bytes = await compressImage(image, bundle, engine, { predictorRows: 0 });
    const predictorOnly = await compressImage(image, bundle, engine, { predictorRows: 5 });
    const other = tinyBundle(2);
    const otherEngine = await createEngine(other);
    try {
      await expect(decompressImage(bytes, other, otherEngine)).rejects.toMatchObject({ name: 'VdmzipError', code: 'MODEL_MISMATCH' });
      expectSameImage(await decompressImage(predictorOnly, other, otherEngine), image);
    } finally {
      await otherEngine.dispose();
    }
  });

  // BUG (src/chain/tiling.ts MODEL_CHANNELS = 3, src/codec.ts codingSetup): `vdmzip
  // train --channels 1` makes a 1-channel model, but the coder always lays patches out for 3
  // model channels, so the engine throws a RangeError ("features: expected 192 values for 1
  // patches, got 576"). Flip to `it` once such models are refused with a VdmzipError (or coded).
  it('a 1-channel model is refused with a VdmzipError', async () => {
    const config = { channels: 1, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
    const grey = bundleFromParams(config, initParams(config, 1));
    const greyEngine = await createEngine(grey);
    try {
      await expect(compressImage(makeImage(5, 4, 1, noise(19)), grey, greyEngine)).rejects.toBeInstanceOf(VdmzipError);
    } finally {
      await greyEngine.dispose();
    }
  });

  it('an inconsistent image is refused with INVALID_ARGUMENT', async () => {
    const bad: Image = { width: 4, height: 4, channels: 3, data: new Uint8Array(47) };
    await expect(compressImage(bad, bundle, engine)).rejects.toMatchObject({ name: 'VdmzipError', code: 'INVALID_ARGUMENT' });
  });
});
