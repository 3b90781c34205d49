// The bits-back chain over the diffusion steps, in Bit-Swap order (DESIGN §3), for a chunk
// of patches coded together (the network runs batched over the chunk).
//
// Encode: pop z_0 ~ Q(z_0|x); push x ~ P(x|z_0); for i = 1…T: pop z_i ~ Q(z_i|z_{i−1}),
//         push z_{i−1} ~ P(z_{i−1}|z_i); push z_T ~ N(0, 1).
// Decode: the exact reverse, each pop undoing the encoder's push and each push its pop.
//
// Q(z_0|x) and P(x|z_0) involve no network and factorise over dimensions, so from coder
// parameters version 3 the first step runs in blocks of FIRST_STEP_BLOCK dimensions (pop a
// block of z_0, push that block of x): the message then never sinks by the whole of z_0's
// pop before x's push repays it, which was most of the seed a single patch needed at κ = 3
// (docs/experiments.md).
//
// Only `active` dimensions (pixels inside the image, in the channels being coded) are pushed
// or popped. Every other dimension follows a fixed trajectory known to both sides: padding
// stays at z = 0, and a `tied` dimension copies its source (grey images fill G and B with R).

import { Message, popBoundedGaussians, popGaussians, pushBoundedGaussians, pushGaussians } from '../ans/index.ts';
import type { Denoiser } from '../model/denoiser.ts';
import type { ChainSchedule } from './schedule.ts';

export interface ChunkLayout {
  /** Patches in the chunk. */
  patches: number;
  /** Values per patch: P·P·C of the model. */
  patchSize: number;
  /** Indices (into patches·patchSize) of the coded dimensions, ascending. */
  active: Int32Array;
  /** Pairs [target, source]: target copies source after every update. */
  tied: Int32Array;
}

const PIXEL_MAX = 255;
const HALF_LEVELS = 128;

export type StepCallback = (stepsDone: number) => void;

/** Full-size latent array with the active dims set to bins·δ and the fixed dims filled in. */
function latents(layout: ChunkLayout, bins: Int32Array, delta: number): Float64Array {
  const z = new Float64Array(layout.patches * layout.patchSize);
  const { active, tied } = layout;
  for (let a = 0; a < active.length; a++) z[active[a]] = bins[a] * delta;
  for (let t = 0; t < tied.length; t += 2) z[tied[t]] = z[tied[t + 1]];
  return z;
}

/** Centres of P(x | z_0) in pixel units, for latents z_0 = bins·δ_0. */
function pixelCentres(bins: Int32Array, s: ChainSchedule): Float64Array {
  const mu = new Float64Array(bins.length);
  for (let a = 0; a < bins.length; a++) mu[a] = (bins[a] * s.delta[0] * s.pixelGain + 1) * HALF_LEVELS - 0.5;
  return mu;
}

function dataMeans(pixels: Int32Array, s: ChainSchedule): Float64Array {
  const mu = new Float64Array(pixels.length);
  const alpha0 = s.alpha[0];
  for (let a = 0; a < pixels.length; a++) mu[a] = alpha0 * ((pixels[a] + 0.5) / HALF_LEVELS - 1);
  return mu;
}

function forwardMeans(layout: ChunkLayout, zPrev: Float64Array, gain: number): Float64Array {
  const { active } = layout;
  const mu = new Float64Array(active.length);
  for (let a = 0; a < active.length; a++) mu[a] = gain * zPrev[active[a]];
  return mu;
}

/** p(z_{i−1} | z_i) of the active dims: means, and stds (one for all, or one each for per-pixel-variance models). */
async function reverseStep(layout: ChunkLayout, z: Float64Array, step: number, s: ChainSchedule, denoiser: Denoiser): Promise<{ mu: Float64Array; std: Float64Array | number }> {
  const { epsHat, stdFactor } = await denoiser.predictNoise(z, layout.patches, step);
  const { active } = layout;
  const gain = s.reverseGain[step];
  const noiseGain = s.noiseGain[step];
  const stepStd = s.reverseStd[step];
  const mu = new Float64Array(active.length);
  for (let a = 0; a < active.length; a++) {
    const k = active[a];
    mu[a] = gain * (z[k] - noiseGain * epsHat[k]);
  }
  if (!stdFactor) return { mu, std: stepStd };
  const std = new Float64Array(active.length);
  for (let a = 0; a < active.length; a++) std[a] = stepStd * stdFactor[active[a]];
  return { mu, std };
}

