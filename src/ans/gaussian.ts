// Specified in docs/format.md §5.2–§5.10.
/**
 * Discretised Gaussian codecs on a grid of width δ: integer bin k stands for
 * the value k·δ and covers [(k − ½)δ, (k + ½)δ).
 *
 * Frequencies (total 2^24) come from the fixed-point Φ table (phi-table.ts)
 * through IEEE-754 basic operations and floor only, so an encoder and a
 * decoder on different machines compute the same integers from the same
 * float64 inputs μ, σ, δ.
 *
 * Symbols are the bins of a contiguous range [firstBin, firstBin + count).
 * With boundaries b_i = (firstBin + i − ½ − μ/δ)·δ/σ, the cumulative
 * frequency of symbol i is
 *     C(0) = 0,  C(i) = ⌊Φ(b_i)·(2^24 − count)⌋ + i,  C(count) = 2^24,
 * so every symbol gets at least 1 and the two outer symbols carry the tails.
 *
 * - Bounded (`boundedGaussian`): the symbols are exactly the alphabet
 *   lo … hi; the outer bins absorb the tails (e.g. p(x | z_0) over pixels).
 * - Unbounded (`discretisedGaussian`): a window of ±min(⌈8σ/δ⌉, 2^14) bins
 *   around round(μ/δ) plus one escape bin on each side. An escape symbol
 *   stands for its own bin and every bin beyond it, and is followed by the
 *   distance to that bin in a complete Elias-gamma-like code (a uniform
 *   choice of bit length, then uniform bits). The window is kept inside the
 *   int32 range, so ANY int32 bin codes under ANY (μ, σ > 0), and a pop from
 *   ANY message state yields a bin whose push restores the state.
 *
 * Vectorised push functions push the last element first, so the matching
 * pop returns elements in array order (the craystack convention).
 */
import type { Codec } from './codecs.ts';
import { MAX_UNIFORM_SIZE, popUniform, pushUniform, uniformBits } from './codecs.ts';
import type { Message } from './message.ts';
import { powerOfTwo } from './powers-of-two.ts';
import { PHI_INVERSE_BUCKET_WIDTH, PHI_ONE, PHI_STEPS_PER_UNIT, PHI_TABLE_CENTRE, PHI_TABLE_LAST, phiAtPosition, phiTables } from './phi-table.ts';
import { instantiateKernels, type Kernels } from '../kernels/index.ts';

/** log2 of the frequency total of every Gaussian symbol. */
export const GAUSSIAN_PRECISION_BITS = 24;
const TOTAL = powerOfTwo(GAUSSIAN_PRECISION_BITS);
/** The unbounded window reaches this many standard deviations each side of the mean… */
export const WINDOW_STANDARD_DEVIATIONS = 8;
/** …but at most this many bins, so the window's ≥ 1 frequencies take ≤ 0.2 % of the total. */
export const MAX_WINDOW_HALF_WIDTH = powerOfTwo(14);
/** Largest alphabet of a bounded Gaussian. */
export const MAX_BOUNDED_ALPHABET = powerOfTwo(16);
export const MIN_BIN = -powerOfTwo(31);
export const MAX_BIN = powerOfTwo(31) - 1;
/**
 * σ/δ and μ/δ are clamped to these ranges before coding. Both clamps only
 * change distributions that are already degenerate on the int32 grid (all mass
 * in one bin, or spread far beyond the window), and they keep every
 * intermediate finite (no ∞·0).
 */
const MIN_STD_IN_BINS = powerOfTwo(-20);
const MAX_STD_IN_BINS = powerOfTwo(40);
const MAX_ABS_MEAN_IN_BINS = powerOfTwo(40);

// ---- The kernel ----------------------------------------------------------------

// The cumulative frequencies of §5.6–§5.9 and the search for a symbol (§5.10) are worked out in
// WebAssembly (src/kernels/assembly/gaussian.ts), the one implementation for the chain's
// Gaussians (a mixture whose wide share is 0), the predictor's mixtures and their blends.

