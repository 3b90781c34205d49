// A file compressed with one engine decompresses with any other (DESIGN §4): ONNX Runtime with
// all graph optimisations on one thread, and with none on two threads (other kernels, other
// summation orders), produce byte-identical files and decode each other's files to identical
// pixels. test/engines.test.ts checks the engine itself against a float64 reference.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage, decompressImage, type CoderOptions } from '../src/codec.ts';
import { parseContainer } from '../src/format/container.ts';
import type { Channels, Image } from '../src/image/index.ts';
import { BIAS_MAX } from '../src/model/architecture.ts';
import type { ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';
import { seededNormal } from '../src/model/params.ts';
import { TINY_CONFIG, TINY_PIXEL_VARIANCE_CONFIG, tinyBundle } from './helpers/tiny-model.ts';

function hashNoise(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 24;
}

function image(width: number, height: number, channels: Channels, sample: (x: number, y: number, c: number) => number): Image {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = sample(x, y, c);
  return { width, height, channels, data };
}

const IMAGES: [string, Image][] = [
  ['RGB noise 33×20', image(33, 20, 3, (x, y, c) => hashNoise(1, (y * 33 + x) * 3 + c))],
  ['RGBA gradient with varying alpha 17×9', image(17, 9, 4, (x, y, c) => (c === 3 ? hashNoise(2, y * 17 + x) : (x * 15 + y * 28 + c * 80) & 255))],
  ['grey checkerboard 9×17', image(9, 17, 1, (x, y) => ((x + y) % 2 ? 255 : 0))],
  ['grey+alpha noise 7×3', image(7, 3, 2, (x, y, c) => hashNoise(3, (y * 7 + x) * 2 + c))],
  ['RGBA constant alpha 8×8', image(8, 8, 4, (x, y, c) => (c === 3 ? 200 : hashNoise(4, (y * 8 + x) * 3 + c)))],
  ['RGB 1×1', image(1, 1, 3, (_x, _y, c) => [0, 128, 255][c])],
  ['RGB 64×40 smooth (several chunks)', image(64, 40, 3, (x, y, c) => Math.round(127.5 + 100 * Math.sin(x / 7 + c) * Math.cos(y / 5 - c)))],
];

/** The tiny model with random static and per-step biases, so every layer's output depends on the step. */
function biasedBundle(seed: number, config = TINY_CONFIG): ModelBundle {
  const bundle = tinyBundle(seed, config);
  const normal = seededNormal(seed + 1000);
  for (const layer of bundle.meta.layers) {
    const bias = bundle.biases.get(layer.name)!;
    const unit = 2 ** layer.exponent * 32; // one activation unit, in accumulator units
    for (let i = 0; i < bias.length; i++) bias[i] = Math.max(-BIAS_MAX, Math.min(BIAS_MAX, Math.round(normal() * unit)));
  }
  return bundle;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function expectSamePixels(actual: Image, expected: Image, what: string): void {
  expect([actual.width, actual.height, actual.channels], what).toEqual([expected.width, expected.height, expected.channels]);
  const i = actual.data.findIndex((v, k) => v !== expected.data[k]);
  expect(i < 0 ? '' : `sample ${i}: ${actual.data[i]} ≠ ${expected.data[i]}`, what).toBe('');
}

for (const [label, makeBundle] of [
  ['tiny model (seed 1)', () => tinyBundle(1)],
  ['tiny model with random biases (seed 5)', () => biasedBundle(5)],
  // The biases spread the per-dimension variance factors over their range, so p's std varies per dimension.
  ['tiny per-pixel-variance model with random biases (seed 6)', () => biasedBundle(6, TINY_PIXEL_VARIANCE_CONFIG)],
] as const) {
  describe(`ONNX Runtime optimised ⇄ unoptimised on two threads, ${label}`, () => {
    let bundle: ModelBundle;
    let onnx: IntegerEngine;
    let other: IntegerEngine;

    beforeAll(async () => {
      bundle = makeBundle();
      onnx = await createEngine(bundle, { threads: 1 });
      other = await createEngine(bundle, { threads: 2, optimization: 'disabled' });
    });

    afterAll(async () => {
      await onnx?.dispose();
      await other?.dispose();
    });

    // The chain alone (no predictor rows): left to itself, the encoder gives images this small
    // to the predictor, which never runs the network.
    const chain = { predictorRows: 0 };
    const cases: [string, Image, CoderOptions][] = [
      ...IMAGES.map(([name, im]): [string, Image, CoderOptions] => [name, im, chain]),
      ['RGB noise 33×20, κ = 0.25', IMAGES[0][1], { ...chain, gridFactor: 0.25 }],
      ['RGBA 17×9, κ = 2', IMAGES[1][1], { ...chain, gridFactor: 2 }],
    ];

    for (const [name, im, options] of cases) {
      it(`${name}: byte-identical files, and each engine decodes the other's`, async () => {
        const fromOnnx = await compressImage(im, bundle, onnx, options);
        const fromOther = await compressImage(im, bundle, other, options);
        expect(fromOnnx.length).toBe(fromOther.length);
        expect(sameBytes(fromOnnx, fromOther), 'the two engines\' files differ').toBe(true);
        expect(parseContainer(fromOnnx).header.modelId).toBe(bundle.id.slice(0, 16));
        expectSamePixels(await decompressImage(fromOnnx, bundle, other), im, 'compressed optimised, decompressed unoptimised');
        expectSamePixels(await decompressImage(fromOther, bundle, onnx), im, 'compressed unoptimised, decompressed optimised');
      });
    }
  });
}