/**
 * Dimensions per block of the interleaved first step. Not 1: right after a push the top of
 * an rANS state is the pushed symbol's frequency interval, so a pop there would draw z_0[d]
 * from x[d−1]'s interval rather than from Q (measured: files 25–60% over the −ELBO on the
 * small trained model); within a block each pop reads bits pushed further back.
 */
const FIRST_STEP_BLOCK = 64;

/** The first step, encoding: z_0's bins popped under Q(z_0|x) and x pushed under P(x|z_0), block by block from version 3. */
function encodeFirstStep(m: Message, pixels: Int32Array, s: ChainSchedule, lowest: (bits: number) => void): Int32Array {
  const means = dataMeans(pixels, s);
  const bins = new Int32Array(pixels.length);
  const block = s.interleavedFirstStep ? FIRST_STEP_BLOCK : pixels.length;
  for (let a0 = 0; a0 < pixels.length; a0 += block) {
    const a1 = Math.min(a0 + block, pixels.length);
    popGaussians(m, means.subarray(a0, a1), s.sigma[0], s.delta[0], bins.subarray(a0, a1));
    lowest(m.bitLength());
    pushBoundedGaussians(m, 0, PIXEL_MAX, pixels.subarray(a0, a1), pixelCentres(bins.subarray(a0, a1), s), s.pixelStd, 1);
  }
  return bins;
}

/** The first step, decoding: x popped under P(x|z_0), then z_0's bins pushed back under Q(z_0|x), blocks in reverse. */
function decodeFirstStep(m: Message, bins: Int32Array, s: ChainSchedule): Int32Array {
  const pixels = new Int32Array(bins.length);
  const block = s.interleavedFirstStep ? FIRST_STEP_BLOCK : bins.length;
  for (let a0 = Math.floor((bins.length - 1) / block) * block; a0 >= 0; a0 -= block) {
    const a1 = Math.min(a0 + block, bins.length);
    popBoundedGaussians(m, 0, PIXEL_MAX, pixelCentres(bins.subarray(a0, a1), s), s.pixelStd, 1, pixels.subarray(a0, a1));
    pushGaussians(m, bins.subarray(a0, a1), dataMeans(pixels.subarray(a0, a1), s), s.sigma[0], s.delta[0]);
  }
  return pixels;
}

/**
 * Pushes the chunk's pixels (values of the active dims, in order) onto the message. Returns
 * the lowest point the message reached, in bits relative to its length at the start: the
 * information the chunk's pops needed before its pushes paid it back (negative or zero).
 */
export async function encodeChunk(m: Message, layout: ChunkLayout, pixels: Int32Array, s: ChainSchedule, denoiser: Denoiser, onStep?: StepCallback): Promise<number> {
  const start = m.bitLength();
  let lowest = 0;
  let bins = encodeFirstStep(m, pixels, s, (bits) => (lowest = Math.min(lowest, bits - start)));
  let z = latents(layout, bins, s.delta[0]);
  for (let i = 1; i <= s.T; i++) {
    const next = popGaussians(m, forwardMeans(layout, z, s.forwardGain[i]), s.forwardStd[i], s.delta[i]);
    lowest = Math.min(lowest, m.bitLength() - start);
    const zNext = latents(layout, next, s.delta[i]);
    const p = await reverseStep(layout, zNext, i, s, denoiser);
    pushGaussians(m, bins, p.mu, p.std, s.delta[i - 1]);
    bins = next;
    z = zNext;
    onStep?.(i);
  }
  pushGaussians(m, bins, new Float64Array(bins.length), 1, s.delta[s.T]);
  return lowest;
}

/** Pops a chunk pushed by `encodeChunk` and returns its pixels. */
export async function decodeChunk(m: Message, layout: ChunkLayout, s: ChainSchedule, denoiser: Denoiser, onStep?: StepCallback): Promise<Int32Array> {
  const count = layout.active.length;
  let bins = popGaussians(m, new Float64Array(count), 1, s.delta[s.T]);
  let z = latents(layout, bins, s.delta[s.T]);
  for (let i = s.T; i >= 1; i--) {
    const p = await reverseStep(layout, z, i, s, denoiser);
    const previous = popGaussians(m, p.mu, p.std, s.delta[i - 1]);
    const zPrevious = latents(layout, previous, s.delta[i - 1]);
    pushGaussians(m, bins, forwardMeans(layout, zPrevious, s.forwardGain[i]), s.forwardStd[i], s.delta[i]);
    bins = previous;
    z = zPrevious;
    onStep?.(s.T - i + 1);
  }
  return decodeFirstStep(m, bins, s);
}