/**
 * Two Gaussians with one mean (§5.8, the predictor's sample distribution): (1 − wideShare)·N(μ, σ²)
 * + wideShare·N(μ, (wideScale·σ)²). The wide component gives prediction residuals the heavy
 * tails that one Gaussian lacks. wideShare is a multiple of 1/256 in [0, 1), so that the blend
 * of the two Φ table values is an exact integer; wideScale ≥ 1.
 */
export type ScaleMixture = { wideShare: number; wideScale: number };

/** wideShare's unit: a scale mixture's shares are multiples of 1/256 (§5.8). */
export const MIXTURE_SHARE_UNITS = 256;

/**
 * Lays out the Φ tables and room for the running sums of windows of up to `longestWindow`
 * counts in an instance's memory and gives them to the kernel; returns where the kernel writes
 * the interval [start, end) it finds (two float64).
 */
export function installGaussians(kernels: Kernels, memory: WebAssembly.Memory, longestWindow: number): number {
  const f64 = Float64Array.BYTES_PER_ELEMENT;
  const tables = phiTables();
  const found = kernels.alloc(2 * f64);
  const phi = kernels.alloc(tables.phi.byteLength);
  const inverse = kernels.alloc(tables.inverse.byteLength);
  const runningSums = kernels.alloc((longestWindow + 1) * f64);
  // (Copied through views made now: growing the memory later keeps its contents.)
  new Int32Array(memory.buffer, phi, tables.phi.length).set(tables.phi);
  new Int32Array(memory.buffer, inverse, tables.inverse.length).set(tables.inverse);
  kernels.initGaussians(phi, inverse, runningSums, found, PHI_ONE, PHI_TABLE_LAST, PHI_TABLE_CENTRE, PHI_STEPS_PER_UNIT, 1 / PHI_INVERSE_BUCKET_WIDTH, TOTAL, MIXTURE_SHARE_UNITS, MIN_STD_IN_BINS, MAX_STD_IN_BINS, MAX_ABS_MEAN_IN_BINS);
  return found;
}

/** The kernel's instance for this thread's Gaussian codecs, and where it leaves the interval [start, end) it finds. */
type CodingKernel = { kernels: Kernels; found: Float64Array };
let kernel: CodingKernel | undefined;

/** This thread's instance for the Gaussian codecs, made on first use (they blend no windows of counts). */
function codingKernel(): CodingKernel {
  if (kernel) return kernel;
  const { kernels, memory } = instantiateKernels();
  const found = installGaussians(kernels, memory, 0);
  return (kernel = { kernels, found: new Float64Array(memory.buffer, found, 2) });
}

/**
 * The symbols of one Gaussian: a contiguous bin range and the constants of
 * its cumulative frequencies. One module-level instance is reused for every
 * symbol so the hot loops allocate nothing.
 */
class GaussianSymbols {
  /** Bin of symbol 0. */
  firstBin = 0;
  count = 1;
  /** μ/δ and σ/δ, clamped. */
  mean = 0;
  std = 1;

  /** The window and escapes of the unbounded code. */
  centreOn(meanInBins: number, stdInBins: number): void {
    const std = clampStd(stdInBins);
    const mean = clampMean(meanInBins);
    const halfWidth = Math.min(Math.ceil(WINDOW_STANDARD_DEVIATIONS * std), MAX_WINDOW_HALF_WIDTH);
    // Keep both escape bins inside the int32 range so each has ≥ 1 bin to code.
    let centre = Math.floor(mean + 0.5);
    if (centre < MIN_BIN + halfWidth + 1) centre = MIN_BIN + halfWidth + 1;
    else if (centre > MAX_BIN - halfWidth - 1) centre = MAX_BIN - halfWidth - 1;
    this.firstBin = centre - halfWidth - 1;
    this.count = 2 * halfWidth + 3;
    this.mean = mean;
    this.std = std;
  }

