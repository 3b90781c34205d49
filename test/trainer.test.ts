// The PyTorch trainer (training/) against the coder's engine: its fake-quantised forward is the
// ONNX integer network bit for bit, its loss is a float64 reference's built on that engine for
// the same weights, batch and noise, and `train` runs it end to end.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeImage } from '../src/image/index.ts';
import { ACT_FRACTION_BITS, inputChannels, outputChannels, VARIANCE_LOG2_MAX, VARIANCE_LOG2_MIN, type ModelConfig } from '../src/model/architecture.ts';
import { bundleFromParams } from '../src/model/bundle.ts';
import { denoiserFeatures } from '../src/model/denoiser.ts';
import { OnnxEngine } from '../src/model/engine-onnx.ts';
import { initParams, paramLayout, REVERSE_LOG_VARIANCE, view, weightExponents } from '../src/model/params.ts';
import { gammaValues } from '../src/model/schedule.ts';
import { createCheckpoint, exportCheckpoint, loadCheckpoint, train } from '../src/training/train.ts';
import { mulberry32, normalSampler } from '../src/random.ts';
import { describeTorch, readFloats, runCheck, trainerLoss } from './trainer-harness.ts';

const SHIPPED = loadCheckpoint('models/default/training');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vdmzip-trainer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeTorch('PyTorch fake-quantised forward = ONNX integer network', () => {
  const cases: { name: string; params: () => Float32Array; step: number; height: number; width: number; n: number }[] = [
    { name: 'shipped weights, step 1', params: () => SHIPPED.ema, step: 1, height: 32, width: 32, n: 3 },
    { name: 'shipped weights, step 40, a 32×64 canvas', params: () => SHIPPED.ema, step: 40, height: 32, width: 64, n: 1 },
    { name: 'initial weights scaled up to saturate, step 64', params: () => initParams(SHIPPED.meta.config, 5).map((w) => 6 * w), step: 64, height: 32, width: 32, n: 2 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { config } = SHIPPED.meta;
      const params = c.params();
      const bundle = bundleFromParams(config, params);
      const random = mulberry32(c.step);
      const features = Float32Array.from({ length: c.n * c.height * c.width * inputChannels(config) }, () => Math.floor(random() * 255) - 127);
      const engine = await OnnxEngine.create(bundle);
      const onnx = await engine.run(features, c.n, c.step, { height: c.height, width: c.width });
      await engine.dispose();
      const folder = runCheck(config, params, { kind: 'forward', shape: [c.n, c.height, c.width, inputChannels(config)], step: c.step }, { 'features.bin': features });
      const torch = readFloats(join(folder, 'accumulators.bin'));
      expect(torch.length).toBe(c.n * c.height * c.width * outputChannels(config));
      let differing = 0;
      for (let i = 0; i < onnx.length; i++) if (torch[i] !== onnx[i]) differing++;
      expect(differing).toBe(0);
      // Not a vacuous match: the outputs vary and reach large accumulators.
      expect(Math.max(...onnx.map(Math.abs))).toBeGreaterThan(1000);
    }, 60_000);
  }
});

/** erfc(x) with relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const y = t * Math.exp(-x * x + poly);
  return x >= 0 ? y : 2 - y;
}

/** Φ(b) − Φ(a) for a < b, on the side of zero where it does not cancel. */
function normalMass(a: number, b: number): number {
  return a > 0 ? 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2)) : 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
}

/**
 * The −ELBO estimator's three terms (nats, summed over the batch) in float64, the network's
 * outputs from the coder's ONNX engine: an independent reference for the trainer's loss
 * (src/model/vdm.ts and training/vdm.py spell out the terms).
 */
