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
import {
  PHI_INVERSE,
  PHI_INVERSE_BUCKET_WIDTH,
  PHI_ONE,
  PHI_STEPS_PER_UNIT,
  PHI_TABLE,
  PHI_TABLE_CENTRE,
  phiAtPosition,
} from './phi-table.ts';

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
const INVERSE_BUCKET_SCALE = 1 / PHI_INVERSE_BUCKET_WIDTH;

/**
 * The symbols of one Gaussian: a contiguous bin range and the constants of
 * its cumulative frequencies. One module-level instance is reused for every
 * symbol so the hot loops allocate nothing.
 */
class GaussianSymbols {
  /** Bin of symbol 0. */
  firstBin = 0;
  count = 1;
  /** firstBin + ½ − μ/δ: the upper boundary of symbol 0, in bins, relative to the mean. */
  firstBoundary = 0;
  /** Table steps per bin: PHI_STEPS_PER_UNIT · δ/σ. */
  gridScale = 1;
  /** Frequency mass shared out by Φ: the total minus the 1 every symbol gets. */
  spread = TOTAL - 1;
  /** Scale mixtures only (0 otherwise): the wide component's share, in 1/2^8. */
  wideShare256 = 0;
  /** Table steps per bin of the wide component: gridScale / its scale factor. */
  wideGridScale = 1;
  /** C(symbol) and C(symbol + 1) of the symbol `locate` found last. */
  foundStart = 0;
  foundEnd = TOTAL;

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
    this.firstBoundary = this.firstBin + 0.5 - mean;
    this.gridScale = PHI_STEPS_PER_UNIT / std;
    this.spread = TOTAL - this.count;
    this.wideShare256 = 0;
  }

  /** The alphabet lo … hi of the bounded code (validated by the caller). */
  spanRange(lo: number, count: number, meanInBins: number, stdInBins: number): void {
    const std = clampStd(stdInBins);
    const mean = clampMean(meanInBins);
    this.firstBin = lo;
    this.count = count;
    this.firstBoundary = lo + 0.5 - mean;
    this.gridScale = PHI_STEPS_PER_UNIT / std;
    this.spread = TOTAL - count;
    this.wideShare256 = 0;
  }

  /** `spanRange` for the scale mixture (1 − w)·N(μ, σ²) + w·N(μ, (sσ)²) (validated by the caller). */
  spanRangeMixture(lo: number, count: number, meanInBins: number, stdInBins: number, mixture: ScaleMixture): void {
    this.spanRange(lo, count, meanInBins, stdInBins);
    this.wideShare256 = mixture.wideShare * MIXTURE_SHARE_UNITS;
    this.wideGridScale = this.gridScale / mixture.wideScale;
  }

  /** C(symbol) for symbol ∈ [0, count]; strictly increasing in symbol. */
  cumulative(symbol: number): number {
    if (symbol <= 0) return 0;
    if (symbol >= this.count) return TOTAL;
    // phi·spread can exceed 2^53 and round, but IEEE rounding is deterministic
    // and monotone, which is all the code needs.
    return Math.floor(this.boundaryPhi(symbol) * this.spread * this.phiUnit()) + symbol;
  }

  /**
   * Φ of the (mixture) distribution at the lower boundary of `symbol` ∈ [1, count), as a share
   * of 1: what `cumulative` spreads over its frequencies, for codes that blend it with others.
   */
  share(symbol: number): number {
    return this.boundaryPhi(symbol) * this.phiUnit();
  }

  /**
   * Φ at the lower boundary of `symbol` in table units: the table value, or for a mixture the
   * blend of two table values in integer shares, exact (< 2^39). `phiUnit` turns it into a share of 1.
   */
  private boundaryPhi(symbol: number): number {
    const boundary = this.firstBoundary + (symbol - 1);
    const phi = phiAtPosition(boundary * this.gridScale + PHI_TABLE_CENTRE);
    if (this.wideShare256 === 0) return phi;
    const wide = phiAtPosition(boundary * this.wideGridScale + PHI_TABLE_CENTRE);
    return (MIXTURE_SHARE_UNITS - this.wideShare256) * phi + this.wideShare256 * wide;
  }

  private phiUnit(): number {
    return this.wideShare256 === 0 ? 1 / PHI_ONE : 1 / (PHI_ONE * MIXTURE_SHARE_UNITS);
  }

  /**
   * The symbol whose interval [C(s), C(s + 1)) holds `slot`; leaves C(s) and
   * C(s + 1) in foundStart/foundEnd. Starts from a guess through the inverse
   * Φ table (usually exact, so two evaluations of C) and gallops from there,
   * so a bad guess costs O(log distance), never a wrong answer.
   */
  locate(slot: number): number {
    const count = this.count;
    let guess: number;
    // Φ at the slot, ignoring the +symbol term by assuming the middle symbol.
    const target = (slot - count * 0.5) * (PHI_ONE / this.spread);
    if (target <= 0) guess = 0;
    else if (target >= PHI_ONE) guess = count - 1;
    else {
      const cell = PHI_INVERSE[Math.floor(target * INVERSE_BUCKET_SCALE)];
      const below = PHI_TABLE[cell];
      const above = PHI_TABLE[cell + 1];
      const position = above > below ? cell + (target - below) / (above - below) : cell;
      guess = Math.floor((position - PHI_TABLE_CENTRE) / this.gridScale - this.firstBoundary) + 1;
      if (guess < 0) guess = 0;
      else if (guess > count - 1) guess = count - 1;
    }

    // Bracket the answer: cumulative(low) ≤ slot < cumulative(high).
    let low: number;
    let high: number;
    let lowValue: number;
    let highValue: number;
    const guessValue = this.cumulative(guess);
    if (guessValue <= slot) {
      low = guess;
      lowValue = guessValue;
      high = guess + 1;
      highValue = this.cumulative(high);
      for (let step = 2; highValue <= slot; step *= 2) {
        low = high;
        lowValue = highValue;
        high = Math.min(low + step, count);
        highValue = this.cumulative(high);
      }
    } else {
      high = guess;
      highValue = guessValue;
      low = guess - 1;
      lowValue = this.cumulative(low);
      for (let step = 2; lowValue > slot; step *= 2) {
        high = low;
        highValue = lowValue;
        low = Math.max(high - step, 0);
        lowValue = this.cumulative(low);
      }
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const middleValue = this.cumulative(middle);
      if (middleValue <= slot) {
        low = middle;
        lowValue = middleValue;
      } else {
        high = middle;
        highValue = middleValue;
      }
    }
    this.foundStart = lowValue;
    this.foundEnd = highValue;
    return low;
  }

  /** Pushes an in-range symbol. */
  pushSymbol(m: Message, symbol: number): void {
    const start = this.cumulative(symbol);
    m.push(start, this.cumulative(symbol + 1) - start, GAUSSIAN_PRECISION_BITS);
  }

  /** Pops a symbol. */
  popSymbol(m: Message): number {
    const symbol = this.locate(m.peek(GAUSSIAN_PRECISION_BITS));
    m.pop(this.foundStart, this.foundEnd - this.foundStart, GAUSSIAN_PRECISION_BITS);
    return symbol;
  }

  /** Bits the symbol costs: −log2 of its frequency share. */
  symbolBits(symbol: number): number {
    return GAUSSIAN_PRECISION_BITS - Math.log2(this.cumulative(symbol + 1) - this.cumulative(symbol));
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
function checkParameters(count: number, mu: Float64Array, sigma: Float64Array | number, delta: number): void {
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
function checkScalarParameters(mu: number, sigma: number, delta: number): void {
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

function checkAlphabet(lo: number, hi: number): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < MIN_BIN || hi > MAX_BIN || hi < lo) {
    throw new RangeError(`bounded Gaussian: [${lo}, ${hi}] is not an int32 range`);
  }
  if (hi - lo + 1 > MAX_BOUNDED_ALPHABET) {
    throw new RangeError(`bounded Gaussian: ${hi - lo + 1} bins exceed ${MAX_BOUNDED_ALPHABET}`);
  }
}

/** Throws unless `bin` is an integer of the alphabet lo … hi (`what`: the codec, for the message). */
function checkBoundedBin(bin: number, lo: number, hi: number, what: string): void {
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

// ---- Bounded scale mixture of two Gaussians --------------------------------

/**
 * Two Gaussians with one mean: (1 − wideShare)·N(μ, σ²) + wideShare·N(μ, (wideScale·σ)²).
 * The wide component gives prediction residuals the heavy tails that one Gaussian lacks.
 * wideShare is a multiple of 1/256 in [0, 1), so that the blend of the two Φ table values is
 * an exact integer; wideScale ≥ 1.
 */
export type ScaleMixture = { wideShare: number; wideScale: number };
const MIXTURE_SHARE_UNITS = 256;

function checkMixture(mixture: ScaleMixture): void {
  const units = mixture.wideShare * MIXTURE_SHARE_UNITS;
  if (!(Number.isInteger(units) && units >= 0 && units < MIXTURE_SHARE_UNITS)) {
    throw new RangeError(`scale mixture: share ${mixture.wideShare} is not a multiple of 1/${MIXTURE_SHARE_UNITS} in [0, 1)`);
  }
  if (!(mixture.wideScale >= 1 && mixture.wideScale < Infinity)) throw new RangeError(`scale mixture: scale ${mixture.wideScale} is not finite and ≥ 1`);
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
      symbols.spanRangeMixture(lo, count, mu, sigma, mixture);
      symbols.pushSymbol(m, bin - lo);
    },
    pop: (m) => popMixtureChecked(m, lo, count, mu, sigma, mixture),
  };
}

