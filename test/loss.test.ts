// Properties of the trainer's −ELBO estimator (training/vdm.py) that tie it to the coder: the
// reconstruction term is what the coder pays for the pixels, importance weights scale what
// they should, and the learned reverse variance prices each step as the Gaussian KL it is.

import { expect, it } from 'vitest';
import { boundedGaussianBits } from '../src/ans/index.ts';
import { chainSchedule, pixelDistributions } from '../src/chain/schedule.ts';
import type { ModelConfig } from '../src/model/architecture.ts';
import { bundleFromParams } from '../src/model/bundle.ts';
import { Denoiser } from '../src/model/denoiser.ts';
import { OnnxEngine } from '../src/model/engine-onnx.ts';
import { paramLayout, REVERSE_LOG_VARIANCE, seededNormal, view } from '../src/model/params.ts';
import { randomParams } from './helpers/tiny-model.ts';
import { describeTorch, trainerLoss } from './trainer-harness.ts';

const TINY: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };

function noise(count: number, seed: number): { eps: Float32Array; eps0: Float32Array } {
  const normal = seededNormal(seed);
  return { eps: Float32Array.from({ length: count }, normal), eps0: Float32Array.from({ length: count }, normal) };
}

describeTorch('the trainer\'s −ELBO estimator', () => {
  it("reconstruction: the coder's bits for step-1 examples (same ε, ε0), zero at other steps, and far below p(x | z_0) when ε̂ is good", async () => {
    const config: ModelConfig = { ...TINY, variance: 'pixel' };
    const { patch, channels, T } = config;
    const n = 6;
    const D = patch * patch * channels;
    const params = randomParams(config, 11);
    // k_1 = e^3: the random network's ε̂ is poor, and K must say so. (Where p is confidently
    // wrong, the coder's frequency floor caps a pixel's cost near 24 bits while the exact
    // Gaussian in the loss charges more: the loss only overstates such pixels.)
    view(params, paramLayout(config).byName.get(REVERSE_LOG_VARIANCE)!).set([3, 0.5, 0.3, 0.1]);
    // γ_min of the shipped model: z_0's noise is about half a pixel step.
    view(params, paramLayout(config).byName.get('gamma.ends')!).set([-10.8, 5]);
    const steps = Int32Array.from([1, 2, 1, 3, 1, 4]);
    // Smooth content with a hard edge and both extremes: the end bins take the tails.
    const pixels = Float32Array.from({ length: n * D }, (_, i) => (i % 7 === 0 ? 255 : i % 11 === 0 ? 0 : (i * 3) % 200));
    const { eps, eps0 } = noise(n * D, 21);
    const reconstruction = trainerLoss(config, params, { pixels, steps, eps, eps0 }).terms.reconstructionEach;

    const bundle = bundleFromParams(config, params);
    const s = chainSchedule(bundle, 1);
    const engine = await OnnxEngine.create(bundle);
    const denoiser = new Denoiser(bundle, engine);
    const z1 = Float64Array.from(pixels, (x, i) => s.alpha[1] * ((x + 0.5) / 128 - 1) + s.sigma[1] * eps[i]);
    const { epsHat, stdFactor } = await denoiser.predictCanvases(z1, n, { height: patch, width: patch }, 1);
    await engine.dispose();
    const { latentGain, dataGain, std } = s.stepOnePosterior;
    const z0 = Float64Array.from(pixels, (x, i) => latentGain * z1[i] + dataGain * ((x + 0.5) / 128 - 1) + std * eps0[i]);
    const all = Int32Array.from({ length: n * D }, (_, i) => i);
    const centre = new Float64Array(n * D);
    const pixelStd = new Float64Array(n * D);
    pixelDistributions(s, all, 0, all.length, z0, z1, epsHat, stdFactor, centre, pixelStd);
    for (let j = 0; j < n; j++) {
      if (steps[j] !== 1) {
        expect(reconstruction[j], `example ${j} at step ${steps[j]}`).toBe(0);
        continue;
      }
      let bits = 0;
      for (let a = j * D; a < (j + 1) * D; a++) bits += boundedGaussianBits(pixels[a], 0, 255, centre[a], pixelStd[a], 1);
      expect(reconstruction[j] / (T * Math.LN2 * bits), `example ${j}`).toBeCloseTo(1, 2);
    }

    // With ε̂ = ε (a perfect step-1 prediction) and K near 1, the pixels cost almost nothing,
    // far less than p(x | z_0) would charge for the same z_0.
    const perfect = { epsHat: Float64Array.from(eps), stdFactor: new Float64Array(n * D).fill(1 / Math.sqrt(s.stepOneVariance) * 1.01) };
    pixelDistributions(s, all, 0, D, z0, z1, perfect.epsHat, perfect.stdFactor, centre, pixelStd);
    let informed = 0;
    let plain = 0;
    for (let a = 0; a < D; a++) {
      informed += boundedGaussianBits(pixels[a], 0, 255, centre[a], pixelStd[a], 1);
      plain += boundedGaussianBits(pixels[a], 0, 255, (z0[a] * s.pixelGain + 1) * 128 - 0.5, s.pixelStd, 1);
    }
    expect(informed / D).toBeLessThan(0.1);
    expect(plain / D).toBeGreaterThan(0.5);
  }, 60_000);

  it("importance weights scale each example's diffusion and reconstruction terms by weight / T, and leave the prior alone", () => {
    const config = TINY;
    const { patch, channels, T } = config;
    const n = 6;
    const pixels = Float32Array.from({ length: n * patch * patch * channels }, (_, i) => (i * 53 + (i >> 4) * 7) % 256);
    const steps = Int32Array.from([1, 2, 1, 3, 4, 1]);
    const weights = Float32Array.from([T, 2 * T, 0.5 * T, 3 * T, T / 4, 5 * T]);
    const params = randomParams(config, 5);
    const batch = { pixels, steps, ...noise(pixels.length, 4) };
    const plain = trainerLoss(config, params, batch).terms;
    const weighted = trainerLoss(config, params, { ...batch, weights }).terms;
    for (let j = 0; j < n; j++) {
      expect(weighted.diffusionEach[j] / plain.diffusionEach[j], `diffusion ${j}`).toBeCloseTo(weights[j] / T, 5);
      if (steps[j] === 1) expect(weighted.reconstructionEach[j] / plain.reconstructionEach[j], `reconstruction ${j}`).toBeCloseTo(weights[j] / T, 5);
    }
    expect(weighted.prior).toBeCloseTo(plain.prior, 5);
  }, 60_000);

  it('the reverse variance prices each step as the Gaussian KL ½·[Σr/k + D·(1/k − 1 + ln k)], and k = 1 + mean r minimises it', () => {
    const config = TINY;
    const { patch, channels, T } = config;
    const n = 8;
    const D = patch * patch * channels;
    const pixels = Float32Array.from({ length: n * D }, (_, i) => (i * 97 + (i >> 5) * 13) % 256);
    const steps = Int32Array.from({ length: n }, (_, i) => 1 + (i % T));
    const batch = { pixels, steps, ...noise(pixels.length, 99) };
    const params = randomParams(config, 3);
    const logK = view(params, paramLayout(config).byName.get(REVERSE_LOG_VARIANCE)!);
    const diffusionAt = (values: number[]) => {
      logK.set(values);
      return trainerLoss(config, params, batch).terms.diffusionEach;
    };
    // With k = 1 the term is the VDM paper's ½·T·Σr.
    const distortion = diffusionAt([0, 0, 0, 0]).map((d) => (2 * d) / T);
    const chosen = [0.3, -0.2, 1.1, 2.5];
    diffusionAt(chosen).forEach((d, j) => {
      const k = Math.exp(chosen[steps[j] - 1]);
      expect(d).toBeCloseTo(0.5 * T * (distortion[j] / k + D * (1 / k - 1 + Math.log(k))), 0);
    });
    // Each step at its optimum costs less than at k = 1 and less than a little either side.
    const optimum = Array.from({ length: T }, (_, i) => Math.log1p((distortion[i] + distortion[i + T]) / (2 * D)));
    const best = diffusionAt(optimum);
    const plain = diffusionAt([0, 0, 0, 0]);
    const above = diffusionAt(optimum.map((x) => x + 0.2));
    const below = diffusionAt(optimum.map((x) => x - 0.2));
    for (let i = 0; i < T; i++) {
      const pair = (d: number[]) => d[i] + d[i + T];
      expect(pair(best)).toBeLessThanOrEqual(pair(plain) + 1e-3);
      expect(pair(best)).toBeLessThan(pair(above));
      expect(pair(best)).toBeLessThan(pair(below));
    }
  }, 60_000);
});
