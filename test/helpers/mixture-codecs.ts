// The predictor's sample distributions (docs/format.md §5.8–§5.10) as codecs of their own, for
// the tests of the kernel that works out their frequencies (src/kernels/assembly/gaussian.ts):
// the bounded scale mixture of two Gaussians, and that mixture blended with a window of
// observed counts. The predictor's walk codes its samples through the same kernel functions
// (src/kernels/assembly/histograms.ts); these check the parameters, hand the kernel the window
// and talk to the message.
import type { Codec } from '../../src/ans/codecs.ts';
import {
  checkAlphabet,
  checkBoundedBin,
  checkParameters,
  checkScalarParameters,
  GAUSSIAN_PRECISION_BITS,
  installGaussians,
  MAX_BOUNDED_ALPHABET,
  MIXTURE_SHARE_UNITS,
  type ScaleMixture,
} from '../../src/ans/gaussian.ts';
import type { Message } from '../../src/ans/message.ts';
import { instantiateKernels, type Kernels } from '../../src/kernels/index.ts';


/**
 * Counts of the bins firstBin … firstBin + counts.length − 1 that a coder has seen (finite,
 * ≥ 0; bins outside the alphabet must stay at 0), blended with a distribution p as
 *
 *   P(b) = (prior·p(b) + counts(b)) / (prior + Σ counts),   prior > 0:
 *
 * an adaptive histogram that starts as p and moves towards what the coder sees, for shapes the
 * parametric p cannot take (JPEG-XL's and CALIC's coders are histograms per context).
 */
export type CountWindow = { counts: Float64Array; firstBin: number; prior: number };

/** The kernel's instance and its views: a window of counts it reads and the interval [start, end) it finds. */
type CodingKernel = { kernels: Kernels; windowAt: number; window: Float64Array; found: Float64Array };
let kernel: CodingKernel | undefined;

/** The instance, made on first use, with room for a window of MAX_BOUNDED_ALPHABET counts. */
function codingKernel(): CodingKernel {
  if (kernel) return kernel;
  const { kernels, memory } = instantiateKernels();
  const found = installGaussians(kernels, memory, MAX_BOUNDED_ALPHABET);
  const windowAt = kernels.alloc(MAX_BOUNDED_ALPHABET * Float64Array.BYTES_PER_ELEMENT);
  return (kernel = { kernels, windowAt, window: new Float64Array(memory.buffer, windowAt, MAX_BOUNDED_ALPHABET), found: new Float64Array(memory.buffer, found, 2) });
}

function checkMixture(mixture: ScaleMixture): void {
  const units = mixture.wideShare * MIXTURE_SHARE_UNITS;
  if (!(Number.isInteger(units) && units >= 0 && units < MIXTURE_SHARE_UNITS)) {
    throw new RangeError(`scale mixture: share ${mixture.wideShare} is not a multiple of 1/${MIXTURE_SHARE_UNITS} in [0, 1)`);
  }
  if (!(mixture.wideScale >= 1 && mixture.wideScale < Infinity)) throw new RangeError(`scale mixture: scale ${mixture.wideScale} is not finite and ≥ 1`);
}

/** The window's prior and first bin; its counts within the alphabet are checked as the kernel sums them. */
function checkCountWindow(window: CountWindow): void {
  if (!(window.prior > 0 && window.prior < Infinity)) throw new RangeError(`count window: prior ${window.prior} is not positive and finite`);
  if (!Number.isInteger(window.firstBin)) throw new RangeError(`count window: first bin ${window.firstBin} is not an integer`);
}

// ---- Bounded scale mixture of two Gaussians --------------------------------

/** Writes symbol s's interval [start, end) to the kernel's `found` (parameters checked). */
function mixtureInterval(lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture, symbol: number): Float64Array {
  const { kernels, found } = codingKernel();
  kernels.mixtureInterval(lo, count, mu, sigma, mixture.wideShare * MIXTURE_SHARE_UNITS, mixture.wideScale, symbol);
  return found;
}