/** `boundedGaussianMixture(lo, hi, mu, sigma, mixture).pop(m)` without making the codec: for a decoder's per-sample loop. */
export function popBoundedGaussianMixture(m: Message, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture): number {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  return popMixtureChecked(m, lo, hi - lo + 1, mu, sigma, mixture);
}

function popMixtureChecked(m: Message, lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture): number {
  symbols.spanRangeMixture(lo, count, mu, sigma, mixture);
  return lo + symbols.popSymbol(m);
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
  for (let i = 0; i < bins.length; i++) {
    checkBoundedBin(bins[i], lo, hi, 'bounded Gaussian mixture');
  }
  const count = hi - lo + 1;
  for (let i = bins.length - 1; i >= 0; i--) {
    symbols.spanRangeMixture(lo, count, mu[i], sigma[i], mixture);
    symbols.pushSymbol(m, bins[i] - lo);
  }
}

/** Bits that coding `bin` with `boundedGaussianMixture(lo, hi, mu, sigma, mixture)` costs. */
export function boundedGaussianMixtureBits(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture): number {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkBoundedBin(bin, lo, hi, 'bounded Gaussian mixture');
  symbols.spanRangeMixture(lo, hi - lo + 1, mu, sigma, mixture);
  return symbols.symbolBits(bin - lo);
}

