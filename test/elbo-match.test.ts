// On a small trained model the bits-back coder's files must cost what the model's −ELBO
// says, up to the discretisation of the latents and the seed of the first chunk.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage, decompressImage } from '../src/codec.ts';
import { elboTotal, imageElbo, imagesElbo } from '../src/chain/elbo.ts';
import { cropImage, readImage, type Image } from '../src/image/index.ts';
import { loadBundle, type ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';

/** Trained for 5000 steps on the training photos: patch 8, T = 16, widths 16/32 (see its train-log.jsonl). */
const MODEL = new URL('../fixtures/trained-tiny', import.meta.url).pathname;
const CROPS = new URL('../fixtures/crops32', import.meta.url).pathname;
/** Stated tolerance: |file bits / −ELBO bits − 1| over the set. Measured: +1.2% on these crops. */
const TOLERANCE = 0.05;
/**
 * With k_i > 1 the coder realises less of the gain than the continuous −ELBO promises (the
 * network sees latents on the coder's grid, and a wider p would pay): measured +6.1% here, +2%
 * to +5% on the shipped model (docs/experiments.md).
 */
const FITTED_TOLERANCE = 0.08;

describe('file size against the model −ELBO', () => {
  let bundle: ModelBundle;
  let engine: IntegerEngine;
  let images: Image[];

  beforeAll(async () => {
    bundle = loadBundle(MODEL);
    engine = await createEngine(bundle);
    images = readdirSync(CROPS).filter((n) => n.endsWith('.png')).sort().slice(0, 8).map((n) => readImage(new Uint8Array(readFileSync(join(CROPS, n)))));
  });

  afterAll(async () => {
    await engine.dispose();
  });

  it(`is within ${TOLERANCE * 100}% over eight 32×32 crops (16 patches each), and every file decodes`, async () => {
    let fileBits = 0;
    let elboBits = 0;
    for (const image of images) {
      // The chain alone: this model's bound is far above what the predictor rows code these
      // crops in, so left to itself the encoder would code them by the predictor.
      const bytes = await compressImage(image, bundle, engine, { predictorRows: 0 });
      expect((await decompressImage(bytes, bundle, engine)).data).toEqual(image.data);
      fileBits += 8 * bytes.length;
      const e = await imageElbo(image, bundle, engine);
      elboBits += e.prior + e.diffusion + e.reconstruction;
    }
    expect(Math.abs(fileBits / elboBits - 1)).toBeLessThan(TOLERANCE);
  });

  it(`with reverse variances fitted on other crops: a lower −ELBO, and files within ${FITTED_TOLERANCE * 100}%`, async () => {
    // This model was trained with k = 1; k_i = 1 + mean r_i measured on crops 8–15 is the
    // optimum the trainer's calibration sets. Coded on crops 0–7.
    const { T } = bundle.meta.config;
    const fitting = readdirSync(CROPS).filter((n) => n.endsWith('.png')).sort().slice(8, 16).map((n) => readImage(new Uint8Array(readFileSync(join(CROPS, n)))));
    const distortion = new Float64Array(T + 1);
    let dims = 0;
    for (const image of fitting) {
      const e = await imageElbo(image, bundle, engine);
      e.stepDistortion.forEach((r, i) => (distortion[i] += r));
      dims += e.dims;
    }
    const fitted: ModelBundle = { ...bundle, meta: { ...bundle.meta, steps: { ...bundle.meta.steps, reverseVariance: Array.from({ length: T }, (_, i) => 1 + distortion[i + 1] / dims) } } };
    let fileBits = 0;
    let elboBits = 0;
    let plainElboBits = 0;
    for (const image of images.slice(0, 4)) {
      const bytes = await compressImage(image, fitted, engine, { predictorRows: 0 });
      expect((await decompressImage(bytes, fitted, engine)).data).toEqual(image.data);
      fileBits += 8 * bytes.length;
      const e = await imageElbo(image, fitted, engine);
      elboBits += e.prior + e.diffusion + e.reconstruction;
      const plain = await imageElbo(image, bundle, engine);
      plainElboBits += plain.prior + plain.diffusion + plain.reconstruction;
    }
    expect(elboBits).toBeLessThan(0.85 * plainElboBits); // measured: 0.76
    expect(Math.abs(fileBits / elboBits - 1)).toBeLessThan(FITTED_TOLERANCE);
  });

  it('several images at once: each result equals the image alone, in a quarter of the network calls', async () => {
    let calls = 0;
    // An engine whose batch (in patches) holds four of these 32×32 canvases of 8×8 patches, as a GPU's does.
    const counting: IntegerEngine = { name: engine.name, batch: 64, run: (...args) => (calls++, engine.run(...args)), dispose: () => Promise.resolve() };
    const four = images.slice(0, 4);
    const alone = [];
    for (const image of four) alone.push(await imageElbo(image, bundle, counting, { seed: 3, sampling: { exactSteps: 4, stride: 4 } }));
    const aloneCalls = calls;
    calls = 0;
    const together = await imagesElbo(four, bundle, counting, { seed: 3, sampling: { exactSteps: 4, stride: 4 } });
    expect(together).toEqual(alone);
    expect(calls * 4).toBe(aloneCalls);
    await expect(imagesElbo([four[0], cropImage(four[1], 0, 0, 16, 16)], bundle, engine)).rejects.toThrow(RangeError);
  });

  it('stopped once its sum passes a bound: a lower bound of every term, in fewer network calls, or the whole sum where the bound is not passed', async () => {
    const bits = (results: { prior: number; diffusion: number; reconstruction: number }[]) => results.reduce((sum, e) => sum + e.prior + e.diffusion + e.reconstruction, 0);
    let calls = 0;
    const counting: IntegerEngine = { name: engine.name, batch: engine.batch, run: (...args) => (calls++, engine.run(...args)), dispose: () => Promise.resolve() };
    const four = images.slice(0, 4);
    const whole = await imagesElbo(four, bundle, counting);
    const wholeCalls = calls;
    expect(whole.every((e) => e.complete)).toBe(true);
    calls = 0;
    const reports: [number, number][] = [];
    const stopped = await imagesElbo(four, bundle, counting, { stopWhen: (sum) => sum > 0.8 * bits(whole), onCall: (done, total) => reports.push([done, total]) });
    expect(bits(stopped)).toBeGreaterThan(0.8 * bits(whole));
    expect(elboTotal(stopped)).toBe(bits(stopped));
    expect(bits(stopped)).toBeLessThanOrEqual(bits(whole));
    stopped.forEach((e, m) => {
      expect(e.complete).toBe(false);
      for (const term of ['prior', 'diffusion', 'reconstruction'] as const) expect(e[term]).toBeLessThanOrEqual(whole[m][term]);
    });
    expect(calls).toBeLessThan(wholeCalls);
    // The progress it reports ends at its own last call.
    expect(reports[reports.length - 1][0]).toBe(reports[reports.length - 1][1]);
    const unreached = await imagesElbo(four, bundle, engine, { stopWhen: (sum) => sum > bits(whole) + 1 });
    expect(unreached).toEqual(whole);
  });

  it('estimated from a sample of the steps, it stays within 1% of the sum over all of them', async () => {
    const bits = (e: { prior: number; diffusion: number; reconstruction: number }) => e.prior + e.diffusion + e.reconstruction;
    let [full, sampled] = [0, 0];
    for (const image of images) {
      const whole = bits(await imageElbo(image, bundle, engine));
      // Every step exact: the same sum, to the last bit.
      expect(bits(await imageElbo(image, bundle, engine, { sampling: { exactSteps: bundle.meta.config.T, stride: 4 } }))).toBe(whole);
      full += whole;
      sampled += bits(await imageElbo(image, bundle, engine, { sampling: { exactSteps: 4, stride: 4 } }));
    }
    // Measured: 0.998 (7 of this model's 16 steps evaluated; the shipped model's estimate in
    // the encoder, 16 exact steps and one in 16 after them, measured 0.997–1.000 of the full
    // −ELBO on 32×32 and 128×64 crops).
    expect(Math.abs(sampled / full - 1)).toBeLessThan(0.01);
  });

  it("with a file's own chunk schedule: one chunk of all 16 patches is the default, and chunks of one patch lose context", async () => {
    const bits = (e: { prior: number; diffusion: number; reconstruction: number }) => e.prior + e.diffusion + e.reconstruction;
    const image = images[0];
    const whole = bits(await imageElbo(image, bundle, engine));
    expect(bits(await imageElbo(image, bundle, engine, { chunkSizes: [16] }))).toBe(whole);
    // Each patch alone still sees the later ones right of and below it (version 5), but none
    // before it; the noise draws differ too, so compare loosely.
    const single = bits(await imageElbo(image, bundle, engine, { chunkSizes: new Array(16).fill(1) }));
    expect(single).toBeGreaterThan(whole);
  });
});
