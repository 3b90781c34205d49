// The model's −ELBO on images, computed the way the coder codes them: the same tiling and
// planes, the integer network through the coding-path denoiser, and the coder's own integer
// frequencies for p(x | z_0, z_1). Every diffusion step is evaluated (not a sampled one), so
// the only randomness is one ε per step (and z_0's draw from q(z_0 | z_1, x)). This is what a
// file's size is compared against.

import { boundedGaussianBits } from '../ans/index.ts';
import type { Image } from '../image/index.ts';
import { reverseVariance, type ModelBundle } from '../model/bundle.ts';
import { Denoiser, type IntegerEngine } from '../model/denoiser.ts';
import { mulberry32, normalSampler } from '../random.ts';
import { predictChunks, stepOnePosteriorMeans } from './chain.ts';
import { chainSchedule, pixelDistributions } from './schedule.ts';
import { chunkLayout, codedPlanes, gatherPixels, MAX_CHUNK_PATCHES, tiling } from './tiling.ts';
import { HALF_LEVELS } from '../model/architecture.ts';

export interface ElboBits {
  /** Coded dimensions (sub-pixels). */
  dims: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
  /**
   * Σ_d r_d of each step i = 1..T (index 0 unused), r = expm1(γ_i − γ_{i−1})·(ε − ε̂)²: the
   * denoiser's error in units of q(z_{i−1} | z_i, x)'s variance. k_i = 1 + its mean is the
   * reverse variance that minimises the step's bits.
   */
  stepDistortion: Float64Array;
  /** Per-patch totals in bits and dims, for standard errors. */
  patches: { bits: number; dims: number }[];
  /** False where `stopWhen` ended the sum early: every term is then a lower bound, and dims and patches count the finished chunks only. */
  complete: boolean;
}

/** Which diffusion steps `imageElbo` evaluates when it estimates: the first `exactSteps`, then one in each run of `stride`. */
export interface StepSampling {
  exactSteps: number;
  stride: number;
}

export interface ElboOptions {
  /** The noise streams' seed (1 by default). */
  seed?: number;
  /** Patches per chunk (a file's own schedule); MAX_CHUNK_PATCHES each by default. */
  chunkSizes?: number[];
  /** Estimate the diffusion term from a sample of the steps instead of summing every one. */
  sampling?: StepSampling;
  /** Hears after each network call how many have run, of how many (after a stop: of as many as ran). */
  onCall?: (calls: number, total: number) => void;
  /**
   * Stop once this holds of the bits summed so far over every image (`elboTotal` of the
   * results), checked after each network call. Every term of every step is a divergence or a
   * −log2 of a probability, never negative (up to rounding), so the sum only grows: a predicate
   * that stays true as its argument grows, such as "above some bound", then holds of the whole
   * sum too. The results' bits are then lower bounds (`complete` false), at a fraction of the
   * network calls (steps are evaluated from the least noisy, which carry most of the bits).
   */
  stopWhen?: (bitsSoFar: number) => boolean;
}

/**
 * −ELBO of one image in bits, by term. The network sees the patches of one chunk together
 * (they are at the same step on both sides of the coder), so the bound depends on the chunks:
 * by default MAX_CHUNK_PATCHES each, the most context the coder can give; `chunkSizes` (a
 * file's own schedule) measures what that schedule's context costs.
 *
 * With `sampling`, the diffusion term is estimated instead of summed, for a quick answer:
 * the first `exactSteps` steps, which carry nearly all the bits of a trained model (97% in
 * steps 1–6 of 64), are evaluated, and of each run of `stride` steps after them one step drawn
 * at random (from `seed`) stands for the run, weighted by its length: stratified sampling, an
 * unbiased estimate from fewer network evaluations (stepDistortion then holds the evaluated
 * steps only). The prior and reconstruction terms are exact either way.
 */
export async function imageElbo(image: Image, bundle: ModelBundle, engine: IntegerEngine, options: ElboOptions = {}): Promise<ElboBits> {
  return (await imagesElbo([image], bundle, engine, options))[0];
}