// ---- The scale mixture blended with observed counts ------------------------

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

/**
 * The cumulative frequencies of the blend over lo … lo + count − 1, on `symbols` set up by
 * spanRangeMixture: C(s) = min(⌊(prior·Φ(s) + H(s))·(2^24 − count)/(prior + Σ counts)⌋,
 * 2^24 − count) + s, with H(s) the counts of the symbols below s. IEEE rounding is monotone,
 * so C is strictly increasing and every symbol keeps a frequency ≥ 1.
 */
class BlendedSymbols {
  private lo = 0;
  private count = 1;
  private window: CountWindow = { counts: new Float64Array(0), firstBin: 0, prior: 1 };
  private massScale = 0;
  /**
   * countsBelow[j]: the window's counts before bin j, summed from the first in order (so each
   * is the same float a running sum would reach), for j = 0 … counts.length.
   */
  private countsBelow = new Float64Array(1);
  foundStart = 0;
  foundEnd = TOTAL;

  set(lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): void {
    symbols.spanRangeMixture(lo, count, mu, sigma, mixture);
    // The counts are checked here, in the one pass that sums them (the hot path of the predictor).
    // (Indexed loops and plain assignments here and in locate: this runs per sample, and
    // iterators and destructured arrays would allocate.)
    const { counts } = window;
    if (this.countsBelow.length <= counts.length) this.countsBelow = new Float64Array(2 * counts.length + 1);
    const below = this.countsBelow;
    let total = 0;
    for (let j = 0; j < counts.length; j++) {
      const n = counts[j];
      if (!(n >= 0 && n < Infinity)) throw new RangeError(`count window: count ${n} is not finite and ≥ 0`);
      total += n;
      below[j + 1] = total;
    }
    this.lo = lo;
    this.count = count;
    this.window = window;
    this.massScale = (TOTAL - count) / (window.prior + total);
  }

  cumulative(symbol: number): number {
    if (symbol <= 0) return 0;
    if (symbol >= this.count) return TOTAL;
    const { counts, firstBin, prior } = this.window;
    const end = Math.max(0, Math.min(counts.length, this.lo + symbol - firstBin));
    return Math.min(Math.floor((prior * symbols.share(symbol) + this.countsBelow[end]) * this.massScale), TOTAL - this.count) + symbol;
  }