  /** The alphabet lo … hi of the bounded code (validated by the caller). */
  spanRange(lo: number, count: number, meanInBins: number, stdInBins: number): void {
    this.firstBin = lo;
    this.count = count;
    this.mean = clampMean(meanInBins);
    this.std = clampStd(stdInBins);
  }

  /** The interval [C(symbol), C(symbol + 1)) of an in-range symbol, in the kernel's `found`. */
  private interval(symbol: number): Float64Array {
    const { kernels, found } = codingKernel();
    kernels.mixtureInterval(this.firstBin, this.count, this.mean, this.std, 0, 1, symbol);
    return found;
  }

  /** Pushes an in-range symbol. */
  pushSymbol(m: Message, symbol: number): void {
    const found = this.interval(symbol);
    m.push(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
  }

  /** Pops a symbol. */
  popSymbol(m: Message): number {
    const { kernels, found } = codingKernel();
    const symbol = kernels.mixtureLocate(this.firstBin, this.count, this.mean, this.std, 0, 1, m.peek(GAUSSIAN_PRECISION_BITS));
    m.pop(found[0], found[1] - found[0], GAUSSIAN_PRECISION_BITS);
    return symbol;
  }

  /** Bits the symbol costs: −log2 of its frequency share. */
  symbolBits(symbol: number): number {
    const found = this.interval(symbol);
    return GAUSSIAN_PRECISION_BITS - Math.log2(found[1] - found[0]);
  }

  /** Pushes any int32 bin under the unbounded code set up by `centreOn`. */
  pushUnbounded(m: Message, bin: number): void {
    const lastSymbol = this.count - 1;
    const symbol = bin - this.firstBin;
    if (symbol <= 0) {
      pushOffset(m, -symbol, this.firstBin - MIN_BIN + 1);
      this.pushSymbol(m, 0);
    } else if (symbol >= lastSymbol) {
      pushOffset(m, symbol - lastSymbol, MAX_BIN - (this.firstBin + lastSymbol) + 1);
      this.pushSymbol(m, lastSymbol);
    } else {
      this.pushSymbol(m, symbol);
    }
  }

  /** Pops a bin under the unbounded code set up by `centreOn`. */
  popUnbounded(m: Message): number {
    const lastSymbol = this.count - 1;
    const symbol = this.popSymbol(m);
    if (symbol === 0) return this.firstBin - popOffset(m, this.firstBin - MIN_BIN + 1);
    const lastBin = this.firstBin + lastSymbol;
    if (symbol === lastSymbol) return lastBin + popOffset(m, MAX_BIN - lastBin + 1);
    return this.firstBin + symbol;
  }

  /** Bits `pushUnbounded` spends on the bin. */
  unboundedBits(bin: number): number {
    const lastSymbol = this.count - 1;
    const symbol = bin - this.firstBin;
    if (symbol <= 0) return this.symbolBits(0) + offsetBits(-symbol, this.firstBin - MIN_BIN + 1);
    if (symbol >= lastSymbol) {
      return this.symbolBits(lastSymbol) + offsetBits(symbol - lastSymbol, MAX_BIN - (this.firstBin + lastSymbol) + 1);
    }
    return this.symbolBits(symbol);
  }
}

const symbols = new GaussianSymbols();

/** σ/δ of a validated σ > 0 (which may still underflow to 0 or overflow to ∞). */
function clampStd(stdInBins: number): number {
  if (stdInBins < MIN_STD_IN_BINS) return MIN_STD_IN_BINS;
  return stdInBins > MAX_STD_IN_BINS ? MAX_STD_IN_BINS : stdInBins;
}

/** μ/δ of a validated, non-NaN μ (±∞ allowed). */
function clampMean(meanInBins: number): number {
  if (meanInBins < -MAX_ABS_MEAN_IN_BINS) return -MAX_ABS_MEAN_IN_BINS;
  return meanInBins > MAX_ABS_MEAN_IN_BINS ? MAX_ABS_MEAN_IN_BINS : meanInBins;
}

/**
 * Validates every parameter before a call touches the message, so a bad
 * element throws without leaving a half-coded message behind.
 */
export function checkParameters(count: number, mu: Float64Array, sigma: Float64Array | number, delta: number): void {
  if (!(delta > 0 && delta < Infinity)) throw new RangeError(`Gaussian: grid width δ = ${delta} is not positive and finite`);
  if (mu.length !== count) throw new RangeError(`Gaussian: ${mu.length} means for ${count} symbols`);
  for (let i = 0; i < count; i++) {
    if (mu[i] !== mu[i]) throw new RangeError(`Gaussian: mean ${i} is NaN`);
  }
  if (typeof sigma === 'number') {
    if (!(sigma > 0)) throw new RangeError(`Gaussian: σ = ${sigma} is not positive`);
    return;
  }
  if (sigma.length !== count) throw new RangeError(`Gaussian: ${sigma.length} standard deviations for ${count} symbols`);
  for (let i = 0; i < count; i++) {
    if (!(sigma[i] > 0)) throw new RangeError(`Gaussian: σ[${i}] = ${sigma[i]} is not positive`);
  }
}

/** checkParameters for one symbol, with no array to allocate (it runs once per sample). */
export function checkScalarParameters(mu: number, sigma: number, delta: number): void {
  if (!(delta > 0 && delta < Infinity)) throw new RangeError(`Gaussian: grid width δ = ${delta} is not positive and finite`);
  if (mu !== mu) throw new RangeError('Gaussian: mean 0 is NaN');
  if (!(sigma > 0)) throw new RangeError(`Gaussian: σ = ${sigma} is not positive`);
}

function checkInt32Bin(bin: number): void {
  if (!Number.isInteger(bin) || bin < MIN_BIN || bin > MAX_BIN) throw new RangeError(`Gaussian: bin ${bin} is not an int32`);
}

// ---- Escape offsets -------------------------------------------------------

const HALF_WORD = powerOfTwo(16);

/**
 * Complete prefix code for offset ∈ [0, size), 1 ≤ size < 2^32: the bit length
 * of offset + 1, uniform among the lengths that occur (≤ 32, so ≤ 5 bits),
 * then offset + 1 within its length class, uniform. Every (length, position)
 * pair decodes to an offset below size, so pops never leave the alphabet.
 */
function pushOffset(m: Message, offset: number, size: number): void {
  const value = offset + 1;
  const lengthClass = 31 - Math.clz32(value);
  const classStart = powerOfTwo(lengthClass);
  pushWideUniform(m, value - classStart, Math.min(classStart, size + 1 - classStart));
  pushUniform(m, lengthClass, 32 - Math.clz32(size));
}

function popOffset(m: Message, size: number): number {
  const lengthClass = popUniform(m, 32 - Math.clz32(size));
  const classStart = powerOfTwo(lengthClass);
  return classStart + popWideUniform(m, Math.min(classStart, size + 1 - classStart)) - 1;
}

function offsetBits(offset: number, size: number): number {
  const value = offset + 1;
  const lengthClass = 31 - Math.clz32(value);
  const classStart = powerOfTwo(lengthClass);
  return (
    uniformBits(lengthClass, 32 - Math.clz32(size)) +
    wideUniformBits(value - classStart, Math.min(classStart, size + 1 - classStart))
  );
}

/**
 * Code for r ∈ [0, n), n ≤ 2^31: one uniform push when n ≤ 2^24, otherwise
 * the high part (r / 2^16) then the low 16 bits, the last high value having a
 * shorter low range. Exactly uniform when n is a power of two.
 */
function pushWideUniform(m: Message, r: number, n: number): void {
  if (n <= MAX_UNIFORM_SIZE) {
    pushUniform(m, r, n);
    return;
  }
  const high = Math.floor(r / HALF_WORD);
  const highCount = Math.floor((n - 1) / HALF_WORD) + 1;
  pushUniform(m, r - high * HALF_WORD, lowCountOf(high, highCount, n));
  pushUniform(m, high, highCount);
}

function popWideUniform(m: Message, n: number): number {
  if (n <= MAX_UNIFORM_SIZE) return popUniform(m, n);
  const highCount = Math.floor((n - 1) / HALF_WORD) + 1;
  const high = popUniform(m, highCount);
  return high * HALF_WORD + popUniform(m, lowCountOf(high, highCount, n));
}

function wideUniformBits(r: number, n: number): number {
  if (n <= MAX_UNIFORM_SIZE) return uniformBits(r, n);
  const high = Math.floor(r / HALF_WORD);
  const highCount = Math.floor((n - 1) / HALF_WORD) + 1;
  return uniformBits(high, highCount) + uniformBits(r - high * HALF_WORD, lowCountOf(high, highCount, n));
}

function lowCountOf(high: number, highCount: number, n: number): number {
  return high < highCount - 1 ? HALF_WORD : n - (highCount - 1) * HALF_WORD;
}

// ---- Unbounded discretised Gaussian ---------------------------------------

/**
 * Pushes int32 bins[i] under N(mu[i], sigma²) on the grid δ (sigma is one
 * value for all or one per element), last element first. Throws a RangeError
 * on σ ≤ 0, NaN or mismatched lengths, before pushing anything invalid.
 */
export function pushGaussians(
  m: Message,
  bins: Int32Array,
  mu: Float64Array,
  sigma: Float64Array | number,
  delta: number,
): void {
  checkParameters(bins.length, mu, sigma, delta);
  if (typeof sigma === 'number') {
    const stdInBins = sigma / delta;
    for (let i = bins.length - 1; i >= 0; i--) {
      symbols.centreOn(mu[i] / delta, stdInBins);
      symbols.pushUnbounded(m, bins[i]);
    }
  } else {
    for (let i = bins.length - 1; i >= 0; i--) {
      symbols.centreOn(mu[i] / delta, sigma[i] / delta);
      symbols.pushUnbounded(m, bins[i]);
    }
  }
}

/** Pops mu.length bins pushed by `pushGaussians` with the same μ, σ, δ, in array order; writes them into `out` if given. */
export function popGaussians(
  m: Message,
  mu: Float64Array,
  sigma: Float64Array | number,
  delta: number,
  out: Int32Array = new Int32Array(mu.length),
): Int32Array {
  checkParameters(out.length, mu, sigma, delta);
  if (typeof sigma === 'number') {
    const stdInBins = sigma / delta;
    for (let i = 0; i < out.length; i++) {
      symbols.centreOn(mu[i] / delta, stdInBins);
      out[i] = symbols.popUnbounded(m);
    }
  } else {
    for (let i = 0; i < out.length; i++) {
      symbols.centreOn(mu[i] / delta, sigma[i] / delta);
      out[i] = symbols.popUnbounded(m);
    }
  }
  return out;
}

/** One discretised Gaussian as a Codec over int32 bins. */
export function discretisedGaussian(mu: number, sigma: number, delta: number): Codec<number> {
  checkScalarParameters(mu, sigma, delta);
  return {
    push(m, bin) {
      checkInt32Bin(bin);
      symbols.centreOn(mu / delta, sigma / delta);
      symbols.pushUnbounded(m, bin);
    },
    pop(m) {
      symbols.centreOn(mu / delta, sigma / delta);
      return symbols.popUnbounded(m);
    },
  };
}

/** Bits (−log2 of the coded probability, from the codec's own integer frequencies) that coding `bin` costs. */
export function discretisedGaussianBits(bin: number, mu: number, sigma: number, delta: number): number {
  checkScalarParameters(mu, sigma, delta);
  checkInt32Bin(bin);
  symbols.centreOn(mu / delta, sigma / delta);
  return symbols.unboundedBits(bin);
}

// ---- Bounded discretised Gaussian -----------------------------------------

export function checkAlphabet(lo: number, hi: number): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < MIN_BIN || hi > MAX_BIN || hi < lo) {
    throw new RangeError(`bounded Gaussian: [${lo}, ${hi}] is not an int32 range`);
  }
  if (hi - lo + 1 > MAX_BOUNDED_ALPHABET) {
    throw new RangeError(`bounded Gaussian: ${hi - lo + 1} bins exceed ${MAX_BOUNDED_ALPHABET}`);
  }
}

