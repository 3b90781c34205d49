// The bits-back chain over the diffusion steps, in Bit-Swap order (docs/format.md §8), for a chunk
// of patches coded together (the network runs batched over the chunk).
//
// Encode: pop z_0 ~ Q(z_0|x); push x ~ P(x|z_0); for i = 1…T: pop z_i ~ Q(z_i|z_{i−1}),
//         push z_{i−1} ~ P(z_{i−1}|z_i); push z_T ~ N(0, 1).
// Decode: the exact reverse, each pop undoing the encoder's push and each push its pop.
//
// Q(z_0|x) and P(x|z_0) involve no network and factorise over dimensions, so the first step
// runs in blocks of FIRST_STEP_BLOCK dimensions (pop a block of z_0, push that block of x):
// the message then never sinks by the whole of z_0's pop before x's push repays it, which
// would be most of the seed a single patch needs.
//
// In every chunk but a file's first (see codec.ts) the pixels are pushed under
// P(x | z_0, z_1), which needs the network at z_1 before any pixel is pushed. The first two
// latents are therefore drawn the other way round, from the same joint Q(z_0, z_1 | x):
// Encode: pop z_1 ~ Q(z_1|x); ε̂(z_1, 1); in blocks: pop z_0 ~ Q(z_0|z_1,x), push x ~ P(x|z_0,z_1);
//         push z_0 ~ P(z_0|z_1); then steps 2…T and the prior as above.
// The network runs over each rectangle of the chunk's patches at once (the layout's
// `canvases`), so patches see their neighbours' latents at the same step: both sides hold all
// of a chunk's z_i before the network needs them.
//
// Only `active` dimensions (pixels inside the image, in the channels being coded) are pushed
// or popped. Every other dimension follows a fixed trajectory known to both sides: padding
// stays at z = 0, and a `tied` dimension copies its source (grey images fill G and B with R).
//
// Specified in docs/format.md §8.3, §8.4, §8.6.

import { Message, popBoundedGaussians, popGaussians, pushBoundedGaussians, pushGaussians } from '../ans/index.ts';
import type { Denoiser, NoisePrediction } from '../model/denoiser.ts';
import { pixelDistributions, type ChainSchedule } from './schedule.ts';
import { contextIndex, MODEL_CHANNELS, PADDING_SOURCE, type BlockCanvas, type ChunkLayout } from './tiling.ts';
import { SAMPLE_MAX } from '../image/index.ts';
import { HALF_LEVELS } from '../model/architecture.ts';

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

/** The model's data variable v of a pixel value. */
const dataValue = (pixel: number) => (pixel + 0.5) / HALF_LEVELS - 1;

/** Means of Q(z_i | x) = N(α_i·v, σ_i²). */
function dataMeans(pixels: Int32Array, alpha: number): Float64Array {
  const mu = new Float64Array(pixels.length);
  for (let a = 0; a < pixels.length; a++) mu[a] = alpha * dataValue(pixels[a]);
  return mu;
}

/** Means of Q(z_0 | z_1, x) for the active dims a0 ≤ a < a1 (pixels and the result hold only those). */
export function stepOnePosteriorMeans(layout: ChunkLayout, a0: number, z1: Float64Array, pixels: Int32Array, s: ChainSchedule): Float64Array {
  const { latentGain, dataGain } = s.stepOnePosterior;
  const mu = new Float64Array(pixels.length);
  for (let a = 0; a < pixels.length; a++) mu[a] = latentGain * z1[layout.active[a0 + a]] + dataGain * dataValue(pixels[a]);
  return mu;
}

function forwardMeans(layout: ChunkLayout, zPrev: Float64Array, gain: number): Float64Array {
  const { active } = layout;
  const mu = new Float64Array(active.length);
  for (let a = 0; a < active.length; a++) mu[a] = gain * zPrev[active[a]];
  return mu;
}

/**
 * ε̂(z_i, i) for the chunk, in patch order: the network runs over each of the layout's
 * canvases, where patches see their neighbours in place and the context pixels around them.
 */
