// On a small trained model the bits-back coder's files must cost what the model's −ELBO
// says, up to the discretisation of the latents and the seed of the first chunk.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage, decompressImage } from '../src/coder/codec.ts';
import { imageElbo } from '../src/coder/elbo.ts';
import { readImage, type Image } from '../src/image/index.ts';
import { loadBundle, type ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';

/** Trained for 5000 steps on the training photos: patch 8, T = 16, widths 16/32 (see its train-log.jsonl). */
const MODEL = new URL('../fixtures/trained-tiny', import.meta.url).pathname;
const CROPS = new URL('../fixtures/crops32', import.meta.url).pathname;
/** Stated tolerance: |file bits / −ELBO bits − 1| over the set. Measured: +1.2% on these crops. */
const TOLERANCE = 0.05;

describe('file size against the model −ELBO', () => {
  let bundle: ModelBundle;
  let engine: IntegerEngine;
  let images: Image[];

  beforeAll(async () => {
    bundle = loadBundle(MODEL);
    engine = await createEngine(bundle, 'onnx');
    images = readdirSync(CROPS).filter((n) => n.endsWith('.png')).sort().slice(0, 8).map((n) => readImage(new Uint8Array(readFileSync(join(CROPS, n)))));
  });

  afterAll(async () => {
    await engine.dispose();
  });

  it(`is within ${TOLERANCE * 100}% over eight 32×32 crops (16 patches each), and every file decodes`, async () => {
    let fileBits = 0;
    let elboBits = 0;
    for (const image of images) {
      const bytes = await compressImage(image, bundle, engine);
      expect((await decompressImage(bytes, bundle, engine)).data).toEqual(image.data);
      fileBits += 8 * bytes.length;
      const e = await imageElbo(image, bundle, engine);
      elboBits += e.prior + e.diffusion + e.reconstruction;
    }
    expect(Math.abs(fileBits / elboBits - 1)).toBeLessThan(TOLERANCE);
  });
});
