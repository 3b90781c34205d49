// From coder parameters version 4 the network sees a chunk's neighbouring patches together:
// the chunk is cut into rectangles of patches (tiling.ts) and the denoiser places each
// rectangle's patches side by side for one engine run (denoiser.ts). These tests pin both.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkLayout, tiling } from '../src/coder/tiling.ts';
import { inputChannels } from '../src/model/architecture.ts';
import { Denoiser, type IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';
import { seededNormal } from '../src/model/params.ts';
import { TINY_CONFIG, tinyBundle } from './helpers/tiny-model.ts';

describe('chunk blocks', () => {
  it('cover the chunk in order with at most three rectangles, each patch where the tiling puts it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.nat(), fc.nat(), (across, down, a, b) => {
        const t = tiling(across * 8, down * 8, 8);
        const first = a % t.count;
        const n = 1 + (b % (t.count - first));
        const { blocks } = chunkLayout(t, first, n, { kind: 'rgb' });
        expect(blocks.length).toBeLessThanOrEqual(3);
        let next = 0;
        for (const block of blocks) {
          expect(block.first).toBe(next);
          expect(block.across * block.rows).toBeGreaterThan(0);
          // The block's top-left patch and every other one sit at the tiling's positions.
          const top = Math.floor((first + block.first) / across);
          const left = (first + block.first) % across;
          expect(left + block.across).toBeLessThanOrEqual(across);
          if (block.rows > 1) expect([left, block.across]).toEqual([0, across]);
          for (let j = 0; j < block.across * block.rows; j++) {
            const index = first + block.first + j;
            expect([Math.floor(index / across), index % across]).toEqual([top + Math.floor(j / block.across), left + (j % block.across)]);
          }
          next += block.across * block.rows;
        }
        expect(next).toBe(n);
      }),
    );
  });
});

describe('denoiser over blocks of patches', () => {
  const bundle = tinyBundle(3);
  const { patch, channels } = TINY_CONFIG;
  let engine: IntegerEngine;
  beforeAll(async () => {
    engine = await createEngine(bundle, 'onnx', { threads: 1 });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  const n = 4;
  const normal = seededNormal(9);
  const z = Float64Array.from({ length: n * patch * patch * channels }, () => 0.8 * normal());

  /** An engine that maps each pixel's features to its outputs on its own: blocks must not change its results. */
  const pointwise: IntegerEngine = {
    name: 'pointwise',
    run: async (features, count, _step, size) => {
      const pixels = count * (size ? size.height * size.width : patch * patch);
      const cin = inputChannels(TINY_CONFIG);
      const out = new Float32Array(pixels * channels);
      for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = features[p * cin + c] * (c + 2) + features[p * cin + channels + c];
      return out;
    },
    dispose: async () => {},
  };

  it('places every patch and reads it back where it was: a pixel-wise engine gives the same ε̂ with or without blocks', async () => {
    const denoiser = new Denoiser(bundle, pointwise);
    const alone = await denoiser.predictNoise(z, n, 2);
    for (const blocks of [[{ first: 0, across: 2, rows: 2 }], [{ first: 0, across: 1, rows: 1 }, { first: 1, across: 3, rows: 1 }], [{ first: 0, across: 4, rows: 1 }]]) {
      const placed = await denoiser.predictNoise(z, n, 2, blocks);
      expect(Array.from(placed.epsHat), JSON.stringify(blocks)).toEqual(Array.from(alone.epsHat));
    }
  });

  it('places patch j of a 2×2 block at pixel (row·P + y, col·P + x) of one 2P×2P picture', async () => {
    const inputs: Float32Array[] = [];
    const recorder: IntegerEngine = { name: 'recorder', run: async (f, c, s, size) => (inputs.push(f.slice()), pointwise.run(f, c, s, size)), dispose: async () => {} };
    const denoiser = new Denoiser(bundle, recorder);
    await denoiser.predictNoise(z, n, 2);
    await denoiser.predictNoise(z, n, 2, [{ first: 0, across: 2, rows: 2 }]);
    const [apart, picture] = inputs;
    const cin = inputChannels(TINY_CONFIG);
    expect(picture.length).toBe(apart.length);
    for (let j = 0; j < n; j++) {
      for (let y = 0; y < patch; y++) {
        for (let x = 0; x < patch; x++) {
          const from = ((j * patch + y) * patch + x) * cin;
          const to = (((j >> 1) * patch + y) * 2 * patch + (j & 1) * patch + x) * cin;
          expect(Array.from(picture.subarray(to, to + cin))).toEqual(Array.from(apart.subarray(from, from + cin)));
        }
      }
    }
  });

  it('one-patch blocks equal each patch alone with the real network; a 2×2 block lets patches see each other', async () => {
    const denoiser = new Denoiser(bundle, engine);
    const alone = await denoiser.predictNoise(z, n, 2);
    const singles = await denoiser.predictNoise(z, n, 2, [0, 1, 2, 3].map((first) => ({ first, across: 1, rows: 1 })));
    expect(Array.from(singles.epsHat)).toEqual(Array.from(alone.epsHat));
    const together = await denoiser.predictNoise(z, n, 2, [{ first: 0, across: 2, rows: 2 }]);
    const changed = Array.from(together.epsHat).filter((v, k) => v !== alone.epsHat[k]).length;
    expect(changed).toBeGreaterThan(0);
  });
});
