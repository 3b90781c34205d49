// Specified in docs/format.md §5.5, §5.6, §5.8–§5.10.
// The Gaussian codes' frequencies: one Gaussian (§5.6, §5.7; the chain's), the bounded scale
// mixture of two (§5.8; the predictor's) and that mixture blended with a window of counts
// (§5.9), a symbol's interval and the search for the symbol holding a slot (§5.10).
// src/ans/gaussian.ts gives them the Φ tables and the constants, and reads the interval back.

/** Where the tables and buffers lie, and the format's constants, from `initGaussians`. */
let phi: usize = 0;
let inverse: usize = 0;
let countsBelow: usize = 0;
/** Where the interval [start, end) a function finds goes (two float64). */
export let found: usize = 0;
let phiOne: f64 = 0;
let phiLast: f64 = 0;
let phiCentre: f64 = 0;
let stepsPerUnit: f64 = 0;
let inverseBucketScale: f64 = 0;
export let total: f64 = 0;
let shareUnits: f64 = 0;
let minStd: f64 = 0;
let maxStd: f64 = 0;
let maxAbsMean: f64 = 0;

/**
 * Sets the tables (`phiTable`: Φ·2^30 as int32 at table positions 0 … last; `inverseTable`:
 * int32 cells per bucket of Φ), room for a window's running sums (float64, one more than the
 * longest window), and where the found interval [start, end) goes (two float64).
 */
export function initGaussians(
  phiTable: usize,
  inverseTable: usize,
  runningSums: usize,
  foundInterval: usize,
  one: f64,
  last: f64,
  centre: f64,
  steps: f64,
  bucketScale: f64,
  frequencyTotal: f64,
  units: f64,
  stdLow: f64,
  stdHigh: f64,
  meanBound: f64,
): void {
  phi = phiTable;
  inverse = inverseTable;
  countsBelow = runningSums;
  found = foundInterval;
  phiOne = one;
  phiLast = last;
  phiCentre = centre;
  stepsPerUnit = steps;
  inverseBucketScale = bucketScale;
  total = frequencyTotal;
  shareUnits = units;
  minStd = stdLow;
  maxStd = stdHigh;
  maxAbsMean = meanBound;
}

// The symbols being coded (§5.6, §5.8): set by `setSymbols`.
let firstBoundary: f64 = 0;
let gridScale: f64 = 1;
let wideGridScale: f64 = 1;
let spread: f64 = 0;
let count: i32 = 1;
let wideShare: f64 = 0;
let unit: f64 = 0;
// The blend (§5.9): set by `blend`.
let lo: i32 = 0;
let window: usize = 0;
let windowLength: i32 = 0;
let windowFirst: i32 = 0;
let prior: f64 = 1;
let massScale: f64 = 0;

@inline function phiTableAt(cell: i32): f64 {
  return <f64>load<i32>(phi + (<usize>cell << 2));
}

/** §5.5. */
@inline function phiAt(position: f64): f64 {
  if (!(position > 0)) return 0;
  if (position >= phiLast) return phiOne;
  const cell = Math.floor(position);
  const below = phiTableAt(<i32>cell);
  return below + Math.floor((position - cell) * (phiTableAt(<i32>cell + 1) - below));
}

/** The symbols being coded: `symbols` bins from `first` under the mixture (mean, σ in bins; a wide share of 0 is one Gaussian). */
export function setSymbols(first: i32, symbols: i32, mean: f64, std: f64, wideShare256: f64, wideScale: f64): void {
  const s = std < minStd ? minStd : std > maxStd ? maxStd : std;
  const m = mean < -maxAbsMean ? -maxAbsMean : mean > maxAbsMean ? maxAbsMean : mean;
  lo = first;
  count = symbols;
  firstBoundary = <f64>first + 0.5 - m;
  gridScale = stepsPerUnit / s;
  spread = total - <f64>symbols;
  wideShare = wideShare256;
  wideGridScale = gridScale / wideScale;
  unit = wideShare256 === 0 ? 1 / phiOne : 1 / (phiOne * shareUnits);
}