export async function predict(layout: ChunkLayout, z: Float64Array, step: number, s: ChainSchedule, denoiser: Denoiser): Promise<NoisePrediction> {
  return (await predictChunks([layout], [z], step, s, denoiser))[0];
}

/**
 * `predict` for several chunks at the same step (the estimate's crops), in as few network
 * calls as their canvas sizes allow: canvases of one size go in one call. The integer network
 * computes each canvas alone, so the results do not depend on what shares a call.
 */
export async function predictChunks(layouts: ChunkLayout[], zs: Float64Array[], step: number, s: ChainSchedule, denoiser: Denoiser): Promise<NoisePrediction[]> {
  const C = MODEL_CHANNELS;
  const results: NoisePrediction[] = zs.map((z) => ({ epsHat: new Float64Array(z.length) }));
  const bySize = new Map<string, { layout: number; canvas: BlockCanvas }[]>();
  layouts.forEach((layout, l) => {
    for (const canvas of layout.canvases) {
      const key = `${canvas.width}x${canvas.height}`;
      const group = bySize.get(key) ?? [];
      group.push({ layout: l, canvas });
      bySize.set(key, group);
    }
  });
  for (const group of bySize.values()) {
    const { width, height } = group[0].canvas;
    const perCanvas = width * height * C;
    const zc = new Float64Array(group.length * perCanvas);
    group.forEach(({ layout: l, canvas }, g) => {
      const { context } = layouts[l];
      const z = zs[l];
      const base = g * perCanvas;
      for (let p = 0; p < canvas.sources.length; p++) {
        const source = canvas.sources[p];
        if (source >= 0) for (let c = 0; c < C; c++) zc[base + p * C + c] = z[source * C + c];
        else if (source !== PADDING_SOURCE) {
          const k = contextIndex(source);
          for (let c = 0; c < C; c++) zc[base + p * C + c] = s.alpha[step] * dataValue(context.pixels[k * C + c]) + s.sigma[step] * contextNoise(step, context.positions[k], context.grey ? 0 : c);
        }
      }
    });
    const out = await denoiser.predictCanvases(zc, group.length, { width, height }, step);
    group.forEach(({ layout: l, canvas }, g) => {
      const result = results[l];
      if (out.stdFactor && !result.stdFactor) result.stdFactor = new Float64Array(zs[l].length);
      const base = g * perCanvas;
      for (let y = 0; y < canvas.ownHeight; y++) {
        for (let x = 0; x < canvas.ownWidth; x++) {
          const p = y * width + x;
          const slot = canvas.sources[p];
          for (let c = 0; c < C; c++) {
            result.epsHat[slot * C + c] = out.epsHat[base + p * C + c];
            if (result.stdFactor) result.stdFactor[slot * C + c] = out.stdFactor![base + p * C + c];
          }
        }
      }
    });
  }
  return results;
}

/**
 * A deterministic standard-normal-like sample for context pixel `position`, channel `channel`
 * at step `step`: the sum of twelve 16-bit uniforms minus 6 (Irwin–Hall; mean 0, variance 1),
 * from an integer hash, so that it is the same on every machine (no transcendental functions).
 */
export function contextNoise(step: number, position: number, channel: number): number {
  let sum = 0;
  for (let j = 0; j < 6; j++) {
    const h = mix32(mix32(mix32(CONTEXT_NOISE_SEED ^ step) ^ position) ^ ((channel << 3) | j));
    sum += (h >>> 16) + (h & 0xffff);
  }
  return (sum + 6) / 65536 - 6;
}

const CONTEXT_NOISE_SEED = 0x0c0_47e47;

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface StepDistribution {
  mu: Float64Array;
  std: Float64Array | number;
}

/** p(z_{i−1} | z_i) of the active dims: means, and stds (one for all, or one each for per-pixel-variance models). */
async function reverseStep(layout: ChunkLayout, z: Float64Array, step: number, s: ChainSchedule, denoiser: Denoiser): Promise<StepDistribution> {
  return reverseFrom(layout, z, step, s, await predict(layout, z, step, s, denoiser));
}

