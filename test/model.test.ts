// The model's invariants: the fake-quant training graph computes exactly the integer network
// that ships; the accumulator bound is enforced; bundles round-trip with a content id; and the
// training graph's gradients actually train.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACT_FRACTION_BITS, ACT_MAX, buildArchitecture, convNodes, inputChannels, VARIANCE_LOG2_MAX, VARIANCE_LOG2_MIN, VARIANCE_LOG2_SCALE, type ModelConfig } from '../src/model/architecture.ts';
import { initBackend } from '../src/model/backend.ts';
import { BUNDLE_BIN, bundleFromParams, loadBundle, saveBundle } from '../src/model/bundle.ts';
import { ElboRunner, type TermSums } from '../src/model/elbo-tfjs.ts';
import { stdFactorTable, varianceIndex } from '../src/model/denoiser.ts';
import { TfjsEngine } from '../src/model/engine-tfjs.ts';
import { interpret } from '../src/model/interpret.ts';
import { trainingOps, type TrainingLayer } from '../src/model/network-tfjs.ts';
import { initParams, paramLayout, REVERSE_LOG_VARIANCE, seededNormal, view, weightExponents } from '../src/model/params.ts';
import { VdmTrainingGraph } from '../src/model/vdm.ts';
import { boundedGaussianBits } from '../src/ans/index.ts';
import { chainSchedule, pixelDistributions } from '../src/coder/schedule.ts';
import { Denoiser } from '../src/model/denoiser.ts';

const TINY: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
const SMALL: ModelConfig = { channels: 3, patch: 16, T: 4, widths: [16, 32, 32], blocks: 1 };

/** initParams plus random static and per-step biases (initParams leaves them at zero). */
function randomParams(config: ModelConfig, seed: number): Float32Array {
  const params = initParams(config, seed);
  const normal = seededNormal(seed + 500);
  for (const spec of paramLayout(config).specs) {
    if (spec.name.endsWith('.b') || spec.name.endsWith('.t')) {
      const v = view(params, spec);
      for (let i = 0; i < v.length; i++) v[i] = 0.7 * normal();
    }
  }
  return params;
}