/**
 * `imageElbo` of each of several images of one size and channel count, each with its own
 * noise stream from `seed` (so each result equals its `imageElbo`), the network calls of the
 * images at each step shared (`predictChunks`): what a GPU needs to be busy.
 */
export async function imagesElbo(images: Image[], bundle: ModelBundle, engine: IntegerEngine, options: ElboOptions = {}): Promise<ElboBits[]> {
  const { seed = 1, chunkSizes, sampling, onCall, stopWhen } = options;
  const [first] = images;
  if (images.some((im) => im.width !== first.width || im.height !== first.height || im.channels !== first.channels)) {
    throw new RangeError('imagesElbo: the images differ in size or channels');
  }
  const { T, patch } = bundle.meta.config;
  // weights[i]: how many steps step i stands for (0: not evaluated).
  const weights = new Float64Array(T + 1).fill(1);
  weights[0] = 0;
  if (sampling) {
    const exact = Math.max(1, sampling.exactSteps);
    const pick = mulberry32(seed ^ 0x5eed);
    for (let first = exact + 1; first <= T; first += sampling.stride) {
      const length = Math.min(sampling.stride, T - first + 1);
      weights.fill(0, first, first + length);
      weights[first + Math.floor(pick() * length)] = length;
    }
  }
  const s = chainSchedule(bundle, 1);
  const { alpha2, sigma2 } = bundle.meta.steps;
  const denoiser = new Denoiser(bundle, engine);
  const normals = images.map(() => normalSampler(mulberry32(seed)));
  const tiles = tiling(first.width, first.height, patch);
  // Patches per chunk: `chunkSizes` where given, else MAX_CHUNK_PATCHES each, the last what is left.
  const sizes: number[] = [];
  for (let start = 0; start < tiles.count; start += sizes[sizes.length - 1]) sizes.push(Math.min(chunkSizes?.[sizes.length] ?? MAX_CHUNK_PATCHES, tiles.count - start));
  const planesCoded = codedPlanes(first);
  const totalCalls = planesCoded.length * sizes.length * weights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
  let calls = 0;
  const k = reverseVariance(bundle.meta);
  const results: ElboBits[] = images.map(() => ({ dims: 0, prior: 0, diffusion: 0, reconstruction: 0, stepDistortion: new Float64Array(T + 1), patches: [], complete: true }));
  const nats = 1 / Math.LN2;
  const priorPerDim = (v: number) => 0.5 * (sigma2[T] + alpha2[T] * v * v - 1 - Math.log(sigma2[T])) * nats;
  for (const plane of planesCoded) {
    for (let chunk = 0, start = 0; chunk < sizes.length; start += sizes[chunk++]) {
      const n = sizes[chunk];
      const chunks = images.map((image, m) => {
        const layout = chunkLayout(tiles, start, n, plane, s.contextMargin, image);
        const pixels = gatherPixels(image, tiles, start, n, plane);
        const { active } = layout;
        const perPatch = new Float64Array(n);
        const dimsPerPatch = new Float64Array(n);
        const patchOf = (a: number) => Math.floor(active[a] / layout.patchSize);
        const v = Float64Array.from(pixels, (x) => (x + 0.5) / HALF_LEVELS - 1);
        for (let a = 0; a < active.length; a++) {
          const bits = priorPerDim(v[a]);
          results[m].prior += bits;
          perPatch[patchOf(a)] += bits;
          dimsPerPatch[patchOf(a)]++;
        }
        return { layout, pixels, v, perPatch, dimsPerPatch, patchOf, z: new Float64Array(n * layout.patchSize), eps: new Float64Array(active.length) };
      });
      // Diffusion: Σ_i Σ_d ½·[(1 + r_d)/k_d − 1 + ln k_d] with r = (SNR_{i−1}/SNR_i − 1)·(ε − ε̂)²,
      // every step; k_d is k_i, times the dimension's own factor in per-pixel-variance models.
      for (let i = 1; i <= T; i++) {
        if (weights[i] === 0) continue;
        chunks.forEach(({ layout: { active, tied }, v, z, eps }, m) => {
          for (let a = 0; a < active.length; a++) {
            eps[a] = normals[m]();
            z[active[a]] = s.alpha[i] * v[a] + s.sigma[i] * eps[a];
          }
          for (let t = 0; t < tied.length; t += 2) z[tied[t]] = z[tied[t + 1]];
        });
        const predictions = await predictChunks(
          chunks.map((c) => c.layout),
          chunks.map((c) => c.z),
          i,
          s,
          denoiser,
        );
        calls++;
        chunks.forEach(({ layout, pixels, z, eps, perPatch, patchOf }, m) => {
          const { active } = layout;
          const { epsHat, stdFactor } = predictions[m];
          const result = results[m];
          if (i === 1) {
            // Reconstruction: −log2 P(x | z_0, z_1) with the coder's integer frequencies, z_0 ~ q(z_0 | z_1, x).
            const z0 = stepOnePosteriorMeans(layout, 0, z, pixels, s);
            for (let a = 0; a < active.length; a++) z0[a] += s.stepOnePosterior.std * normals[m]();
            const centre = new Float64Array(active.length);
            const pixelStd = new Float64Array(active.length);
            pixelDistributions(s, active, 0, active.length, z0, z, epsHat, stdFactor, centre, pixelStd);
            for (let a = 0; a < active.length; a++) {
              const bits = boundedGaussianBits(pixels[a], 0, 255, centre[a], pixelStd[a], 1);
              result.reconstruction += bits;
              perPatch[patchOf(a)] += bits;
            }
          }
          const snrRatio = (alpha2[i - 1] * sigma2[i]) / (sigma2[i - 1] * alpha2[i]) - 1;
          for (let a = 0; a < active.length; a++) {
            const d = eps[a] - epsHat[active[a]];
            const r = snrRatio * d * d;
            const kd = stdFactor ? k[i] * stdFactor[active[a]] ** 2 : k[i];
            const bits = weights[i] * 0.5 * (r / kd + 1 / kd - 1 + Math.log(kd)) * nats;
            result.stepDistortion[i] += r;
            result.diffusion += bits;
            perPatch[patchOf(a)] += bits;
          }
        });
        if (stopWhen?.(elboTotal(results))) {
          onCall?.(calls, calls);
          for (const r of results) r.complete = false;
          return results;
        }
        onCall?.(calls, totalCalls);
      }
      chunks.forEach(({ layout, perPatch, dimsPerPatch }, m) => {
        results[m].dims += layout.active.length;
        for (let j = 0; j < n; j++) results[m].patches.push({ bits: perPatch[j], dims: dimsPerPatch[j] });
      });
    }
  }
  return results;
}

