// The coding-path denoiser: ε̂(z_i, i) for a batch of patches at one step, computed from a
// bundle with an integer engine. Outside the network only IEEE basic operations and floor
// on float64 are used, with the bundle's stored constants, so every machine and engine
// produces the same bits (docs/format.md §1).
//
// Specified in docs/format.md §8.5.

import { ACT_FRACTION_BITS, ACT_MAX, FEATURES_PER_CHANNEL, HALF_LEVELS, inputChannels, PIXEL_LEVELS, outputChannels, VARIANCE_LOG2_MAX, VARIANCE_LOG2_MIN, VARIANCE_LOG2_SCALE } from './architecture.ts';
import type { ModelBundle } from './bundle.ts';

const ACT_SCALE = 2 ** ACT_FRACTION_BITS;

/** Runs the integer network: integer features in, integer output accumulators out. */
export interface IntegerEngine {
  readonly name: string;
  /** Patches per call where a caller has more: what the engine's device is fastest at. */
  readonly batch: number;
  /**
   * `features`: [n, H, W, channels·3] integers (NHWC, feature groups z | ε_nn | nearest pixel),
   * H × W the model's P × P unless `size` says otherwise (multiples of 2^(levels−1): the
   * network is fully convolutional). `step`: 1..T. Returns the output layer's accumulators
   * [n, H, W, outputChannels], integers.
   */
  run(features: Float32Array, n: number, step: number, size?: CanvasSize): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface CanvasSize {
  height: number;
  width: number;
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

/**
 * 2^(j / (2·VARIANCE_LOG2_SCALE)) for j = VARIANCE_LOG2_MIN·SCALE … VARIANCE_LOG2_MAX·SCALE (at
 * j − MIN·SCALE): the std factor of each quantised log2 variance factor j / SCALE. Built from
 * square roots and products of 2 (IEEE-exact operations), never from exp or pow, so every
 * machine gets the same table.
 */
export function stdFactorTable(): Float64Array {
  const steps = 2 * VARIANCE_LOG2_SCALE; // table entries per doubling of the std
  const roots: number[] = []; // 2^(1/2), 2^(1/4), …: roots[b] = 2^(2^-(b+1))
  for (let r = Math.SQRT2, b = 0; 2 ** b < steps; b++, r = Math.sqrt(r)) roots.push(r);
  const fraction = (m: number) => {
    // 2^(m/steps) as a product of the roots whose bits m has (steps is a power of two).
    let f = 1;
    for (let b = 0; b < roots.length; b++) if (m & (steps >> (b + 1))) f *= roots[b];
    return f;
  };
  const lo = VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
  const hi = VARIANCE_LOG2_MAX * VARIANCE_LOG2_SCALE;
  return Float64Array.from({ length: hi - lo + 1 }, (_, i) => {
    const j = lo + i;
    const whole = Math.floor(j / steps);
    return 2 ** whole * fraction(j - whole * steps);
  });
}

/** The quantised log2 variance factor's table index, from the output's real value. */
export function varianceIndex(log2Factor: number): number {
  const q = Math.floor(log2Factor * VARIANCE_LOG2_SCALE + 0.5);
  return clampInt(q, VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE, VARIANCE_LOG2_MAX * VARIANCE_LOG2_SCALE) - VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
}

export interface NoisePrediction {
  /** ε̂, [n, P, P, C]. */
  epsHat: Float64Array;
  /** Per-pixel-variance models: the factor on p(z_{i−1} | z_i)'s std for each dimension. */
  stdFactor?: Float64Array;
}

export class Denoiser {
  private readonly outputScale: number;
  private readonly stdFactors: Float64Array;

  constructor(readonly bundle: ModelBundle, readonly engine: IntegerEngine) {
    const out = bundle.meta.layers[bundle.meta.layers.length - 1];
    this.outputScale = 2 ** -(out.exponent + ACT_FRACTION_BITS);
    this.stdFactors = stdFactorTable();
  }

  /**
   * ε̂(z, i) over n canvases of one size (multiples of 2^(levels−1)), each seen alone; z is
   * [n, height, width, C] float64. Calls hold at most the engine's batch in patches' worth of pixels.
   */
  async predictCanvases(z: Float64Array, n: number, size: CanvasSize, step: number): Promise<NoisePrediction> {
    const { features, epsNearest } = this.features(z, step);
    const { patch } = this.bundle.meta.config;
    const perCall = Math.max(1, Math.floor((this.engine.batch * patch * patch) / (size.width * size.height)));
    if (n <= perCall) return this.outputs(await this.engine.run(features, n, step, size), epsNearest, step);
    const inPerCanvas = features.length / n;
    const outPerCanvas = size.width * size.height * outputChannels(this.bundle.meta.config);
    const acc = new Float32Array(n * outPerCanvas);
    for (let first = 0; first < n; first += perCall) {
      const count = Math.min(perCall, n - first);
      acc.set(await this.engine.run(features.subarray(first * inPerCanvas, (first + count) * inPerCanvas), count, step, size), first * outPerCanvas);
    }
    return this.outputs(acc, epsNearest, step);
  }

  private features(z: Float64Array, step: number): { features: Float32Array; epsNearest: Float64Array } {
    const features = new Float32Array(z.length * FEATURES_PER_CHANNEL);
    const epsNearest = new Float64Array(z.length);
    denoiserFeatures(z, this.bundle.meta.config.channels, stepScalars(this.bundle, step), features, epsNearest);
    return { features, epsNearest };
  }

  /** ε̂ = output·scale + skip_i·ε_nn (written over ε_nn's array), and the std factors, from the output accumulators. */
  private outputs(acc: Float32Array, epsNearest: Float64Array, step: number): NoisePrediction {
    const { config } = this.bundle.meta;
    const { channels } = config;
    const skip = this.bundle.meta.steps.skip[step - 1];
    const outputs = outputChannels(config);
    const pixels = epsNearest.length / channels;
    const epsHat = epsNearest;
    const stdFactor = outputs > channels ? new Float64Array(epsNearest.length) : undefined;
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < channels; c++) {
        const k = p * channels + c;
        epsHat[k] = acc[p * outputs + c] * this.outputScale + skip * epsNearest[k];
        if (stdFactor) stdFactor[k] = this.stdFactors[varianceIndex(acc[p * outputs + channels + c] * this.outputScale)];
      }
    }
    return { epsHat, stdFactor };
  }
}
