// The Variational Diffusion Model's negative ELBO for the discrete-time chain that the coder
// runs (Kingma et al. 2021, eq. for L_T):
//
//   −ELBO(x) = KL(q(z_T|x) ‖ N(0,1))                                          prior
//            + ½·T·E_i,ε[ Σ_d (1 + r_d)/k_d − 1 + ln k_d ],                      diffusion
//                  r = expm1(γ_i − γ_{i−1})·(ε − ε̂(z_i, i))²
//            − T·E_i,ε,ε0[ [i = 1]·log p(x | z_0, z_1) ]                                reconstruction
//
// with z_i = α_i·v + σ_i·ε, α_i² = sigmoid(−γ_i), σ_i² = sigmoid(γ_i). The diffusion term is
// KL(q(z_{i−1}|z_i,x) ‖ p(z_{i−1}|z_i)) when p's variance is k_d times q's, k_d = k_i (a
// learned factor per step) times 2^(s_d) for per-pixel-variance models (the network's own
// output per dimension); the paper fixes k = 1, where it reduces to ½·T·expm1(Δγ)·‖ε − ε̂‖². Learning k_i matters at finite T: the
// few low-noise steps that carry most of the bits have r ≈ 1, and ½·ln(1 + r) < ½·r.
// The reconstruction uses the network's step-1 prediction as well as z_0: the model's
// Gaussians for x and z_0 given z_1 (x ~ N(x̂, s²) with s² = (K − 1)·σ_q²/C², the variance
// Analytic-DPM's K implies, and z_0 ~ q(z_0 | z_1, x) = N(d·z_1 + C·x, σ_q²)) conditioned on
// z_0. With u = (z_0 − d·z_1)/C and std_u = σ_q/C:
//   p(x | z_0, z_1) = N(u + (x̂ − u)/K, std_u²·(1 − 1/K)), discretised on the pixel grid,
// which is the likelihood of x in q(z_0 | z_1, x) when the network knows nothing (K → ∞),
// and certainty when it knows x (K → 1). It needs ε̂(z_1, 1), so only the examples drawn at
// step 1 estimate it, weighted by T like the diffusion term, with z_0 ~ q(z_0 | z_1, x).
// All terms are in nats per image; divide by D·ln 2 for bits per dimension.

import * as tf from '@tensorflow/tfjs';
import { ACT_FRACTION_BITS, ACT_MAX, buildArchitecture, convNodes, PIXEL_STD_MIN, type Precision, VARIANCE_LOG2_MAX, VARIANCE_LOG2_MIN, VARIANCE_LOG2_SCALE, type ModelConfig, type Node } from './architecture.ts';
import { interpret } from './interpret.ts';
import { fakeQuantize, floatOps, isPositive, trainingOps, type TrainingLayer } from './network-tfjs.ts';
import { REVERSE_LOG_VARIANCE } from './params.ts';

const ACT_SCALE = 2 ** ACT_FRACTION_BITS;
/** Pixel values x ∈ {0..255} map to v = (x + 0.5)/128 − 1 ∈ (−1, 1). */
export const PIXEL_LEVELS = 256;
export const HALF_LEVELS = PIXEL_LEVELS / 2;

/** γ_0..γ_T: monotone by construction (positive increments that sum to γ_max − γ_min). */
export function gammaSchedule(logits: tf.Tensor1D, ends: tf.Tensor1D): tf.Tensor1D {
  const [gammaMin, gammaMax] = tf.split(ends, 2) as [tf.Tensor1D, tf.Tensor1D];
  const fractions = tf.cumsum(tf.softmax(logits));
  return tf.concat([gammaMin, tf.add(gammaMin, tf.mul(tf.sub(gammaMax, gammaMin), fractions))]) as tf.Tensor1D;
}

export const alphaOf = (gamma: tf.Tensor) => tf.sqrt(tf.sigmoid(tf.neg(gamma)));
export const sigmaOf = (gamma: tf.Tensor) => tf.sqrt(tf.sigmoid(gamma));

/** Pixel values as the model's data variable v. */
export function pixelsToData(pixels: tf.Tensor): tf.Tensor {
  return tf.sub(tf.div(tf.add(pixels, 0.5), HALF_LEVELS), 1);
}

/**
 * The denoiser's input features, per image channel (DESIGN §2 keeps them integer):
 * - z itself, on the activation grid;
 * - ε_nn = (z − α·v_nn)/σ, the noise if x were the pixel value nearest to z/α (exact at low
 *   noise, where the network could not resolve z finely enough itself);
 * - that nearest pixel value, centred.
 * Returns the features (real values on the activation grid) and ε_nn at full precision,
 * which also feeds the output through a per-step skip gain.
 */