/** Throws unless `bin` is an integer of the alphabet lo … hi (`what`: the codec, for the message). */
export function checkBoundedBin(bin: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(bin) || bin < lo || bin > hi) throw new RangeError(`${what}: bin ${bin} is outside [${lo}, ${hi}]`);
}

/**
 * Pushes bins[i] ∈ [lo, hi] under N(mu[i], sigma²) on the grid δ, the bins lo
 * and hi absorbing the tails; last element first. Bins outside [lo, hi] throw
 * a RangeError (checked before anything is pushed).
 */
export function pushBoundedGaussians(
  m: Message,
  lo: number,
  hi: number,
  bins: Int32Array,
  mu: Float64Array,
  sigma: Float64Array | number,
  delta: number,
): void {
  checkAlphabet(lo, hi);
  checkParameters(bins.length, mu, sigma, delta);
  for (let i = 0; i < bins.length; i++) {
    checkBoundedBin(bins[i], lo, hi, 'bounded Gaussian');
  }
  const count = hi - lo + 1;
  if (typeof sigma === 'number') {
    const stdInBins = sigma / delta;
    for (let i = bins.length - 1; i >= 0; i--) {
      symbols.spanRange(lo, count, mu[i] / delta, stdInBins);
      symbols.pushSymbol(m, bins[i] - lo);
    }
  } else {
    for (let i = bins.length - 1; i >= 0; i--) {
      symbols.spanRange(lo, count, mu[i] / delta, sigma[i] / delta);
      symbols.pushSymbol(m, bins[i] - lo);
    }
  }
}

