// The network sees a chunk's neighbouring patches together: the chunk is cut into rectangles
// of patches, each the own part of a canvas (tiling.ts); each canvas adds a margin of context
// pixels from later chunks, right and below, noised deterministically (chain.ts). These tests pin the geometry, the placement
// through the denoiser, and the context noise.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextNoise, predict } from '../src/chain/chain.ts';
import { chainSchedule } from '../src/chain/schedule.ts';
import { chunkLayout, contextIndex, PADDING_SOURCE, tiling } from '../src/chain/tiling.ts';
import type { Image } from '../src/image/index.ts';
import { ACT_FRACTION_BITS, inputChannels } from '../src/model/architecture.ts';
import { Denoiser, type IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';
import { seededNormal } from '../src/model/params.ts';
import { TINY_CONFIG, tinyBundle } from './helpers/tiny-model.ts';

const P = 8;
const rgb = { kind: 'rgb' } as const;

function randomImage(width: number, height: number, seed: number): Image {
  let state = seed >>> 0;
  const data = Uint8Array.from({ length: width * height * 3 }, () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24));
  return { width, height, channels: 3, data };
}

describe('chunk canvases', () => {
  it('put every patch of the chunk once in an own part, at most three, where the tiling puts it; margins show only the chunk or later chunks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.nat(), fc.nat(), fc.constantFrom(0, 4, 8, 12, 32), (width, height, a, b, margin) => {
        const t = tiling(width, height, P);
        const first = a % t.count;
        const n = 1 + (b % (t.count - first));
        const image = randomImage(width, height, a ^ b);
        const { canvases, context } = chunkLayout(t, first, n, rgb, margin, image);
        expect(canvases.length).toBeLessThanOrEqual(3);
        const seen = new Int32Array(n * P * P);
        for (const canvas of canvases) {
          const { width: w, height: h, ownWidth, ownHeight, sources } = canvas;
          expect(ownWidth % P + ownHeight % P).toBe(0);
          // The own part's top-left pixel: the tiling position of its first patch.
          const slot00 = sources[0];
          const patch00 = first + Math.floor(slot00 / (P * P));
          const x0 = (patch00 % t.across) * P;
          const y0 = Math.floor(patch00 / t.across) * P;
          // The margin, where the patch grid continues, up to its edge.
          expect(w - ownWidth).toBe(Math.min(margin, t.across * P - x0 - ownWidth));
          expect(h - ownHeight).toBe(Math.min(margin, t.down * P - y0 - ownHeight));
          for (let cy = 0; cy < h; cy++) {
            for (let cx = 0; cx < w; cx++) {
              const source = sources[cy * w + cx];
              const x = x0 + cx;
              const y = y0 + cy;
              const index = Math.floor(y / P) * t.across + Math.floor(x / P);
              if (cx < ownWidth && cy < ownHeight) {
                expect(source).toBe((index - first) * P * P + (y % P) * P + (x % P));
                seen[source]++;
              } else if (index < first + n) {
                expect(index).toBeGreaterThanOrEqual(first);
                expect(source).toBe((index - first) * P * P + (y % P) * P + (x % P));
              } else if (x >= width || y >= height) {
                expect(source).toBe(PADDING_SOURCE);
              } else {
                const k = contextIndex(source);
                expect(k).toBeGreaterThanOrEqual(0);
                expect(context.positions[k]).toBe(y * width + x);
                for (let c = 0; c < 3; c++) expect(context.pixels[k * 3 + c]).toBe(image.data[(y * width + x) * 3 + c]);
              }
            }
          }
        }
        expect(Array.from(seen).every((count) => count === 1)).toBe(true);
        if (margin === 0) expect(context.positions.length).toBe(0);
      }),
    );
  });

  it('give the first patch of a 3×3-patch image context right and below; a grey plane repeats its channel', () => {
    const image = randomImage(24, 24, 7);
    const { canvases, context } = chunkLayout(tiling(24, 24, P), 0, 1, rgb, 4, image);
    expect(canvases.map((c) => [c.width, c.height])).toEqual([[12, 12]]);
    expect(context.positions.length).toBe(12 * 12 - 8 * 8);
    const grey = chunkLayout(tiling(24, 24, P), 0, 1, { kind: 'grey', channel: 1 }, 4, image).context;
    expect(grey.grey).toBe(true);
    for (let k = 0; k < grey.positions.length; k++) {
      const v = image.data[grey.positions[k] * 3 + 1];
      expect([grey.pixels[3 * k], grey.pixels[3 * k + 1], grey.pixels[3 * k + 2]]).toEqual([v, v, v]);
    }
  });
});

describe('context noise', () => {
  it('is the same on every machine: pinned values, mean 0 and variance 1', () => {
    expect([contextNoise(1, 0, 0), contextNoise(64, 123456, 2), contextNoise(7, 99, 1)]).toEqual([0.2098236083984375, 0.2995452880859375, 1.127044677734375]);
    let sum = 0;
    let squares = 0;
    const count = 60000;
    for (let k = 0; k < count; k++) {
      const e = contextNoise(1 + (k % 64), k, k % 3);
      sum += e;
      squares += e * e;
    }
    expect(Math.abs(sum / count)).toBeLessThan(0.02);
    expect(Math.abs(squares / count - 1)).toBeLessThan(0.03);
    expect(contextNoise(3, 5, 0)).not.toBe(contextNoise(4, 5, 0));
    expect(contextNoise(3, 5, 0)).not.toBe(contextNoise(3, 6, 0));
    expect(contextNoise(3, 5, 0)).not.toBe(contextNoise(3, 5, 1));
  });
});

