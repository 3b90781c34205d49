// Per-step constants of the bits-back chain, derived from the bundle's stored α_i², σ_i²
// with IEEE basic operations only (docs/format.md §8), so encoder and decoder agree bit for bit.
//
// For adjacent steps s = i−1 < t = i, with c = 1 − SNR_t/SNR_s (= −expm1(γ_s − γ_t)):
//   forward  q(z_t | z_s) = N((α_t/α_s)·z_s, σ_t²·c)
//   model    p(z_s | z_t) = N((α_s/α_t)·(z_t − σ_t·c·ε̂(z_t, t)), σ_s²·c·k_t)
// where k_t is the model's learned reverse variance factor (1 for models that predate it).
// Latent z_i lives on the grid δ_i = κ_i·min(std of q(z_i | z_{i−1}), std of q(z_i | z_{i+1}, x)),
// the same grid for its pop and its push, so bin widths cancel in the net code length. The
// grid follows q's posterior, not p (whose variance is k times larger): the posterior is the
// scale on which the bits-back chain has to resolve z_i (measured: with p's std the small
// trained model's files ran 6% over its −ELBO, with q's 1.4% under).
//
// The grid rule is part of the file format (docs/format.md §8): κ_i = 2κ for latents whose
// noise is below half a pixel step (σ_i/α_i < 1/256, where the nearest pixel value is nearly
// certain), κ elsewhere. Coarser grids there cost almost nothing (the network's ε_nn feature
// resolves those noise levels) and halve the bits the first chunk pops before it pushes any
// back. The chain's first step (pop z_0 | x, push x | z_0) runs interleaved in blocks of
// dimensions (chain.ts). In every chunk but a file's first the pixels are coded under
// p(x | z_0, z_1), which also uses the network's step-1 prediction (`pixelDistributions`; the
// model's reconstruction term, src/model/vdm.ts): the chain draws z_1 ~ q(z_1 | x) and
// z_0 ~ q(z_0 | z_1, x) for it (chain.ts); the first chunk keeps p(x | z_0) (codec.ts:
// OPENING_GRIDS). The network sees a chunk's neighbouring patches together (tiling.ts: up to
// three rectangles of patches per chunk), and each rectangle is widened by CONTEXT_MARGIN
// pixels to the right and below, showing the network pixels of later chunks (already decoded
// when the decoder, which runs the chunks in reverse, reaches this one) at the step's noise
// level with deterministic noise (chain.ts: `contextNoise`).

import { HALF_LEVELS, PIXEL_STD_MIN } from '../model/architecture.ts';
import { reverseVariance, type ModelBundle } from '../model/bundle.ts';


/** (σ/α)² below which a latent's noise is under half a pixel step (1/256 in v). */
export const LOW_NOISE_VARIANCE_RATIO = 1 / 65536;
export const LOW_NOISE_GRID_SCALE = 2;
/** The context margin in pixels (a multiple of 2^(levels − 1) for the network's canvas). */
export const CONTEXT_MARGIN = 16;

export interface ChainSchedule {
  T: number;
  alpha: Float64Array;
  sigma: Float64Array;
  /** Grid width of latent z_i, i = 0..T. */
  delta: Float64Array;
  /** q(z_i | z_{i−1}): mean factor α_i/α_{i−1} and std, i = 1..T (index 0 unused). */
  forwardGain: Float64Array;
  forwardStd: Float64Array;
  /** p(z_{i−1} | z_i): mean = reverseGain_i·(z_i − noiseGain_i·ε̂), std reverseStd_i; i = 1..T. */
  reverseGain: Float64Array;
  noiseGain: Float64Array;
  reverseStd: Float64Array;
  /** p(x | z_0) in pixel units: centre (z_0·pixelGain + 1)·128 − 0.5, std pixelStd. */
  pixelGain: number;
  pixelStd: number;
  /** x is coded under p(x | z_0, z_1) (see `pixelDistributions`); false in a file's opening chunk, whose pixels are coded under p(x | z_0). */
  pixelsSeeStepOne: boolean;
  /** Pixels of context, right of and below each rectangle of a chunk's patches (tiling.ts). */
  contextMargin: number;
  /** q(z_0 | z_1, x) = N(latentGain·z_1 + dataGain·v, posteriorStd²). */
  stepOnePosterior: { latentGain: number; dataGain: number; std: number };
  /** k_1, the step-1 reverse variance factor (before the per-pixel factor). */
  stepOneVariance: number;
}