function randomIntegerFeatures(config: ModelConfig, n: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  const f = new Float32Array(n * config.patch * config.patch * inputChannels(config));
  for (let i = 0; i < f.length; i++) f[i] = Math.max(-ACT_MAX, Math.min(ACT_MAX, Math.round(60 * normal())));
  f[0] = ACT_MAX;
  f[1] = -ACT_MAX;
  return f;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('fake-quant training graph = integer graph', () => {
  for (const config of [TINY, SMALL, { ...TINY, variance: 'pixel' } as ModelConfig]) {
    it(`widths ${config.widths.join('/')}${config.variance === 'pixel' ? ', per-pixel variance' : ''}: outputs equal accumulators × 2^-(e_out+5) exactly, per-example steps`, async () => {
      const params = randomParams(config, 3);
      const exponents = weightExponents(config, params);
      const bundle = bundleFromParams(config, params);
      const layout = paramLayout(config);
      const nodes = buildArchitecture(config);
      const outNode = convNodes(nodes).at(-1)!;
      const outScale = 2 ** -(exponents.get(outNode.name)! + ACT_FRACTION_BITS);
      const steps = [1, 2, config.T, 3, 1, config.T];
      const n = steps.length;
      const features = randomIntegerFeatures(config, n, 4);
      const perExample = features.length / n;

      // The training graph on the whole batch, each example at its own step.
      const training = tf.tidy(() => {
        const layers = new Map<string, TrainingLayer>();
        for (const node of convNodes(nodes)) {
          const b = view(params, layout.byName.get(`${node.name}.b`)!);
          const t = node.timeBias ? view(params, layout.byName.get(`${node.name}.t`)!) : undefined;
          const bias = new Float32Array(n * node.cout);
          steps.forEach((step, k) => {
            for (let c = 0; c < node.cout; c++) bias[k * node.cout + c] = t ? b[c] + t[(step - 1) * node.cout + c] : b[c];
          });
          layers.set(node.name, {
            weight: tf.tensor4d(view(params, layout.byName.get(`${node.name}.w`)!), [node.kernel, node.kernel, node.cin, node.cout]),
            bias: tf.tensor4d(bias, [n, 1, 1, node.cout]),
            exponent: exponents.get(node.name)!,
          });
        }
        const input = tf.div(tf.tensor4d(features, [n, config.patch, config.patch, inputChannels(config)]), 2 ** ACT_FRACTION_BITS) as tf.Tensor4D;
        return interpret(nodes, input, trainingOps(layers));
      });
      const trained = (await training.data()) as Float32Array;
      training.dispose();

      // The integer engine, one example at a time at its step.
      const engine = new TfjsEngine(bundle);
      const outPerExample = trained.length / n;
      let distinct = 0;
      for (let k = 0; k < n; k++) {
        const acc = await engine.run(features.subarray(k * perExample, (k + 1) * perExample), 1, steps[k]);
        const mismatches: string[] = [];
        acc.forEach((a, i) => {
          expect(Number.isInteger(a)).toBe(true);
          const expected = Math.fround(a * outScale);
          expect(expected).toBe(a * outScale); // the rescale itself is exact
          if (trained[k * outPerExample + i] !== expected && mismatches.length < 3) mismatches.push(`${i}: ${trained[k * outPerExample + i]} vs ${expected}`);
        });
        expect(mismatches, `example ${k} at step ${steps[k]}`).toEqual([]);
        distinct += new Set(acc).size;
      }
      await engine.dispose();
      expect(distinct).toBeGreaterThan(n * 20); // not a degenerate (saturated or constant) network
    });
  }
});

describe('accumulator bound', () => {
  const config = (widths: number[]): ModelConfig => ({ channels: 3, patch: 8, T: 4, widths, blocks: 1 });
  it('refuses 3×3 convs with more than 108 input channels', () => {
    expect(() => buildArchitecture(config([109]))).toThrow(/2\^24/);
    expect(() => buildArchitecture(config([8, 109]))).toThrow(/2\^24/);
    expect(() => buildArchitecture(config([8, 16, 128]))).toThrow(/at most 108 input channels/);
  });
  it('accepts 108', () => {
    expect(() => buildArchitecture(config([108]))).not.toThrow();
    expect(() => buildArchitecture(config([64, 108]))).not.toThrow();
  });
});

describe('model bundle files', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('round-trips with the same id, weights and biases; a changed byte changes the id', () => {
    const params = randomParams(TINY, 5);
    const bundle = bundleFromParams(TINY, params, { step: 10, examples: 320, hours: 0.01 });
    const dir = mkdtempSync(join(tmpdir(), 'vdmzip-bundle-'));
    dirs.push(dir);
    saveBundle(dir, bundle);
    const loaded = loadBundle(dir);
    expect(loaded.id).toBe(bundle.id);
    expect(loaded.id).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.meta).toEqual(bundle.meta);
    expect(loaded.nodes).toEqual(bundle.nodes);
    expect([...loaded.weights.keys()]).toEqual([...bundle.weights.keys()]);
    for (const [name, w] of bundle.weights) expect(Buffer.from(loaded.weights.get(name)!.buffer).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), name).toBe(true);
    for (const [name, b] of bundle.biases) expect(Array.from(loaded.biases.get(name)!), name).toEqual(Array.from(b));

    // Another model's bundle has another id.
    expect(bundleFromParams(TINY, randomParams(TINY, 6)).id).not.toBe(bundle.id);

    const binPath = join(dir, BUNDLE_BIN);
    const bin = readFileSync(binPath);
    bin[17] ^= 1;
    writeFileSync(binPath, bin);
    const changed = loadBundle(dir);
    expect(changed.id).not.toBe(bundle.id);
    bin[17] ^= 1;
    writeFileSync(binPath, bin);
    expect(loadBundle(dir).id).toBe(bundle.id);
  });
});