async function referenceTerms(config: ModelConfig, params: Float32Array, batch: { pixels: Float32Array; steps: Int32Array; weights: Float32Array; eps: Float32Array; eps0: Float32Array }) {
  const { channels: C, patch: P } = config;
  const layout = paramLayout(config);
  const gamma = gammaValues(config, params);
  const skip = view(params, layout.byName.get('skip')!);
  const logStepK = view(params, layout.byName.get(REVERSE_LOG_VARIANCE)!);
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const bundle = bundleFromParams(config, params);
  const engine = await OnnxEngine.create(bundle);
  const outScale = 2 ** -(bundle.meta.layers.at(-1)!.exponent + ACT_FRACTION_BITS);
  const dims = P * P * C;
  const T = config.T;
  let prior = 0;
  let diffusion = 0;
  let reconstruction = 0;
  for (let b = 0; b < batch.steps.length; b++) {
    const i = batch.steps[b];
    const alpha = Math.sqrt(sigmoid(-gamma[i]));
    const sigma = Math.sqrt(sigmoid(gamma[i]));
    const at = (a: Float32Array, k: number) => a[b * dims + k];
    const v = Float64Array.from({ length: dims }, (_, k) => (at(batch.pixels, k) + 0.5) / 128 - 1);
    const z = Float64Array.from(v, (vk, k) => alpha * vk + sigma * at(batch.eps, k));
    const features = new Float32Array(P * P * inputChannels(config));
    const epsNearest = new Float64Array(dims);
    denoiserFeatures(z, C, { alpha, sigma, invAlpha: 1 / alpha, invSigma: 1 / sigma }, features, epsNearest);
    const acc = await engine.run(features, 1, i);
    const outputs = outputChannels(config);
    const c = -Math.expm1(gamma[0] - gamma[1]);
    const stdU = Math.exp(0.5 * gamma[0]) / Math.sqrt(c);
    for (let k = 0; k < dims; k++) {
      const p = Math.floor(k / C);
      const ch = k % C;
      const epsHat = acc[p * outputs + ch] * outScale + skip[i - 1] * epsNearest[k];
      const q = Math.min(VARIANCE_LOG2_MAX * 8, Math.max(VARIANCE_LOG2_MIN * 8, Math.floor(acc[p * outputs + C + ch] * outScale * 8 + 0.5)));
      const logK = logStepK[i - 1] + (q / 8) * Math.LN2;
      const eps = at(batch.eps, k);
      prior += 0.5 * (sigmoid(gamma[T]) + sigmoid(-gamma[T]) * v[k] * v[k] - 1 + Math.log1p(Math.exp(-gamma[T])));
      const r = Math.expm1(gamma[i] - gamma[i - 1]) * (eps - epsHat) ** 2;
      diffusion += 0.5 * batch.weights[b] * (r * Math.exp(-logK) + Math.expm1(-logK) + logK);
      if (i !== 1) continue;
      const uError = stdU * at(batch.eps0, k);
      const meanError = uError + (Math.exp(0.5 * gamma[1]) * (eps - epsHat) - uError) * Math.exp(-logK);
      const std = Math.sqrt(Math.max(stdU * stdU * -Math.expm1(-logK), (1 / 16 / 128) ** 2));
      const x = at(batch.pixels, k);
      const upper = x === 255 ? Infinity : (0.5 / 128 - meanError) / std;
      const lower = x === 0 ? -Infinity : (-0.5 / 128 - meanError) / std;
      reconstruction -= batch.weights[b] * Math.log(Math.max(normalMass(lower, upper), 1e-30));
    }
  }
  await engine.dispose();
  return { prior, diffusion, reconstruction };
}

describeTorch('PyTorch loss = a float64 reference on the coder\'s engine', () => {
  it('the same weights, batch and noise give the same three terms', async () => {
    const { config } = SHIPPED.meta;
    const params = SHIPPED.params;
    const n = 6;
    const random = mulberry32(11);
    const normal = normalSampler(random);
    // Photo-like pixels: ramps with noise, clipped so that both end bins occur.
    const pixels = new Float32Array(n * config.patch * config.patch * config.channels);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(((i >> 3) % 300) - 20 + 8 * normal())));
    const steps = Int32Array.from([1, 1, 2, 5, 20, 64]);
    const weights = Float32Array.from(steps, (s) => (s === 1 ? 10 : 70));
    const eps = Float32Array.from(pixels, () => normal());
    const eps0 = Float32Array.from(pixels, () => normal());
    const reference = await referenceTerms(config, params, { pixels, steps, weights, eps, eps0 });
    const { terms: torch, folder } = trainerLoss(config, params, { pixels, steps, weights, eps, eps0 });
    // The prior is a sum of small differences (σ_T² − 1 + softplus(−γ_T) ≈ 10⁻⁵ a dimension),
    // so float32 keeps fewer of its digits than the other terms'.
    expect(torch.prior / reference.prior, 'prior').toBeCloseTo(1, 3);
    for (const term of ['diffusion', 'reconstruction'] as const) expect(torch[term] / reference[term], term).toBeCloseTo(1, 4);
    expect(reference.reconstruction).toBeGreaterThan(0.1 * reference.diffusion);
    const gradient = readFloats(join(folder, 'gradient.bin'));
    expect(gradient.every(Number.isFinite)).toBe(true);
    expect(torch.gradNorm).toBeGreaterThan(0);
  }, 120_000);
});