describe('denoiser over canvases', () => {
  const bundle = tinyBundle(3);
  const { channels } = TINY_CONFIG;
  let engine: IntegerEngine;
  beforeAll(async () => {
    engine = await createEngine(bundle, { threads: 1 });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  const t = tiling(32, 16, P); // 4 × 2 patches
  const image = randomImage(32, 16, 3);
  const normal = seededNormal(9);
  const latentsFor = (n: number) => Float64Array.from({ length: n * P * P * channels }, () => 0.8 * normal());
  const s = chainSchedule(bundle, 1);

  /** An engine that maps each pixel's features to its outputs on its own: placement must not change its results. */
  const pointwise: IntegerEngine = {
    name: 'pointwise',
    batch: 16,
    run: async (features, count, _step, size) => {
      const pixels = count * (size ? size.height * size.width : P * P);
      const cin = inputChannels(TINY_CONFIG);
      const out = new Float32Array(pixels * channels);
      for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = features[p * cin + c] * (c + 2) + features[p * cin + channels + c];
      return out;
    },
    dispose: async () => {},
  };

  it('reads every patch back where it was: a pixel-wise engine gives the same ε̂ alone, in canvases, and with context', async () => {
    const denoiser = new Denoiser(bundle, pointwise);
    for (const [first, n] of [[0, 1], [1, 2], [1, 5], [0, 8], [3, 4]]) {
      const z = latentsFor(n);
      const alone = await denoiser.predictCanvases(z, n, { height: P, width: P }, 2);
      const placed = await predict(chunkLayout(t, first, n, rgb), z, 2, s, denoiser);
      const withContext = await predict(chunkLayout(t, first, n, rgb, s.contextMargin, image), z, 2, s, denoiser);
      expect(Array.from(placed.epsHat), `${first}+${n}`).toEqual(Array.from(alone.epsHat));
      expect(Array.from(withContext.epsHat), `${first}+${n}`).toEqual(Array.from(alone.epsHat));
    }
  });

  it('places patch j of a 2×2 block at pixel (row·P + y, col·P + x) of one 2P×2P picture, and context z = α·v + σ·ε beside it', async () => {
    const inputs: Float32Array[] = [];
    const sizes: (number[] | undefined)[] = [];
    const recorder: IntegerEngine = { name: 'recorder', batch: 16, run: async (f, c, s, size) => (inputs.push(f.slice()), sizes.push(size && [size.width, size.height]), pointwise.run(f, c, s, size)), dispose: async () => {} };
    const denoiser = new Denoiser(bundle, recorder);
    const square = tiling(16, 16, P);
    const z = latentsFor(4);
    await denoiser.predictCanvases(z, 4, { height: P, width: P }, 2);
    await predict(chunkLayout(square, 0, 4, rgb), z, 2, s, denoiser);
    const [apart, picture] = inputs;
    const cin = inputChannels(TINY_CONFIG);
    expect(sizes[1]).toEqual([16, 16]);
    for (let j = 0; j < 4; j++) {
      for (let y = 0; y < P; y++) {
        for (let x = 0; x < P; x++) {
          const from = ((j * P + y) * P + x) * cin;
          const to = (((j >> 1) * P + y) * 2 * P + (j & 1) * P + x) * cin;
          expect(Array.from(picture.subarray(to, to + cin))).toEqual(Array.from(apart.subarray(from, from + cin)));
        }
      }
    }
    // Patch 0 of a 4×2-patch image with context: its canvas is (8 + m)², the pixel right of it
    // is image pixel (8, 0) at step 2, quantised like every feature.
    const margin = s.contextMargin;
    inputs.length = 0;
    sizes.length = 0;
    await predict(chunkLayout(t, 0, 1, rgb, margin, image), latentsFor(1), 2, s, denoiser);
    expect(sizes[0]).toEqual([Math.min(P + margin, 32), Math.min(P + margin, 16)]);
    const canvasWidth = sizes[0]![0];
    const at = (0 * canvasWidth + P) * cin;
    const expected = s.alpha[2] * ((image.data[P * 3] + 0.5) / 128 - 1) + s.sigma[2] * contextNoise(2, P, 0);
    expect(inputs[0][at]).toBe(Math.floor(expected * 2 ** ACT_FRACTION_BITS + 0.5));
    expect(expected).not.toBe(0);
  });

  it('with the real network: one-patch canvases equal each patch alone; patches in one canvas, and context, change ε̂', async () => {
    const denoiser = new Denoiser(bundle, engine);
    const z = latentsFor(4);
    const alone = await denoiser.predictCanvases(z, 4, { height: P, width: P }, 2);
    for (let j = 0; j < 4; j++) {
      const single = await predict(chunkLayout(t, j, 1, rgb), z.subarray(j * P * P * 3, (j + 1) * P * P * 3), 2, s, denoiser);
      expect(Array.from(single.epsHat)).toEqual(Array.from(alone.epsHat.subarray(j * P * P * 3, (j + 1) * P * P * 3)));
    }
    const together = await predict(chunkLayout(t, 0, 4, rgb), z, 2, s, denoiser);
    expect(Array.from(together.epsHat).filter((v, k) => v !== alone.epsHat[k]).length).toBeGreaterThan(0);
    const withContext = await predict(chunkLayout(t, 0, 4, rgb, s.contextMargin, image), z, 2, s, denoiser);
    expect(Array.from(withContext.epsHat).filter((v, k) => v !== together.epsHat[k]).length).toBeGreaterThan(0);
  });
});