/** p(z_{i−1} | z_i) from the network's prediction at z_i. */
function reverseFrom(layout: ChunkLayout, z: Float64Array, step: number, s: ChainSchedule, { epsHat, stdFactor }: NoisePrediction): StepDistribution {
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

/** The first step of a file's opening chunk, encoding: z_0's bins popped under Q(z_0|x) and x pushed under P(x|z_0), block by block. */
function encodeFirstStep(m: Message, pixels: Int32Array, s: ChainSchedule, lowest: (bits: number) => void): Int32Array {
  const means = dataMeans(pixels, s.alpha[0]);
  const bins = new Int32Array(pixels.length);
  for (let a0 = 0; a0 < pixels.length; a0 += FIRST_STEP_BLOCK) {
    const a1 = Math.min(a0 + FIRST_STEP_BLOCK, pixels.length);
    popGaussians(m, means.subarray(a0, a1), s.sigma[0], s.delta[0], bins.subarray(a0, a1));
    lowest(m.bitLength());
    pushBoundedGaussians(m, 0, SAMPLE_MAX, pixels.subarray(a0, a1), pixelCentres(bins.subarray(a0, a1), s), s.pixelStd, 1);
  }
  return bins;
}

/** The first step, decoding: x popped under P(x|z_0), then z_0's bins pushed back under Q(z_0|x), blocks in reverse. */
function decodeFirstStep(m: Message, bins: Int32Array, s: ChainSchedule): Int32Array {
  const pixels = new Int32Array(bins.length);
  for (let a0 = Math.floor((bins.length - 1) / FIRST_STEP_BLOCK) * FIRST_STEP_BLOCK; a0 >= 0; a0 -= FIRST_STEP_BLOCK) {
    const a1 = Math.min(a0 + FIRST_STEP_BLOCK, bins.length);
    popBoundedGaussians(m, 0, SAMPLE_MAX, pixelCentres(bins.subarray(a0, a1), s), s.pixelStd, 1, pixels.subarray(a0, a1));
    pushGaussians(m, bins.subarray(a0, a1), dataMeans(pixels.subarray(a0, a1), s.alpha[0]), s.sigma[0], s.delta[0]);
  }
  return pixels;
}

/**
 * The first two latents of every other chunk, encoding: z_1 popped under Q(z_1|x); then block by block
 * z_0 popped under Q(z_0|z_1,x) and x pushed under P(x|z_0,z_1); then z_0 pushed under
 * P(z_0|z_1). Returns z_1's bins and latents, where the loop over steps 2…T starts.
 */
async function encodeFirstSteps(m: Message, layout: ChunkLayout, pixels: Int32Array, s: ChainSchedule, denoiser: Denoiser, lowest: (bits: number) => void): Promise<{ bins: Int32Array; z: Float64Array }> {
  const bins1 = popGaussians(m, dataMeans(pixels, s.alpha[1]), s.sigma[1], s.delta[1]);
  lowest(m.bitLength());
  const z1 = latents(layout, bins1, s.delta[1]);
  const prediction = await predict(layout, z1, 1, s, denoiser);
  const bins0 = new Int32Array(pixels.length);
  const z0 = new Float64Array(pixels.length);
  for (let a0 = 0; a0 < pixels.length; a0 += FIRST_STEP_BLOCK) {
    const a1 = Math.min(a0 + FIRST_STEP_BLOCK, pixels.length);
    popGaussians(m, stepOnePosteriorMeans(layout, a0, z1, pixels.subarray(a0, a1), s), s.stepOnePosterior.std, s.delta[0], bins0.subarray(a0, a1));
    lowest(m.bitLength());
    for (let a = a0; a < a1; a++) z0[a] = bins0[a] * s.delta[0];
    const { centre, std } = pixelBlock(layout, a0, a1, z0, z1, prediction, s);
    pushBoundedGaussians(m, 0, SAMPLE_MAX, pixels.subarray(a0, a1), centre, std, 1);
  }
  const p = reverseFrom(layout, z1, 1, s, prediction);
  pushGaussians(m, bins0, p.mu, p.std, s.delta[0]);
  return { bins: bins1, z: z1 };
}

/** The first two latents, decoding, from z_1: the exact reverse of `encodeFirstSteps`. */
async function decodeFirstSteps(m: Message, layout: ChunkLayout, bins1: Int32Array, z1: Float64Array, s: ChainSchedule, denoiser: Denoiser): Promise<Int32Array> {
  const prediction = await predict(layout, z1, 1, s, denoiser);
  const p = reverseFrom(layout, z1, 1, s, prediction);
  const bins0 = popGaussians(m, p.mu, p.std, s.delta[0]);
  const z0 = Float64Array.from(bins0, (b) => b * s.delta[0]);
  const pixels = new Int32Array(bins0.length);
  for (let a0 = Math.floor((bins0.length - 1) / FIRST_STEP_BLOCK) * FIRST_STEP_BLOCK; a0 >= 0; a0 -= FIRST_STEP_BLOCK) {
    const a1 = Math.min(a0 + FIRST_STEP_BLOCK, bins0.length);
    const { centre, std } = pixelBlock(layout, a0, a1, z0, z1, prediction, s);
    popBoundedGaussians(m, 0, SAMPLE_MAX, centre, std, 1, pixels.subarray(a0, a1));
    pushGaussians(m, bins0.subarray(a0, a1), stepOnePosteriorMeans(layout, a0, z1, pixels.subarray(a0, a1), s), s.stepOnePosterior.std, s.delta[0]);
  }
  pushGaussians(m, bins1, dataMeans(pixels, s.alpha[1]), s.sigma[1], s.delta[1]);
  return pixels;
}

function pixelBlock(layout: ChunkLayout, a0: number, a1: number, z0: Float64Array, z1: Float64Array, { epsHat, stdFactor }: NoisePrediction, s: ChainSchedule): { centre: Float64Array; std: Float64Array } {
  const centre = new Float64Array(a1 - a0);
  const std = new Float64Array(a1 - a0);
  pixelDistributions(s, layout.active, a0, a1, z0, z1, epsHat, stdFactor, centre, std);
  return { centre, std };
}

/**
 * Pushes the chunk's pixels (values of the active dims, in order) onto the message. Returns
 * the lowest point the message reached, in bits relative to its length at the start: the
 * information the chunk's pops needed before its pushes paid it back (negative or zero).
 */
export async function encodeChunk(m: Message, layout: ChunkLayout, pixels: Int32Array, s: ChainSchedule, denoiser: Denoiser, onStep?: StepCallback): Promise<number> {
  const start = m.bitLength();
  let lowest = 0;
  const reached = (bits: number) => (lowest = Math.min(lowest, bits - start));
  let bins: Int32Array;
  let z: Float64Array;
  let firstLoopStep = 1;
  if (s.pixelsSeeStepOne) {
    ({ bins, z } = await encodeFirstSteps(m, layout, pixels, s, denoiser, reached));
    onStep?.(1);
    firstLoopStep = 2;
  } else {
    bins = encodeFirstStep(m, pixels, s, reached);
    z = latents(layout, bins, s.delta[0]);
  }
  for (let i = firstLoopStep; i <= s.T; i++) {
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
  const lastLoopStep = s.pixelsSeeStepOne ? 2 : 1;
  for (let i = s.T; i >= lastLoopStep; i--) {
    const p = await reverseStep(layout, z, i, s, denoiser);
    const previous = popGaussians(m, p.mu, p.std, s.delta[i - 1]);
    const zPrevious = latents(layout, previous, s.delta[i - 1]);
    pushGaussians(m, bins, forwardMeans(layout, zPrevious, s.forwardGain[i]), s.forwardStd[i], s.delta[i]);
    bins = previous;
    z = zPrevious;
    onStep?.(s.T - i + 1);
  }
  if (!s.pixelsSeeStepOne) return decodeFirstStep(m, bins, s);
  const pixels = await decodeFirstSteps(m, layout, bins, z, s, denoiser);
  onStep?.(s.T);
  return pixels;
}