describeTorch('train (python3 -m training)', () => {
  const CONFIG: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1, variance: 'pixel' };
  let data: string;
  beforeAll(() => {
    data = join(dir, 'data');
    for (const split of ['train', 'val']) {
      mkdirSync(join(data, split), { recursive: true });
      for (let k = 0; k < 2; k++) {
        const width = 40;
        const height = 36;
        // Smooth colour ramps, so that a few steps visibly learn.
        const image = Uint8Array.from({ length: width * height * 3 }, (_, i) => {
          const p = Math.floor(i / 3);
          return (40 + 60 * (i % 3) + 2 * (p % width) + (k + 1) * Math.floor(p / width)) & 255;
        });
        writeFileSync(join(data, split, `${k}.ppm`), writeImage({ width, height, channels: 3, data: image }, 'pnm'));
      }
    }
  });

  const run = (out: string, resume: boolean, trainerArgs: string[]) =>
    train({ trainDirs: [join(data, 'train')], valDir: join(data, 'val'), out, config: CONFIG, resume, seed: 3, trainerArgs: ['--device', 'cpu', '--threads', '1', '--batch', '8', '--val-patches', '16', ...trainerArgs] });

  it('lowers the validation −ELBO, holds --freeze tensors, trains on --crop crops, logs what the report reads, and exports', async () => {
    const out = join(dir, 'run');
    await run(out, false, ['--steps', '2', '--lr', '3e-3', '--warmup', '1']);
    const before = loadCheckpoint(out);
    expect(before.meta.step).toBe(2);
    await run(out, true, ['--steps', '40', '--lr', '3e-3', '--warmup', '1', '--val-every', '38', '--freeze', 'gamma.ends,skip', '--crop', '16']);
    const after = loadCheckpoint(out);
    expect(after.meta.step).toBe(40);
    expect(after.meta.examples).toBe(320);
    const layout = paramLayout(CONFIG);
    for (const name of ['gamma.ends', 'skip']) expect(Array.from(view(after.params, layout.byName.get(name)!)), name).toEqual(Array.from(view(before.ema, layout.byName.get(name)!)));
    let moved = 0;
    for (let i = 0; i < after.params.length; i++) if (after.params[i] !== before.params[i]) moved++;
    expect(moved).toBeGreaterThan(after.params.length / 2);
    // No layer's weight grid coarsened: weights saturate at their exponent's range instead.
    const exponentsBefore = weightExponents(CONFIG, before.params);
    for (const [layer, exponent] of weightExponents(CONFIG, after.params)) expect(exponent, layer).toBeGreaterThanOrEqual(exponentsBefore.get(layer)!);

    const log = readFileSync(join(out, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const vals = log.filter((r) => r.kind === 'val') as { step: number; bpd: number; gamma: number[]; stepShare: number[] }[];
    // Each run validates at its start, and this one every 38 steps.
    expect(vals.map((v) => v.step)).toEqual([0, 2, 38]);
    expect(vals[2].bpd).toBeLessThan(0.95 * vals[0].bpd);
    expect(vals[2].gamma.length).toBe(CONFIG.T + 1);
    expect(log.some((r) => r.kind === 'run' && r.crop === 16)).toBe(true);
    expect(log.filter((r) => r.kind === 'freeze')).toEqual([{ kind: 'freeze', step: 2, names: ['gamma.ends', 'skip'] }]);
    expect(log.filter((r) => r.kind === 'train').map((r) => r.step)).toEqual([20, 40]);
    // Importance sampling (the default) takes its step probabilities from each validation.
    const sampling = log.filter((r) => r.kind === 'sampling') as { probabilities: number[] }[];
    expect(sampling.length).toBeGreaterThanOrEqual(2);
    for (const { probabilities } of sampling) {
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(Math.min(...probabilities)).toBeGreaterThanOrEqual(0.25 / CONFIG.T - 1e-12);
    }
    expect(exportCheckpoint(out, join(dir, 'model')).meta.config.patch).toBe(8);
  }, 120_000);

  it('refuses a second new run in the same folder, a crop the network cannot halve, and a crop larger than every image', async () => {
    expect(() => createCheckpoint(join(dir, 'run'), CONFIG, 1)).toThrow(/already holds a training checkpoint/);
    await expect(run(join(dir, 'odd'), false, ['--steps', '1', '--crop', '9'])).rejects.toThrow(/exit status 1/);
    await expect(run(join(dir, 'big'), false, ['--steps', '1', '--crop', '48'])).rejects.toThrow(/exit status 1/);
  }, 60_000);
});