/** Pops mu.length bins pushed by `pushBoundedGaussians` with the same arguments, in array order. */
export function popBoundedGaussians(
  m: Message,
  lo: number,
  hi: number,
  mu: Float64Array,
  sigma: Float64Array | number,
  delta: number,
  out: Int32Array = new Int32Array(mu.length),
): Int32Array {
  checkAlphabet(lo, hi);
  checkParameters(out.length, mu, sigma, delta);
  const count = hi - lo + 1;
  if (typeof sigma === 'number') {
    const stdInBins = sigma / delta;
    for (let i = 0; i < out.length; i++) {
      symbols.spanRange(lo, count, mu[i] / delta, stdInBins);
      out[i] = lo + symbols.popSymbol(m);
    }
  } else {
    for (let i = 0; i < out.length; i++) {
      symbols.spanRange(lo, count, mu[i] / delta, sigma[i] / delta);
      out[i] = lo + symbols.popSymbol(m);
    }
  }
  return out;
}

/** One bounded discretised Gaussian over the bins lo … hi as a Codec. */
export function boundedGaussian(lo: number, hi: number, mu: number, sigma: number, delta: number): Codec<number> {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, delta);
  const count = hi - lo + 1;
  return {
    push(m, bin) {
      checkBoundedBin(bin, lo, hi, 'bounded Gaussian');
      symbols.spanRange(lo, count, mu / delta, sigma / delta);
      symbols.pushSymbol(m, bin - lo);
    },
    pop(m) {
      symbols.spanRange(lo, count, mu / delta, sigma / delta);
      return lo + symbols.popSymbol(m);
    },
  };
}