/** The bits of several images' −ELBO, all terms, summed in order. */
export function elboTotal(results: readonly ElboBits[]): number {
  return results.reduce((sum, r) => sum + r.prior + r.diffusion + r.reconstruction, 0);
}

export interface ElboSummary {
  images: number;
  dims: number;
  bpd: number;
  /** Standard error of bpd, with patches as the sampling unit. */
  stderr: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
}

export function summarise(results: ElboBits[]): ElboSummary {
  const dims = results.reduce((a, r) => a + r.dims, 0);
  const sum = (key: 'prior' | 'diffusion' | 'reconstruction') => results.reduce((a, r) => a + r[key], 0) / dims;
  const prior = sum('prior');
  const diffusion = sum('diffusion');
  const reconstruction = sum('reconstruction');
  const bpd = prior + diffusion + reconstruction;
  const patches = results.flatMap((r) => r.patches);
  // Ratio-estimator standard error of Σbits/Σdims over patches.
  let squares = 0;
  for (const p of patches) squares += (p.bits - bpd * p.dims) ** 2;
  const count = patches.length;
  const stderr = count > 1 ? Math.sqrt((squares * count) / (count - 1)) / dims : NaN;
  return { images: results.length, dims, bpd, stderr, prior, diffusion, reconstruction };
}