export function denoiserInputs(z: tf.Tensor4D, alpha: tf.Tensor, sigma: tf.Tensor): { features: tf.Tensor4D; epsNearest: tf.Tensor4D } {
  const limit = ACT_MAX / ACT_SCALE;
  const onGrid = (t: tf.Tensor) => fakeQuantize(tf.clipByValue(t, -limit, limit), ACT_SCALE);
  const u = tf.sub(tf.mul(tf.add(tf.div(z, alpha), 1), HALF_LEVELS), 0.5);
  const nearest = tf.clipByValue(tf.floor(tf.add(u, 0.5)), 0, PIXEL_LEVELS - 1);
  const epsNearest = tf.div(tf.sub(z, tf.mul(alpha, pixelsToData(nearest))), sigma) as tf.Tensor4D;
  const centred = tf.div(tf.clipByValue(tf.sub(nearest, HALF_LEVELS), -ACT_MAX, ACT_MAX), ACT_SCALE);
  return { features: tf.concat([onGrid(z), onGrid(epsNearest), centred], 3) as tf.Tensor4D, epsNearest };
}

/**
 * table[indices] along the first axis, as a one-hot product: tfjs-wasm has no kernel for
 * the gradient of gather (UnsortedSegmentSum).
 */
function selectRows(table: tf.Tensor, indices: tf.Tensor1D): tf.Tensor {
  const depth = table.shape[0];
  const oneHot = tf.oneHot(indices, depth) as tf.Tensor2D;
  return table.rank === 1 ? tf.reshape(tf.matMul(oneHot, tf.reshape(table, [depth, 1]) as tf.Tensor2D), [-1]) : tf.matMul(oneHot, table as tf.Tensor2D);
}

export interface Variables {
  get(name: string): tf.Tensor;
}

export interface ElboTerms {
  prior: tf.Tensor1D;
  diffusion: tf.Tensor1D;
  reconstruction: tf.Tensor1D;
}


export class VdmTrainingGraph {
  readonly nodes: Node[];
  constructor(readonly config: ModelConfig, readonly precision: Precision = 'integer') {
    this.nodes = buildArchitecture(config);
  }

  /**
   * ε̂(z_i, i) for a batch whose examples may sit at different steps i ∈ 1..T, and for
   * per-pixel-variance models the natural log of each dimension's variance factor, quantised
   * as the coder uses it.
   */
  predictNoise(vars: Variables, exponents: Map<string, number>, z: tf.Tensor4D, steps: tf.Tensor1D, alpha: tf.Tensor, sigma: tf.Tensor): { epsHat: tf.Tensor4D; logVariance?: tf.Tensor4D } {
    const { features, epsNearest } = denoiserInputs(z, alpha, sigma);
    const rows = tf.sub(steps, tf.scalar(1, 'int32')) as tf.Tensor1D;
    const layers = new Map<string, TrainingLayer>();
    for (const node of convNodes(this.nodes)) {
      let bias: tf.Tensor = vars.get(`${node.name}.b`);
      if (node.timeBias) bias = tf.add(bias, selectRows(vars.get(`${node.name}.t`), rows));
      else bias = tf.expandDims(bias, 0);
      layers.set(node.name, {
        weight: vars.get(`${node.name}.w`) as tf.Tensor4D,
        bias: tf.reshape(bias, [-1, 1, 1, node.cout]) as tf.Tensor4D,
        exponent: exponents.get(node.name)!,
      });
    }
    const out = interpret(this.nodes, features, this.precision === 'integer' ? trainingOps(layers) : floatOps(layers));
    const net = this.config.variance === 'pixel' ? (tf.split(out, 2, 3) as [tf.Tensor4D, tf.Tensor4D]) : [out];
    const skip = tf.reshape(selectRows(vars.get('skip'), rows), [-1, 1, 1, 1]);
    const epsHat = tf.add(net[0], tf.mul(skip, epsNearest)) as tf.Tensor4D;
    if (net.length === 1) return { epsHat };
    const log2Factor = fakeQuantize(tf.clipByValue(net[1], VARIANCE_LOG2_MIN, VARIANCE_LOG2_MAX), VARIANCE_LOG2_SCALE);
    return { epsHat, logVariance: tf.mul(log2Factor, Math.LN2) as tf.Tensor4D };
  }