/** Bits that coding `bin` with `boundedGaussian(lo, hi, mu, sigma, delta)` costs. */
export function boundedGaussianBits(
  bin: number,
  lo: number,
  hi: number,
  mu: number,
  sigma: number,
  delta: number,
): number {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, delta);
  checkBoundedBin(bin, lo, hi, 'bounded Gaussian');
  symbols.spanRange(lo, hi - lo + 1, mu / delta, sigma / delta);
  return symbols.symbolBits(bin - lo);
}

// ---- Truncated Gaussian ----------------------------------------------------

/**
 * A Gaussian N(μ, σ²) on the integer bins lo … hi, truncated there and renormalised (docs/
 * format.md §5.11): the law of a value known to lie in the range, where the bounded code would
 * give the outer bins the tails. With Φ_lo and Φ_hi the table's Φ at the range's outer
 * boundaries (lo − ½ and hi + ½) and span = Φ_hi − Φ_lo,
 *     C(s) = ⌊(Φ(boundary s) − Φ_lo) · spread / span⌋ + s,   1 ≤ s ≤ count − 1,
 * or ⌊s · spread / count⌋ + s where the table sees no mass in the range (span = 0).
 */
class TruncatedSymbols {
  private lo = 0;
  private count = 1;
  private firstBoundary = 0;
  private gridScale = 1;
  private below = 0;
  private span = 0;
  private spread = TOTAL - 1;