/** B(s) of §5.6 / §5.8, in table units. */
@inline function boundaryPhi(symbol: i32): f64 {
  const boundary = firstBoundary + <f64>(symbol - 1);
  const narrow = phiAt(boundary * gridScale + phiCentre);
  if (wideShare === 0) return narrow;
  return (shareUnits - wideShare) * narrow + wideShare * phiAt(boundary * wideGridScale + phiCentre);
}

/** C(s) of the mixture (§5.6). */
function cumulative(symbol: i32): f64 {
  if (symbol <= 0) return 0;
  if (symbol >= count) return total;
  return Math.floor(boundaryPhi(symbol) * spread * unit) + <f64>symbol;
}

/**
 * Clips the window (`length` float64 counts at `counts` for the bins from `firstBin`, weight
 * `weight`) to the alphabet as §5.9 does, and sums its counts (checked: finite, ≥ 0); returns
 * −1, or the index (in the clipped window) of a bad count.
 */
export function blend(counts: usize, length: i32, firstBin: i32, weight: f64): i32 {
  const first = max(lo, firstBin);
  const last = min(lo + count - 1, firstBin + length - 1);
  window = counts + (<usize>(first - firstBin) << 3);
  windowLength = last < first ? 0 : last - first + 1;
  windowFirst = first;
  prior = weight;
  let sum: f64 = 0;
  store<f64>(countsBelow, 0);
  for (let j = 0; j < windowLength; j++) {
    const n = load<f64>(window + (<usize>j << 3));
    if (!(n >= 0 && n < Infinity)) return j;
    sum += n;
    store<f64>(countsBelow + (<usize>(j + 1) << 3), sum);
  }
  massScale = (total - <f64>count) / (weight + sum);
  return -1;
}

/** C(s) of the blend (§5.9). */
function blendedCumulative(symbol: i32): f64 {
  if (symbol <= 0) return 0;
  if (symbol >= count) return total;
  let end = lo + symbol - windowFirst;
  if (end > windowLength) end = windowLength;
  if (end < 0) end = 0;
  const mass = Math.floor((prior * (boundaryPhi(symbol) * unit) + load<f64>(countsBelow + (<usize>end << 3))) * massScale);
  const cap = total - <f64>count;
  return (mass < cap ? mass : cap) + <f64>symbol;
}

/**
 * The mixture's symbol holding `slot` (§5.10): a guess through the inverse Φ table, usually
 * right, then a gallop and a bisection (searchFrom).
 */
function locate(slot: f64): i32 {
  let guess: i32;
  const target = (slot - <f64>count * 0.5) * (phiOne / spread);
  if (target <= 0) guess = 0;
  else if (target >= phiOne) guess = count - 1;
  else {
    const cell = load<i32>(inverse + (<usize>(<i32>Math.floor(target * inverseBucketScale)) << 2));
    const below = phiTableAt(cell);
    const above = phiTableAt(cell + 1);
    const position = above > below ? <f64>cell + (target - below) / (above - below) : <f64>cell;
    // Clamped as float64, before the conversion: a guess far outside the symbols is the first or last.
    const estimate = Math.floor((position - phiCentre) / gridScale - firstBoundary) + 1;
    guess = estimate < 0 ? 0 : estimate > <f64>(count - 1) ? count - 1 : <i32>estimate;
  }
  return searchFrom(guess, slot, false);
}

/**
 * The blend's symbol holding `slot` (§5.10): the counts hold most of a blend's mass, so the
 * guess is where C at the window's first symbol plus the window's running sums (scaled as in
 * C, the mixture's share inside the window left out) reaches the slot; then a gallop and a
 * bisection (searchFrom). A slot below the window starts from the symbol before it.
 */
function locateBlended(slot: f64): i32 {
  if (windowLength === 0) return bisect(0, count, 0, total, slot, true);
  const first = windowFirst - lo;
  const atFirst = blendedCumulative(first);
  if (atFirst > slot) return searchFrom(first - 1, slot, true);
  // The last j ≤ windowLength with atFirst + massScale·(running sum to j) + j ≤ slot.
  let low = 0;
  let high = windowLength;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (atFirst + load<f64>(countsBelow + (<usize>middle << 3)) * massScale + <f64>middle <= slot) low = middle;
    else high = middle - 1;
  }
  return searchFrom(min(first + low, count - 1), slot, true);
}