  /** The symbol whose interval holds `slot` (bisection), leaving its interval in foundStart/foundEnd. */
  locate(slot: number): number {
    let low = 0;
    let high = this.count;
    let lowValue = 0;
    let highValue = TOTAL;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const value = this.cumulative(middle);
      if (value <= slot) {
        low = middle;
        lowValue = value;
      } else {
        high = middle;
        highValue = value;
      }
    }
    this.foundStart = lowValue;
    this.foundEnd = highValue;
    return low;
  }
}

const blended = new BlendedSymbols();

/** The window's prior and first bin; its counts within the alphabet are checked as BlendedSymbols.set sums them. */
function checkCountWindow(window: CountWindow): void {
  if (!(window.prior > 0 && window.prior < Infinity)) throw new RangeError(`count window: prior ${window.prior} is not positive and finite`);
  if (!Number.isInteger(window.firstBin)) throw new RangeError(`count window: first bin ${window.firstBin} is not an integer`);
}

/**
 * The scale mixture over lo … hi blended with `window`'s counts, as a Codec. Counts of bins
 * outside lo … hi are ignored.
 */
export function blendedGaussianMixture(lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): Codec<number> {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkCountWindow(window);
  const count = hi - lo + 1;
  const inAlphabet = clipWindow(window, lo, hi);
  return {
    push(m, bin) {
      checkBoundedBin(bin, lo, hi, 'blended Gaussian mixture');
      blended.set(lo, count, mu, sigma, mixture, inAlphabet);
      const start = blended.cumulative(bin - lo);
      m.push(start, blended.cumulative(bin - lo + 1) - start, GAUSSIAN_PRECISION_BITS);
    },
    pop: (m) => popBlendedChecked(m, lo, count, mu, sigma, mixture, inAlphabet),
  };
}

/** `blendedGaussianMixture(lo, hi, mu, sigma, mixture, window).pop(m)` without making the codec: for a decoder's per-sample loop. */
export function popBlendedGaussianMixture(m: Message, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow): number {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkCountWindow(window);
  return popBlendedChecked(m, lo, hi - lo + 1, mu, sigma, mixture, clipWindow(window, lo, hi));
}

function popBlendedChecked(m: Message, lo: number, count: number, mu: number, sigma: number, mixture: ScaleMixture, inAlphabet: CountWindow): number {
  blended.set(lo, count, mu, sigma, mixture, inAlphabet);
  const symbol = blended.locate(m.peek(GAUSSIAN_PRECISION_BITS));
  m.pop(blended.foundStart, blended.foundEnd - blended.foundStart, GAUSSIAN_PRECISION_BITS);
  return lo + symbol;
}

/** `window` without the counts of bins outside lo … hi (the same object when it has none). */
function clipWindow(window: CountWindow, lo: number, hi: number): CountWindow {
  const first = Math.max(lo, window.firstBin);
  const last = Math.min(hi, window.firstBin + window.counts.length - 1);
  if (first === window.firstBin && last === window.firstBin + window.counts.length - 1) return window;
  const counts = last < first ? new Float64Array(0) : window.counts.subarray(first - window.firstBin, last - window.firstBin + 1);
  return { counts, firstBin: first, prior: window.prior };
}

/**
 * The interval [start, start + frequency) of `bin` under `blendedGaussianMixture(lo, hi, mu,
 * sigma, mixture, window)`, written to out[0] and out[1] (total 2^24): for coders that work out
 * every symbol's interval first and push them in reverse afterwards, while the window changes.
 */
export function blendedGaussianMixtureInterval(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, window: CountWindow, out: Float64Array): void {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkCountWindow(window);
  checkBoundedBin(bin, lo, hi, 'blended Gaussian mixture');
  blended.set(lo, hi - lo + 1, mu, sigma, mixture, clipWindow(window, lo, hi));
  out[0] = blended.cumulative(bin - lo);
  out[1] = blended.cumulative(bin - lo + 1) - out[0];
}

/** The interval of `bin` under `boundedGaussianMixture(lo, hi, mu, sigma, mixture)`, to out[0] (start) and out[1] (frequency). */
export function boundedGaussianMixtureInterval(bin: number, lo: number, hi: number, mu: number, sigma: number, mixture: ScaleMixture, out: Float64Array): void {
  checkAlphabet(lo, hi);
  checkScalarParameters(mu, sigma, 1);
  checkMixture(mixture);
  checkBoundedBin(bin, lo, hi, 'bounded Gaussian mixture');
  symbols.spanRangeMixture(lo, hi - lo + 1, mu, sigma, mixture);
  out[0] = symbols.cumulative(bin - lo);
  out[1] = symbols.cumulative(bin - lo + 1) - out[0];
}

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