  set(lo: number, hi: number, mean: number, std: number): void {
    const s = clampStd(std);
    const m = clampMean(mean);
    this.lo = lo;
    this.count = hi - lo + 1;
    this.firstBoundary = lo + 0.5 - m;
    this.gridScale = PHI_STEPS_PER_UNIT / s;
    this.below = phiAtPosition((lo - 0.5 - m) * this.gridScale + PHI_TABLE_CENTRE);
    this.span = phiAtPosition((hi + 0.5 - m) * this.gridScale + PHI_TABLE_CENTRE) - this.below;
    this.spread = TOTAL - this.count;
  }

  cumulative(symbol: number): number {
    if (symbol <= 0) return 0;
    if (symbol >= this.count) return TOTAL;
    if (this.span === 0) return Math.floor((symbol * this.spread) / this.count) + symbol;
    const phi = phiAtPosition((this.firstBoundary + (symbol - 1)) * this.gridScale + PHI_TABLE_CENTRE);
    return Math.floor(((phi - this.below) * this.spread) / this.span) + symbol;
  }

  push(m: Message, bin: number): void {
    const symbol = bin - this.lo;
    const start = this.cumulative(symbol);
    m.push(start, this.cumulative(symbol + 1) - start, GAUSSIAN_PRECISION_BITS);
  }

  pop(m: Message): number {
    const slot = m.peek(GAUSSIAN_PRECISION_BITS);
    // Bisect for the largest symbol whose C is ≤ slot.
    let low = 0;
    let high = this.count;
    while (high - low > 1) {
      const middle = (low + high) >>> 1;
      if (this.cumulative(middle) <= slot) low = middle;
      else high = middle;
    }
    const start = this.cumulative(low);
    m.pop(start, this.cumulative(low + 1) - start, GAUSSIAN_PRECISION_BITS);
    return this.lo + low;
  }
}

const truncated = new TruncatedSymbols();

/** Pushes `bin` ∈ [lo, hi] under N(mean, std²) truncated to lo … hi (§5.11; parameters in bins). */
export function pushTruncatedGaussian(m: Message, bin: number, lo: number, hi: number, mean: number, std: number): void {
  setTruncated(lo, hi, mean, std);
  checkBoundedBin(bin, lo, hi, 'truncated Gaussian');
  truncated.push(m, bin);
}

/** Pops a bin pushed by pushTruncatedGaussian with the same parameters. */
export function popTruncatedGaussian(m: Message, lo: number, hi: number, mean: number, std: number): number {
  setTruncated(lo, hi, mean, std);
  return truncated.pop(m);
}

function setTruncated(lo: number, hi: number, mean: number, std: number): void {
  checkAlphabet(lo, hi);
  if (hi - lo + 1 > MAX_BOUNDED_ALPHABET) throw new RangeError(`truncated Gaussian: more than ${MAX_BOUNDED_ALPHABET} bins`);
  checkScalarParameters(mean, std, 1);
  truncated.set(lo, hi, mean, std);
}