  /**
   * Unbiased single-sample estimates of the three −ELBO terms for each image of the batch.
   * `pixels` holds integers 0..255 as float32 [N, P, P, C]; `steps` are in 1..T; `weights`
   * are 1/p(step) for steps drawn with probability p (default T: uniform steps).
   */
  elbo(vars: Variables, exponents: Map<string, number>, pixels: tf.Tensor4D, steps: tf.Tensor1D, eps: tf.Tensor4D, eps0: tf.Tensor4D, weights?: tf.Tensor1D): ElboTerms {
    const { T } = this.config;
    const stepWeight = weights ?? tf.fill([steps.shape[0]], T);
    const gamma = gammaSchedule(vars.get('gamma.logits') as tf.Tensor1D, vars.get('gamma.ends') as tf.Tensor1D);
    const v = pixelsToData(pixels);
    const perImage = (t: tf.Tensor) => tf.sum(t, [1, 2, 3]) as tf.Tensor1D;

    // Prior: KL(N(α_T v, σ_T²) ‖ N(0, 1)) per dimension, in closed form.
    const gammaT = tf.slice(gamma, [T], [1]);
    const sigma2T = tf.sigmoid(gammaT);
    const klPerDim = tf.mul(0.5, tf.add(tf.sub(tf.add(sigma2T, tf.mul(tf.sigmoid(tf.neg(gammaT)), tf.square(v))), 1), tf.softplus(tf.neg(gammaT))));
    const prior = perImage(klPerDim);

    // Diffusion: ½·T·Σ_d [r_d/k_d + (1/k_d − 1 + ln k_d)], the bracket split so that small r
    // does not cancel against 1 in float32; ln k_d = ln k_i (+ the dimension's own log factor).
    const rows = tf.sub(steps, tf.scalar(1, 'int32')) as tf.Tensor1D;
    const gammaT_i = selectRows(gamma, steps);
    const gammaS_i = selectRows(gamma, rows);
    const column = (t: tf.Tensor) => tf.reshape(t, [-1, 1, 1, 1]);
    const alpha = column(alphaOf(gammaT_i));
    const sigma = column(sigmaOf(gammaT_i));
    const z = tf.add(tf.mul(alpha, v), tf.mul(sigma, eps)) as tf.Tensor4D;
    const { epsHat, logVariance } = this.predictNoise(vars, exponents, z, steps, alpha, sigma);
    const logStepK = column(selectRows(vars.get(REVERSE_LOG_VARIANCE), rows));
    const logK = logVariance ? tf.add(logStepK, logVariance) : logStepK;
    const r = tf.mul(column(tf.expm1(tf.sub(gammaT_i, gammaS_i))), tf.squaredDifference(eps, epsHat));
    const perDim = tf.add(tf.mul(r, tf.exp(tf.neg(logK))), tf.add(tf.expm1(tf.neg(logK)), logK));
    const diffusion = tf.mul(tf.mul(0.5, stepWeight), perImage(perDim)) as tf.Tensor1D;

    // Reconstruction: p(x | z_0, z_1) puts on each pixel value the mass of N(mean, std²)
    // over that value's bin, the end bins taking the tails (the distribution the coder uses).
    // In v units relative to the true v, with z_0 = E[z_0 | z_1, x] + σ_q·ε0:
    //   u − v = std_u·ε0, x̂ − v = (σ_1/α_1)·(ε − ε̂), mean − v = (u − v) + ((x̂ − v) − (u − v))/K.
    const gamma0 = tf.slice(gamma, [0], [1]);
    const gamma1 = tf.slice(gamma, [1], [1]);
    const c = tf.neg(tf.expm1(tf.sub(gamma0, gamma1)));
    const stdU = tf.div(tf.exp(tf.mul(0.5, gamma0)), tf.sqrt(c));
    const uError = tf.mul(stdU, eps0);
    const xHatError = tf.mul(tf.exp(tf.mul(0.5, gamma1)), tf.sub(eps, epsHat));
    const meanError = tf.add(uError, tf.mul(tf.sub(xHatError, uError), tf.exp(tf.neg(logK))));
    const minStd = PIXEL_STD_MIN / HALF_LEVELS;
    const std = tf.sqrt(tf.maximum(tf.mul(tf.square(stdU), tf.neg(tf.expm1(tf.neg(logK)))), minStd * minStd));
    const halfBin = 0.5 / HALF_LEVELS;
    const infinity = 1e4;
    const upper = tf.where(tf.equal(pixels, PIXEL_LEVELS - 1), tf.fill(pixels.shape, infinity), tf.div(tf.sub(halfBin, meanError), std));
    const lower = tf.where(tf.equal(pixels, 0), tf.fill(pixels.shape, -infinity), tf.div(tf.sub(-halfBin, meanError), std));
    const atStepOne = tf.cast(tf.equal(steps, 1), 'float32');
    const pixelBits = tf.neg(perImage(tf.log(tf.maximum(normalMass(lower, upper), 1e-30))));
    const reconstruction = tf.mul(tf.mul(stepWeight, atStepOne), pixelBits) as tf.Tensor1D;

    return { prior: tf.broadcastTo(prior, diffusion.shape) as tf.Tensor1D, diffusion, reconstruction };
  }
}

const standardNormalCdf = (x: tf.Tensor) => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

/** Φ(b) − Φ(a) for a < b, computed on the side of zero where it does not cancel. */
function normalMass(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const rightTail = isPositive(a);
  return tf.where(rightTail, tf.sub(standardNormalCdf(tf.neg(a)), standardNormalCdf(tf.neg(b))), tf.sub(standardNormalCdf(b), standardNormalCdf(a)));
}