export function chainSchedule(bundle: ModelBundle, gridFactor: number): ChainSchedule {
  const { alpha2, sigma2 } = bundle.meta.steps;
  const T = bundle.meta.config.T;
  const k = reverseVariance(bundle.meta);
  const alpha = Float64Array.from(alpha2, Math.sqrt);
  const sigma = Float64Array.from(sigma2, Math.sqrt);
  const forwardGain = new Float64Array(T + 1);
  const forwardStd = new Float64Array(T + 1);
  const reverseGain = new Float64Array(T + 1);
  const noiseGain = new Float64Array(T + 1);
  const posteriorStd = new Float64Array(T + 1);
  const reverseStd = new Float64Array(T + 1);
  for (let t = 1; t <= T; t++) {
    const s = t - 1;
    const c = 1 - (alpha2[t] * sigma2[s]) / (sigma2[t] * alpha2[s]);
    forwardGain[t] = alpha[t] / alpha[s];
    forwardStd[t] = sigma[t] * Math.sqrt(c);
    reverseGain[t] = alpha[s] / alpha[t];
    noiseGain[t] = sigma[t] * c;
    posteriorStd[t] = sigma[s] * Math.sqrt(c);
    reverseStd[t] = posteriorStd[t] * Math.sqrt(k[t]);
  }
  const contextMargin = CONTEXT_MARGIN;
  const stride = 2 ** (bundle.meta.config.widths.length - 1);
  if (contextMargin % stride !== 0) throw new Error(`the context margin ${contextMargin} is not a multiple of the network's stride ${stride}`);
  const delta = new Float64Array(T + 1);
  for (let i = 0; i <= T; i++) {
    // z_0 is popped under q(z_0 | x) = N(α_0 v, σ_0²); z_T is pushed under the prior N(0, 1).
    const popStd = i === 0 ? sigma[0] : forwardStd[i];
    const pushStd = i === T ? 1 : posteriorStd[i + 1];
    const lowNoise = sigma2[i] / alpha2[i] < LOW_NOISE_VARIANCE_RATIO;
    const kappa = lowNoise ? LOW_NOISE_GRID_SCALE * gridFactor : gridFactor;
    delta[i] = kappa * Math.min(popStd, pushStd);
  }
  // c_1 = 1 − SNR_1/SNR_0: q(z_0 | z_1, x) has mean (α_0/α_1)·(1 − c_1)·z_1 + α_0·c_1·v.
  const c1 = 1 - (alpha2[1] * sigma2[0]) / (sigma2[1] * alpha2[0]);
  return {
    T,
    alpha,
    sigma,
    delta,
    forwardGain,
    forwardStd,
    reverseGain,
    noiseGain,
    reverseStd,
    pixelGain: 1 / alpha[0],
    pixelStd: (HALF_LEVELS * sigma[0]) / alpha[0],
    pixelsSeeStepOne: true,
    contextMargin,
    stepOnePosterior: { latentGain: (alpha[0] / alpha[1]) * (1 - c1), dataGain: alpha[0] * c1, std: posteriorStd[1] },
    stepOneVariance: k[1],
  };
}

/**
 * p(x | z_0, z_1) for the active dimensions a0 ≤ a < a1, as centres and stds in pixel units:
 * the model's joint Gaussian for (x, z_0) given z_1 conditioned on z_0 (src/model/vdm.ts),
 *   N(u + (x̂ − u)/K, std_u²·(1 − 1/K)),  u = (z_0 − d·z_1)/C,  std_u = σ_q/C,
 *   x̂ = (z_1 − σ_1·ε̂(z_1, 1))/α_1,  K = k_1·(per-pixel factor)²,
 * its std floored at PIXEL_STD_MIN. Basic IEEE operations only, like the rest of the schedule.
 * `z0` holds the active dims' z_0; `z1`, `epsHat` and `stdFactor` are full-size arrays.
 */
export function pixelDistributions(
  s: ChainSchedule,
  active: Int32Array,
  a0: number,
  a1: number,
  z0: Float64Array,
  z1: Float64Array,
  epsHat: Float64Array,
  stdFactor: Float64Array | undefined,
  centre: Float64Array,
  std: Float64Array,
): void {
  const { latentGain, dataGain, std: posteriorStd } = s.stepOnePosterior;
  const stdU = posteriorStd / dataGain;
  const varianceU = stdU * stdU;
  const minStd = PIXEL_STD_MIN / HALF_LEVELS;
  const minVariance = minStd * minStd;
  for (let a = a0; a < a1; a++) {
    const k = active[a];
    const u = (z0[a] - latentGain * z1[k]) / dataGain;
    const xHat = (z1[k] - s.sigma[1] * epsHat[k]) / s.alpha[1];
    const f = stdFactor ? stdFactor[k] : 1;
    const K = s.stepOneVariance * f * f;
    const variance = varianceU * (1 - 1 / K);
    centre[a - a0] = (u + (xHat - u) / K + 1) * HALF_LEVELS - 0.5;
    std[a - a0] = HALF_LEVELS * (variance > minVariance ? Math.sqrt(variance) : minStd);
  }
}