describe('training', () => {
  it('30 Adam steps on a fixed batch lower the −ELBO measured with the same noise', () => {
    const config = TINY;
    const { patch, channels, T } = config;
    const n = 16;
    // Smooth images: per-image colour plus gentle ramps, within 0..255.
    const pixels = new Float32Array(n * patch * patch * channels);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < patch; y++)
        for (let x = 0; x < patch; x++)
          for (let c = 0; c < channels; c++) {
            const v = ((b * 37 + c * 80) % 200) + 6 * x * ((b % 3) - 1) + 5 * y * (((b >> 2) % 3) - 1) + 28;
            pixels[((b * patch + y) * patch + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
          }
    const steps = Int32Array.from({ length: n }, (_, i) => 1 + (i % T));
    const runner = new ElboRunner(config);
    const bpd = (s: TermSums) => (s.prior + s.diffusion + s.reconstruction) / (n * runner.dims * Math.LN2);
    const evalSeed = 12345;

    const params = initParams(config, 7);
    runner.setParams(params);
    const initial = bpd(runner.evaluate(weightExponents(config, params), { pixels, steps, seed: evalSeed }).sums);
    // Gradients are of the same quantity: their first call at the evaluation seed gives the same loss.
    expect(bpd(runner.gradients(weightExponents(config, params), { pixels, steps, seed: evalSeed }).sums)).toBeCloseTo(initial, 3);

    // lr 1e-2 diverges here after ~10 steps (T = 4 weights the loss by expm1(Δγ) ≈ 98); 2e-3 is steady.
    const lr = 2e-3;
    const m = new Float32Array(params.length);
    const v = new Float32Array(params.length);
    for (let it = 1; it <= 30; it++) {
      runner.setParams(params);
      const { grads } = runner.gradients(weightExponents(config, params), { pixels, steps, seed: it });
      expect(grads.every(Number.isFinite)).toBe(true);
      for (let i = 0; i < params.length; i++) {
        m[i] = 0.9 * m[i] + 0.1 * grads[i];
        v[i] = 0.999 * v[i] + 0.001 * grads[i] * grads[i];
        params[i] -= (lr * (m[i] / (1 - 0.9 ** it))) / (Math.sqrt(v[i] / (1 - 0.999 ** it)) + 1e-8);
      }
    }
    runner.setParams(params);
    const final = bpd(runner.evaluate(weightExponents(config, params), { pixels, steps, seed: evalSeed }).sums);
    expect(Number.isFinite(final)).toBe(true);
    expect(final).toBeLessThan(0.85 * initial); // measured: ~0.75
  });
});

describe('learned reverse variance', () => {
  const config = TINY;
  const { patch, channels, T } = config;
  const n = 8;
  const pixels = Float32Array.from({ length: n * patch * patch * channels }, (_, i) => (i * 97 + (i >> 5) * 13) % 256);
  const steps = Int32Array.from({ length: n }, (_, i) => 1 + (i % T));
  const batch = { pixels, steps, seed: 99 };
  const spec = paramLayout(config).byName.get(REVERSE_LOG_VARIANCE)!;

  it('prices each step as the Gaussian KL ½·[Σr/k + D·(1/k − 1 + ln k)], and k = 1 + mean r minimises it', () => {
    const runner = new ElboRunner(config);
    const params = randomParams(config, 3);
    const exponents = weightExponents(config, params);
    runner.setParams(params);
    // With k = 1 the term is the VDM paper's ½·T·Σr.
    const distortion = Array.from(runner.evaluate(exponents, batch).diffusion, (d) => (2 * d) / T);
    const logK = view(params, spec);
    logK.set([0.3, -0.2, 1.1, 2.5]);
    runner.setParams(params);
    const withK = runner.evaluate(exponents, batch).diffusion;
    const D = runner.dims;
    withK.forEach((d, j) => {
      const k = Math.exp(logK[steps[j] - 1]);
      expect(d).toBeCloseTo(0.5 * T * (distortion[j] / k + D * (1 / k - 1 + Math.log(k))), 0);
    });
    // Each step at its optimum costs less than at k = 1 and less than a little either side.
    const at = (values: number[]) => {
      logK.set(values);
      runner.setParams(params);
      return runner.evaluate(exponents, batch).diffusion;
    };
    const optimum = Array.from({ length: T }, (_, i) => Math.log1p((distortion[i] + distortion[i + T]) / (2 * D)));
    const best = at(optimum);
    const plain = at([0, 0, 0, 0]);
    const above = at(optimum.map((x) => x + 0.2));
    const below = at(optimum.map((x) => x - 0.2));
    for (let i = 0; i < T; i++) {
      const pair = (d: Float32Array) => d[i] + d[i + T];
      expect(pair(best)).toBeLessThanOrEqual(pair(plain) + 1e-3);
      expect(pair(best)).toBeLessThan(pair(above));
      expect(pair(best)).toBeLessThan(pair(below));
    }
  });
});

describe('per-pixel variance factors', () => {
  it('the std factor table is 2^(j/16) from square roots and products, exact at whole powers of two', () => {
    const table = stdFactorTable();
    const lo = VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
    expect(table.length).toBe((VARIANCE_LOG2_MAX - VARIANCE_LOG2_MIN) * VARIANCE_LOG2_SCALE + 1);
    table.forEach((f, i) => {
      const j = lo + i;
      expect(Math.abs(f / 2 ** (j / (2 * VARIANCE_LOG2_SCALE)) - 1)).toBeLessThan(1e-15);
      if (j % (2 * VARIANCE_LOG2_SCALE) === 0) expect(f).toBe(2 ** (j / (2 * VARIANCE_LOG2_SCALE)));
      if (i > 0) expect(f).toBeGreaterThan(table[i - 1]);
    });
  });

  it('quantises log2 factors like the training graph: round half up to 1/8, clamped', () => {
    const at = (x: number) => varianceIndex(x) + VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
    expect(at(0)).toBe(0);
    expect(at(1 / 16)).toBe(1);
    expect(at(-1 / 16)).toBe(0);
    expect(at(0.3)).toBe(2);
    expect(at(-100)).toBe(VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE);
    expect(at(100)).toBe(VARIANCE_LOG2_MAX * VARIANCE_LOG2_SCALE);
  });
});

describe('reconstruction term p(x | z_0, z_1)', () => {
  it("equals the coder's bits for step-1 examples (same ε, ε0), is zero at other steps, and beats p(x | z_0) when ε̂ is good", async () => {
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
    const normal = seededNormal(21);
    const eps = Float32Array.from({ length: n * D }, normal);
    const eps0 = Float32Array.from({ length: n * D }, normal);

    const graph = new VdmTrainingGraph(config);
    const layout = paramLayout(config);
    const exponents = weightExponents(config, params);
    const shape: [number, number, number, number] = [n, patch, patch, channels];
    const reconstruction = tf.tidy(() => {
      const vars = new Map(layout.specs.map((s) => [s.name, tf.tensor(view(params, s), s.shape)]));
      const terms = graph.elbo({ get: (name) => vars.get(name)! }, exponents, tf.tensor4d(pixels, shape), tf.tensor1d(steps, 'int32'), tf.tensor4d(eps, shape), tf.tensor4d(eps0, shape));
      return terms.reconstruction.dataSync();
    });

    const bundle = bundleFromParams(config, params);
    const s = chainSchedule(bundle, 1, 4);
    const denoiser = new Denoiser(bundle, new TfjsEngine(bundle));
    const z1 = Float64Array.from(pixels, (x, i) => s.alpha[1] * ((x + 0.5) / 128 - 1) + s.sigma[1] * eps[i]);
    const { epsHat, stdFactor } = await denoiser.predictNoise(z1, n, 1);
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
  });
});

describe('importance weights', () => {
  it("scale each example's diffusion and reconstruction terms by weight / T, and leave the prior alone", () => {
    const config = TINY;
    const { patch, channels, T } = config;
    const n = 6;
    const pixels = Float32Array.from({ length: n * patch * patch * channels }, (_, i) => (i * 53 + (i >> 4) * 7) % 256);
    const steps = Int32Array.from([1, 2, 1, 3, 4, 1]);
    const weights = Float32Array.from([T, 2 * T, 0.5 * T, 3 * T, T / 4, 5 * T]);
    const runner = new ElboRunner(config);
    const params = randomParams(config, 5);
    runner.setParams(params);
    const exponents = weightExponents(config, params);
    const plain = runner.evaluate(exponents, { pixels, steps, seed: 4 });
    const weighted = runner.evaluate(exponents, { pixels, steps, seed: 4, weights });
    for (let j = 0; j < n; j++) {
      expect(weighted.diffusion[j] / plain.diffusion[j], `diffusion ${j}`).toBeCloseTo(weights[j] / T, 5);
      if (steps[j] === 1) expect(weighted.reconstruction[j] / plain.reconstruction[j], `reconstruction ${j}`).toBeCloseTo(weights[j] / T, 5);
    }
    expect(weighted.sums.prior).toBeCloseTo(plain.sums.prior, 5);
  });
});
