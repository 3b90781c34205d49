// The coding-path denoiser: ε̂(z_i, i) for a batch of patches at one step, computed from a
// bundle with an integer engine. Outside the network only IEEE basic operations and floor
// on float64 are used, with the bundle's stored constants, so every machine and engine
// produces the same bits (DESIGN §2).

import { ACT_FRACTION_BITS, ACT_MAX, FEATURES_PER_CHANNEL } from './architecture.ts';
import type { ModelBundle } from './bundle.ts';

const ACT_SCALE = 2 ** ACT_FRACTION_BITS;
const PIXEL_LEVELS = 256;
const HALF_LEVELS = 128;

/** Runs the integer network: integer features in, integer output accumulators out. */
export interface IntegerEngine {
  readonly name: string;
  /**
   * `features`: [n, P, P, channels·3] integers (NHWC, feature groups z | ε_nn | nearest pixel).
   * `step`: 1..T. Returns the output layer's accumulators [n, P, P, channels], integers.
   */
  run(features: Float32Array, n: number, step: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Per-step constants derived from the bundle's stored α², σ² with basic operations only. */
export interface StepScalars {
  alpha: number;
  sigma: number;
  invAlpha: number;
  invSigma: number;
}

export function stepScalars(bundle: ModelBundle, i: number): StepScalars {
  const alpha = Math.sqrt(bundle.meta.steps.alpha2[i]);
  const sigma = Math.sqrt(bundle.meta.steps.sigma2[i]);
  return { alpha, sigma, invAlpha: 1 / alpha, invSigma: 1 / sigma };
}

function clampInt(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Fills `features` and `epsNearest` from latents z (NHWC, channels interleaved) at step i.
 * Mirrors `denoiserInputs` of the training graph, in float64.
 */
export function denoiserFeatures(z: Float64Array, channels: number, s: StepScalars, features: Float32Array, epsNearest: Float64Array): void {
  const pixels = z.length / channels;
  const featureChannels = channels * FEATURES_PER_CHANNEL;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) {
      const k = p * channels + c;
      const zk = z[k];
      const u = (zk * s.invAlpha + 1) * HALF_LEVELS - 0.5;
      const nearest = clampInt(Math.floor(u + 0.5), 0, PIXEL_LEVELS - 1);
      const e = (zk - s.alpha * ((nearest + 0.5) / HALF_LEVELS - 1)) * s.invSigma;
      epsNearest[k] = e;
      const f = p * featureChannels + c;
      features[f] = clampInt(Math.floor(zk * ACT_SCALE + 0.5), -ACT_MAX, ACT_MAX);
      features[f + channels] = clampInt(Math.floor(e * ACT_SCALE + 0.5), -ACT_MAX, ACT_MAX);
      features[f + 2 * channels] = clampInt(nearest - HALF_LEVELS, -ACT_MAX, ACT_MAX);
    }
  }
}

/** Patches per network call: ONNX Runtime is fastest near 16 (larger batches leave the cache). */
export const ENGINE_BATCH = 16;

export class Denoiser {
  private readonly outputScale: number;

  constructor(readonly bundle: ModelBundle, readonly engine: IntegerEngine) {
    const out = bundle.meta.layers[bundle.meta.layers.length - 1];
    this.outputScale = 2 ** -(out.exponent + ACT_FRACTION_BITS);
  }

  private async runInBatches(features: Float32Array, n: number, step: number): Promise<Float32Array> {
    if (n <= ENGINE_BATCH) return this.engine.run(features, n, step);
    const inPerPatch = features.length / n;
    const outPerPatch = inPerPatch / FEATURES_PER_CHANNEL;
    const acc = new Float32Array(n * outPerPatch);
    for (let first = 0; first < n; first += ENGINE_BATCH) {
      const count = Math.min(ENGINE_BATCH, n - first);
      const part = await this.engine.run(features.subarray(first * inPerPatch, (first + count) * inPerPatch), count, step);
      acc.set(part, first * outPerPatch);
    }
    return acc;
  }

  /** ε̂(z, i) for n patches; z is [n, P, P, C] float64. */
  async predictNoise(z: Float64Array, n: number, step: number): Promise<Float64Array> {
    const { channels } = this.bundle.meta.config;
    const s = stepScalars(this.bundle, step);
    const features = new Float32Array(z.length * FEATURES_PER_CHANNEL);
    const epsHat = new Float64Array(z.length);
    denoiserFeatures(z, channels, s, features, epsHat);
    const acc = await this.runInBatches(features, n, step);
    const skip = this.bundle.meta.steps.skip[step - 1];
    for (let k = 0; k < epsHat.length; k++) epsHat[k] = acc[k] * this.outputScale + skip * epsHat[k];
    return epsHat;
  }
}