/**
 * The symbol holding `slot`, from a guess (0 … count − 1): a gallop away from the guess until
 * C brackets the slot, then a bisection, so that a bad guess costs O(log distance).
 */
function searchFrom(guess: i32, slot: f64, blended: bool): i32 {
  let low: i32;
  let high: i32;
  let lowValue: f64;
  let highValue: f64;
  const guessValue = cumulativeOf(guess, blended);
  if (guessValue <= slot) {
    low = guess;
    lowValue = guessValue;
    high = guess + 1;
    highValue = cumulativeOf(high, blended);
    for (let step = 2; highValue <= slot; step *= 2) {
      low = high;
      lowValue = highValue;
      high = min(low + step, count);
      highValue = cumulativeOf(high, blended);
    }
  } else {
    high = guess;
    highValue = guessValue;
    low = guess - 1;
    lowValue = cumulativeOf(low, blended);
    for (let step = 2; lowValue > slot; step *= 2) {
      high = low;
      highValue = lowValue;
      low = max(high - step, 0);
      lowValue = cumulativeOf(low, blended);
    }
  }
  return bisect(low, high, lowValue, highValue, slot, blended);
}

/** C(s) of the blend where `blended` (after `blend`), else of the mixture. */
@inline export function cumulativeOf(symbol: i32, blended: bool): f64 {
  return blended ? blendedCumulative(symbol) : cumulative(symbol);
}

/** Symbol s's interval [C(s), C(s + 1)) into the found interval. */
export function findInterval(symbol: i32, blended: bool): void {
  store<f64>(found, cumulativeOf(symbol, blended));
  store<f64>(found + 8, cumulativeOf(symbol + 1, blended));
}

/** The symbol holding `slot` (§5.10), its interval into the found interval. */
export function findSymbol(slot: f64, blended: bool): i32 {
  return blended ? locateBlended(slot) : locate(slot);
}

/**
 * Narrows C(low) = lowValue ≤ slot < C(high) = highValue (C the mixture's or the blend's) to
 * one symbol, its interval into the found interval.
 */
@inline function bisect(low: i32, high: i32, lowValue: f64, highValue: f64, slot: f64, blended: bool): i32 {
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    const value = cumulativeOf(middle, blended);
    if (value <= slot) {
      low = middle;
      lowValue = value;
    } else {
      high = middle;
      highValue = value;
    }
  }
  store<f64>(found, lowValue);
  store<f64>(found + 8, highValue);
  return low;
}

/** Symbol s's interval under the mixture over `symbols` bins from `first`, into the found interval. */
export function mixtureInterval(first: i32, symbols: i32, mean: f64, std: f64, wideShare256: f64, wideScale: f64, symbol: i32): void {
  setSymbols(first, symbols, mean, std, wideShare256, wideScale);
  findInterval(symbol, false);
}

/** The mixture's symbol holding `slot`; its interval into the found interval. */
export function mixtureLocate(first: i32, symbols: i32, mean: f64, std: f64, wideShare256: f64, wideScale: f64, slot: f64): i32 {
  setSymbols(first, symbols, mean, std, wideShare256, wideScale);
  return locate(slot);
}

/**
 * Symbol s's interval under the mixture blended with a window of counts (`blend`); returns −1,
 * or the index of a count that is negative or not finite (then nothing is found).
 */
export function blendedInterval(first: i32, symbols: i32, mean: f64, std: f64, wideShare256: f64, wideScale: f64, counts: usize, length: i32, firstBin: i32, weight: f64, symbol: i32): i32 {
  setSymbols(first, symbols, mean, std, wideShare256, wideScale);
  const bad = blend(counts, length, firstBin, weight);
  if (bad >= 0) return bad;
  findInterval(symbol, true);
  return -1;
}

/** The blend's symbol holding `slot` (its interval into the found interval), or −2 − the index of a bad count. */
export function blendedLocate(first: i32, symbols: i32, mean: f64, std: f64, wideShare256: f64, wideScale: f64, counts: usize, length: i32, firstBin: i32, weight: f64, slot: f64): i32 {
  setSymbols(first, symbols, mean, std, wideShare256, wideScale);
  const bad = blend(counts, length, firstBin, weight);
  if (bad >= 0) return -2 - bad;
  return locateBlended(slot);
}