function pushMixtureChecked(m: Message, lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture, bin: number): void {
  const found = mixtureInterval(lo, count, mu, sigma, mixture, bin - lo);
  m.push(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
}

function popMixtureChecked(m: Message, lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture): number {
  const { kernels, found } = codingKernel();
  const symbol = kernels.mixtureLocate(lo, count, mu, sigma, mixture.wideShare * MIXTURE_SHARE_UNITS, mixture.wideScale, m.peek(GAUSSIAN_PRECISION_BITS));
  m.pop(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
  return lo + symbol;
}

/**
 * The scale mixture over the integer bins lo … hi as a Codec (grid width 1), the bins lo and
 * hi absorbing the tails. With wideShare 0 it codes exactly as `boundedGaussian(lo, hi, μ, σ, 1)`.
 */
export function boundedGaussianMixture(lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture): Codec<number> {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  const count = hi - lo + 1;
  return {
    push(m, bin) {
      checkBoundedBin(bin, lo, hi, 'bounded Gaussian mixture');
      pushMixtureChecked(m, lo, count, mu, sigma, mixture, bin);
    },
    pop: (m) => popMixtureChecked(m, lo, count, mu, sigma, mixture),
  };
}

/**
 * Pushes bins[i] ∈ [lo, hi] under the scale mixture with means mu[i] and narrow spreads
 * sigma[i], last element first (checked before anything is pushed), so that
 * `boundedGaussianMixture(…).pop` returns them in array order.
 */
export function pushBoundedGaussianMixtures(m: Message, lo: number, hi: number, bins: Int32Array, mu: Float64Array, sigma: Float64Array, mixture: ScaleMixture): void {
  checkAlphabet(lo, hi);
  checkParameters(bins.length, mu, sigma, 1);
  checkMixture(mixture);
  for (let i = 0; i < bins.length; i++) checkBoundedBin(bins[i], lo, hi, 'bounded Gaussian mixture');
  const count = hi - lo + 1;
  for (let i = bins.length - 1; i >= 0; i--) pushMixtureChecked(m, lo, count, mu[i], sigma[i], mixture, bins[i]);
}

/** Bits that coding `bin` with `boundedGaussianMixture(lo, hi, mu, sigma, mixture)` costs. */
export function boundedGaussianMixtureBits(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture): number {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkBoundedBin(bin, lo, hi, 'bounded Gaussian mixture');
  const found = mixtureInterval(lo, hi - lo + 1, mu, sigma, mixture, bin - lo);
  return GAUSSIAN_PRECISION_BITS - Math.log2(found[1] - found[0]);
}

/** The interval of `bin` under `boundedGaussianMixture(lo, hi, mu, sigma, mixture)`, to out[0] (start) and out[1] (frequency). */
export function boundedGaussianMixtureInterval(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, out: Float64Array): void {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkBoundedBin(bin, lo, hi, 'bounded Gaussian mixture');
  const found = mixtureInterval(lo, hi - lo + 1, mu, sigma, mixture, bin - lo);
  out[0] = found[0];
  out[1] = found[1] - found[0];
}

// ---- The scale mixture blended with observed counts ------------------------

/**
 * Copies the window's counts within lo … hi (§5.9's clipping) into the kernel's window; returns
 * the clipped window's length and first bin.
 */
function loadWindow(target: Float64Array, window: CountWindow, lo: number, hi: number): { length: number; firstBin: number } {
  const first = Math.max(lo, window.firstBin);
  const last = Math.min(hi, window.firstBin + window.counts.length - 1);
  if (last < first) return { length: 0, firstBin: first };
  const { counts } = window;
  // (An indexed copy: `set` of a subarray would allocate the subarray, per sample.)
  for (let j = 0, from = first - window.firstBin, length = last - first + 1; j < length; j++) target[j] = counts[from + j];
  return { length: last - first + 1, firstBin: first };
}

function badCount(window: CountWindow, lo: number, index: number): never {
  const n = window.counts[Math.max(lo, window.firstBin) - window.firstBin + index];
  throw new RangeError(`count window: count ${n} is not finite and ≥ 0`);
}

/** Writes bin's interval [start, end) under the blend to the kernel's `found` (parameters checked). */
function blendedInterval(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): Float64Array {
  const { kernels, windowAt, window: target, found } = codingKernel();
  const { length, firstBin } = loadWindow(target, window, lo, hi);
  const bad = kernels.blendedInterval(lo, hi - lo + 1, mu, sigma, mixture.wideShare * MIXTURE_SHARE_UNITS, mixture.wideScale, windowAt, length, firstBin, window.prior, bin - lo);
  if (bad >= 0) badCount(window, lo, bad);
  return found;
}

function popBlendedChecked(m: Message, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): number {
  const { kernels, windowAt, window: target, found } = codingKernel();
  const { length, firstBin } = loadWindow(target, window, lo, hi);
  const symbol = kernels.blendedLocate(lo, hi - lo + 1, mu, sigma, mixture.wideShare * MIXTURE_SHARE_UNITS, mixture.wideScale, windowAt, length, firstBin, window.prior, m.peek(GAUSSIAN_PRECISION_BITS));
  if (symbol < 0) badCount(window, lo, -2 - symbol);
  m.pop(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
  return lo + symbol;
}

function checkBlended(lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): void {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkCountWindow(window);
}

/**
 * The scale mixture over lo … hi blended with `window`'s counts, as a Codec. Counts of bins
 * outside lo … hi are ignored.
 */
export function blendedGaussianMixture(lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): Codec<number> {
  checkBlended(lo, hi, mu, sigma, mixture, window);
  return {
    push(m, bin) {
      checkBoundedBin(bin, lo, hi, 'blended Gaussian mixture');
      const found = blendedInterval(bin, lo, hi, mu, sigma, mixture, window);
      m.push(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
    },
    pop: (m) => popBlendedChecked(m, lo, hi, mu, sigma, mixture, window),
  };
}

/**
 * The interval [start, start + frequency) of `bin` under `blendedGaussianMixture(lo, hi, mu,
 * sigma, mixture, window)`, written to out[0] and out[1] (total 2^24): for coders that work out
 * every symbol's interval first and push them in reverse afterwards, while the window changes.
 */
export function blendedGaussianMixtureInterval(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow, out: Float64Array): void {
  checkBlended(lo, hi, mu, sigma, mixture, window);
  checkBoundedBin(bin, lo, hi, 'blended Gaussian mixture');
  const found = blendedInterval(bin, lo, hi, mu, sigma, mixture, window);
  out[0] = found[0];
  out[1] = found[1] - found[0];
}
