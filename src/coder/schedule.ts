// Per-step constants of the bits-back chain, derived from the bundle's stored α_i², σ_i²
// with IEEE basic operations only (DESIGN §3), so encoder and decoder agree bit for bit.
//
// For adjacent steps s = i−1 < t = i, with c = 1 − SNR_t/SNR_s (= −expm1(γ_s − γ_t)):
//   forward  q(z_t | z_s) = N((α_t/α_s)·z_s, σ_t²·c)
//   model    p(z_s | z_t) = N((α_s/α_t)·(z_t − σ_t·c·ε̂(z_t, t)), σ_s²·c)
// Latent z_i lives on the grid δ_i = κ·min(std of q(z_i | z_{i−1}), std of p(z_i | z_{i+1})),
// the same grid for its pop and its push, so bin widths cancel in the net code length.

import type { ModelBundle } from '../model/bundle.ts';

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
}

export function chainSchedule(bundle: ModelBundle, gridFactor: number): ChainSchedule {
  const { alpha2, sigma2 } = bundle.meta.steps;
  const T = bundle.meta.config.T;
  const alpha = Float64Array.from(alpha2, Math.sqrt);
  const sigma = Float64Array.from(sigma2, Math.sqrt);
  const forwardGain = new Float64Array(T + 1);
  const forwardStd = new Float64Array(T + 1);
  const reverseGain = new Float64Array(T + 1);
  const noiseGain = new Float64Array(T + 1);
  const reverseStd = new Float64Array(T + 1);
  for (let t = 1; t <= T; t++) {
    const s = t - 1;
    const c = 1 - (alpha2[t] * sigma2[s]) / (sigma2[t] * alpha2[s]);
    forwardGain[t] = alpha[t] / alpha[s];
    forwardStd[t] = sigma[t] * Math.sqrt(c);
    reverseGain[t] = alpha[s] / alpha[t];
    noiseGain[t] = sigma[t] * c;
    reverseStd[t] = sigma[s] * Math.sqrt(c);
  }
  const delta = new Float64Array(T + 1);
  for (let i = 0; i <= T; i++) {
    // z_0 is popped under q(z_0 | x) = N(α_0 v, σ_0²); z_T is pushed under the prior N(0, 1).
    const popStd = i === 0 ? sigma[0] : forwardStd[i];
    const pushStd = i === T ? 1 : reverseStd[i + 1];
    delta[i] = gridFactor * Math.min(popStd, pushStd);
  }
  return { T, alpha, sigma, delta, forwardGain, forwardStd, reverseGain, noiseGain, reverseStd, pixelGain: 1 / alpha[0], pixelStd: (128 * sigma[0]) / alpha[0] };
}
