// Specified in docs/format.md §7.2–§7.11.
// The predictive coder's walk (src/predictor/predictive.ts sets it up and codes its samples):
// each sample in raster order with the channels of a pixel in turn, its neighbourhood, the
// context learner's and the refiner's mean and σ, and the histograms' window, each learning
// from the sample before. One walk per instance: the state below is the walk's.
import { f64At, setF64, zeroed } from './memory';
import { Regression } from './ridge';
import { found, total } from './gaussian';
import { learnHistograms, sampleInterval, sampleLocate, select } from './histograms';
import { pop, peek, ranOut } from './rans';

/** The mean regression's features (§7.7) and the spread regression's (§7.8: a constant, then nine measures). */
const MEAN_FEATURES = 20;
const SPREAD_FEATURES = 10;
/** The first pixel's first channel: no neighbour at all (§7.4); its later channels take half. */
const FIRST_SAMPLE_STD: f64 = 64;
/** Σr₁² + Σr₂² beyond which a channel's carry sums halve (§7.5). */
const MOMENTS_HALVE_AT: f64 = 1048576;

// The band: rows of width × channels samples, of which `coded` channels are walked.
let width: i32 = 0;
let channels: i32 = 0;
let coded: i32 = 0;
let sampleMax: f64 = 0;
/**
 * The rows the walk reads (uint8): the current row and the two above it, which are all a
 * sample's neighbourhood reaches. Sample `index` of the image lies at window + index − windowBase;
 * `enterRow` moves the window down. The caller (or `decode`) writes each value before the
 * next sample is walked.
 */
let window: usize = 0;
let windowRow: i32 = -1;
let windowBase: i32 = 0;
/** Where `next` leaves the sample's mean and σ (two float64). */
let out: usize = 0;
/** Samples walked so far. */
let walked: i32 = 0;
/** The sample the histograms selected a window for, until it is learned (−1: none). */
let selected: i32 = -1;
// Per slot of the current row and the row above: the base predictions and the means coded under.
let above: usize = 0;
let current: usize = 0;
let meansAbove: usize = 0;
let meansCurrent: usize = 0;

// The predictor's constants (§7.1).
let carry: f64 = 0;
let carryTwoBack: f64 = 0;
let stdFloor: f64 = 0;
let stdPerGradient: f64 = 0;
let stdPerResidual: f64 = 0;
let stdPerNeighbourError: f64 = 0;

/** Sets up the walk and returns where its window of three rows lies (see `enterRow`). */
export function initWalk(
  imageWidth: i32,
  imageChannels: i32,
  codedChannels: i32,
  maxValue: f64,
  carryOne: f64,
  carryTwo: f64,
  floor: f64,
  perGradient: f64,
  perResidual: f64,
  perNeighbourError: f64,
): usize {
  width = imageWidth;
  channels = imageChannels;
  coded = codedChannels;
  sampleMax = maxValue;
  carry = carryOne;
  carryTwoBack = carryTwo;
  stdFloor = floor;
  stdPerGradient = perGradient;
  stdPerResidual = perResidual;
  stdPerNeighbourError = perNeighbourError;
  window = zeroed(<usize>(3 * width * channels));
  out = zeroed(16);
  const row = <usize>(width * channels) << 3;
  above = zeroed(row);
  current = zeroed(row);
  meansAbove = zeroed(row);
  meansCurrent = zeroed(row);
  neighbours = zeroed(4 << 3);
  before = zeroed(4 << 3);
  differences = zeroed(4 << 3);
  return window;
}

/**
 * Moves the window to rows y − 2 … y (y is the window's row or the next): the two rows above
 * are kept, row y's place is the caller's to fill. Returns the image index of the window's
 * first sample (negative for the first two rows).
 */
export function enterRow(y: i32): i32 {
  if (y !== windowRow) {
    const length = width * channels;
    memory.copy(window, window + <usize>length, <usize>(2 * length));
    windowRow = y;
    windowBase = (y - 2) * length;
  }
  return windowBase;
}

/** Where `next` leaves the mean and σ. */
export function walkOut(): usize {
  return out;
}

@inline function sampleAt(index: i32): f64 {
  return <f64>load<u8>(window + <usize>(index - windowBase));
}

// ---- Neighbourhood (§7.3) ----------------------------------------------------

/** A sample's N, W, NW, NE (float64 ×4), the channel before's, and their differences. */
let neighbours: usize = 0;
let before: usize = 0;
let differences: usize = 0;
const N = 0;
const W = 1;
const NW = 2;
const NE = 3;

/** The same channel's N, W, NW, NE of sample `index` at column x, missing ones repeating the nearest present. */
function neighboursInto(into: usize, index: i32, x: i32, hasN: bool): void {
  const row = width * channels;
  const hasW = x > 0;
  const n = hasN ? sampleAt(index - row) : sampleAt(index - channels);
  const w = hasW ? sampleAt(index - channels) : n;
  setF64(into, N, n);
  setF64(into, W, w);
  setF64(into, NW, hasN && hasW ? sampleAt(index - row - channels) : hasN ? n : w);
  setF64(into, NE, hasN && x + 1 < width ? sampleAt(index - row + channels) : n);
}

/** The mean of MED and the smooth predictor. */
function prediction(at: usize): f64 {
  const n = f64At(at, N);
  const w = f64At(at, W);
  const nw = f64At(at, NW);
  const ne = f64At(at, NE);
  const lo = Math.min(n, w);
  const hi = Math.max(n, w);
  const median = nw >= hi ? lo : nw <= lo ? hi : n + w - nw;
  return (median + (n + w) / 2 + (ne - nw) / 4) / 2;
}

/** The mean absolute gradient between the neighbours. */
function activity(at: usize): f64 {
  const n = f64At(at, N);
  const w = f64At(at, W);
  const nw = f64At(at, NW);
  const ne = f64At(at, NE);
  return (Math.abs(n - nw) + Math.abs(w - nw) + Math.abs(ne - n)) / 3;
}

// ---- Context learner (§7.5) --------------------------------------------------

let thresholds: usize = 0;
let thresholdCount: i32 = 0;
let levels: i32 = 0;
let biasPrior: f64 = 0;
let spreadPrior: f64 = 0;
let learnerHalveAt: f64 = 0;
let carryPrior: f64 = 0;
let residuals: usize = 0;
let errors: usize = 0;
let spreadSums: usize = 0;
let counts: usize = 0;
/** Per channel Σr₁², Σr₁r₂, Σr₂², Σr₁y, Σr₂y. */
let moments: usize = 0;
let learnerPending: i32 = -1;
let pendingChannel: i32 = 0;
let pendingContext: i32 = 0;
let pendingBase: f64 = 0;
let pendingR1: f64 = 0;
let pendingR2: f64 = 0;
let pendingPrediction: f64 = 0;
let pendingMean: f64 = 0;
let pendingStd: f64 = 0;

/** The context learner: `count` thresholds (float64) at `levelsAt`, copied. */
export function initLearner(levelsAt: usize, count: i32, bias: f64, spread: f64, halving: f64, carryWeight: f64): void {
  thresholdCount = count;
  thresholds = zeroed(<usize>count << 3);
  memory.copy(thresholds, levelsAt, <usize>count << 3);
  levels = 2 * count + 1;
  biasPrior = bias;
  spreadPrior = spread;
  learnerHalveAt = halving;
  carryPrior = carryWeight;
  const contexts = <usize>(levels * levels * levels * channels) << 3;
  residuals = zeroed(contexts);
  errors = zeroed(contexts);
  spreadSums = zeroed(contexts);
  counts = zeroed(contexts);
  moments = zeroed(<usize>(channels * 5) << 3);
}

function quantise(d: f64): i32 {
  const magnitude = Math.abs(d);
  let level = 0;
  while (level < thresholdCount && magnitude >= f64At(thresholds, level)) level++;
  return thresholdCount + (d < 0 ? -level : level);
}

/** base + carry·r1 + carryTwoBack·r2 with channel c's carries, ridge-regressed towards the fixed ones. */
function carried(c: i32, base: f64, r1: f64, r2: f64): f64 {
  const m = moments + (<usize>(c * 5) << 3);
  const s11 = f64At(m, 0);
  const s12 = f64At(m, 1);
  const s22 = f64At(m, 2);
  const s1y = f64At(m, 3);
  const s2y = f64At(m, 4);
  const k = carryPrior;
  if (c === 1) return base + ((s1y + carry * k) / (s11 + k)) * r1 + carryTwoBack * r2;
  if (c === 0) return base + carry * r1 + carryTwoBack * r2;
  const a11 = s11 + k;
  const a22 = s22 + k;
  const b1 = s1y + carry * k;
  const b2 = s2y + carryTwoBack * k;
  const det = a11 * a22 - s12 * s12;
  return base + ((b1 * a22 - b2 * s12) / det) * r1 + ((a11 * b2 - s12 * b1) / det) * r2;
}

/** The learned mean and σ of sample `index` in channel c, to `out`. */
function distribution(index: i32, c: i32, d1: f64, d2: f64, d3: f64, base: f64, predicted: f64, r1: f64, r2: f64, std: f64): void {
  const context = ((quantise(d1) * levels + quantise(d2)) * levels + quantise(d3)) * channels + c;
  const mean = predicted + f64At(residuals, context) / (f64At(counts, context) + biasPrior);
  const clamped = Math.min(sampleMax, Math.max(0, mean));
  setF64(out, 0, clamped);
  setF64(out, 1, Math.max(stdFloor, std * ((f64At(errors, context) + spreadPrior) / (f64At(spreadSums, context) + spreadPrior))));
  learnerPending = index;
  pendingChannel = c;
  pendingContext = context;
  pendingBase = base;
  pendingR1 = r1;
  pendingR2 = r2;
  pendingPrediction = predicted;
  pendingMean = clamped;
  pendingStd = std;
}

function learnContext(): void {
  if (learnerPending < 0) return;
  const value = sampleAt(learnerPending);
  const context = pendingContext;
  setF64(residuals, context, f64At(residuals, context) + (value - pendingPrediction));
  setF64(errors, context, f64At(errors, context) + Math.abs(value - pendingMean));
  setF64(spreadSums, context, f64At(spreadSums, context) + pendingStd);
  const count = f64At(counts, context) + 1;
  setF64(counts, context, count);
  if (count >= learnerHalveAt) {
    setF64(residuals, context, f64At(residuals, context) / 2);
    setF64(errors, context, f64At(errors, context) / 2);
    setF64(spreadSums, context, f64At(spreadSums, context) / 2);
    setF64(counts, context, count / 2);
  }
  if (pendingChannel > 0) {
    const m = moments + (<usize>(pendingChannel * 5) << 3);
    const r1 = pendingR1;
    const r2 = pendingR2;
    const y = value - pendingBase;
    setF64(m, 0, f64At(m, 0) + r1 * r1);
    setF64(m, 1, f64At(m, 1) + r1 * r2);
    setF64(m, 2, f64At(m, 2) + r2 * r2);
    setF64(m, 3, f64At(m, 3) + r1 * y);
    setF64(m, 4, f64At(m, 4) + r2 * y);
    if (f64At(m, 0) + f64At(m, 2) > MOMENTS_HALVE_AT) for (let j = 0; j < 5; j++) setF64(m, j, f64At(m, j) / 2);
  }
  learnerPending = -1;
}

// ---- Refiner (§7.6–§7.8) -----------------------------------------------------

let activityClasses: i32 = 0;
let spreadScale: f64 = 0;
let spreadWarmup: i32 = 0;
let meanRegressions: StaticArray<Regression> = new StaticArray<Regression>(0);
let spreadRegressions: StaticArray<Regression> = new StaticArray<Regression>(0);
let meanFeatures: usize = 0;
let spreadFeatures: usize = 0;
let refinerPending: i32 = -1;
let pendingMeanRegression: Regression | null = null;
let pendingSpreadRegression: Regression | null = null;
let pendingRefined: f64 = 0;
let pendingCodedMean: f64 = 0;

/** The refiner: `classes` activity classes; its regressions are set with setRegression. */
export function initRefiner(classes: i32, scale: f64, warmup: i32): void {
  activityClasses = classes;
  spreadScale = scale;
  spreadWarmup = warmup;
  meanRegressions = new StaticArray<Regression>(channels * classes);
  spreadRegressions = new StaticArray<Regression>(channels);
  meanFeatures = zeroed(MEAN_FEATURES << 3);
  spreadFeatures = zeroed(SPREAD_FEATURES << 3);
  // The spread regression's constant feature; the walk writes the measures after it.
  setF64(spreadFeatures, 0, 1);
}

/**
 * Sets mean regression k (channel × activityClasses + class) or spread regression k (channel);
 * `priorAt` the prior's weights (0: none), copied.
 */
export function setRegression(spread: bool, k: i32, size: i32, ridge: f64, first: f64, after: i32, later: f64, every: i32, settledAfter: i32, settledEvery: i32, priorAt: usize, pull: f64, fade: f64): void {
  // The caller's prior tables are shaped by its feature counts: they must be these.
  if (size !== (spread ? SPREAD_FEATURES : MEAN_FEATURES)) unreachable();
  const regression = new Regression(size, ridge, first, after, later, every, settledAfter, settledEvery);
  if (priorAt !== 0) regression.startFrom(priorAt, pull, fade);
  if (spread) unchecked((spreadRegressions[k] = regression));
  else unchecked((meanRegressions[k] = regression));
}

/** Mean regression k's (or spread regression k's) weights, and how many samples it has learned from. */
export function regressionWeights(spread: bool, k: i32): usize {
  return (spread ? unchecked(spreadRegressions[k]) : unchecked(meanRegressions[k])).weights;
}

export function regressionUpdates(spread: bool, k: i32): i32 {
  return (spread ? unchecked(spreadRegressions[k]) : unchecked(meanRegressions[k])).updates;
}

/** The mean regression's features (§7.7) of sample `index` in channel c, predicted p so far. */
function neighbourhoodFeatures(index: i32, x: i32, hasN: bool, c: i32, p: f64, r1: f64, r2: f64, hasDifferences: bool): void {
  const f = meanFeatures;
  const row = width * channels;
  const hasNN = hasN && index >= 2 * row;
  const hasW = x > 0;
  const n = f64At(neighbours, N);
  const w = f64At(neighbours, W);
  const nw = f64At(neighbours, NW);
  const ne = f64At(neighbours, NE);
  const previous = c > 0 ? sampleAt(index - 1) : 0;
  setF64(f, 0, n - p);
  setF64(f, 1, w - p);
  setF64(f, 2, nw - p);
  setF64(f, 3, ne - p);
  setF64(f, 4, (hasNN ? sampleAt(index - 2 * row) : n) - p);
  setF64(f, 5, (x > 1 ? sampleAt(index - 2 * channels) : w) - p);
  setF64(f, 6, (hasNN && x + 1 < width ? sampleAt(index - 2 * row + channels) : ne) - p);
  setF64(f, 7, (hasN && x + 2 < width ? sampleAt(index - row + 2 * channels) : ne) - p);
  setF64(f, 8, r1);
  setF64(f, 9, r2);
  setF64(f, 10, c > 0 && hasN ? previous - sampleAt(index - 1 - row) : 0);
  setF64(f, 11, c > 0 && hasW ? previous - sampleAt(index - 1 - channels) : 0);
  setF64(f, 12, (hasDifferences ? previous + f64At(differences, N) : n) - p);
  setF64(f, 13, (hasDifferences ? previous + f64At(differences, W) : w) - p);
  setF64(f, 14, (hasDifferences ? previous + f64At(differences, NW) : nw) - p);
  setF64(f, 15, (hasDifferences ? previous + f64At(differences, NE) : ne) - p);
  setF64(f, 16, (hasNN && hasW ? sampleAt(index - 2 * row - channels) : nw) - p);
  setF64(f, 17, (hasN && x > 1 ? sampleAt(index - row - 2 * channels) : nw) - p);
  setF64(f, 18, (hasNN && x + 2 < width ? sampleAt(index - 2 * row + 2 * channels) : ne) - p);
  setF64(f, 19, (x > 2 ? sampleAt(index - 3 * channels) : w) - p);
}

/** The refined mean of sample `index` in channel c, predicted p so far. */
function refinedMean(index: i32, x: i32, hasN: bool, c: i32, p: f64, r1: f64, r2: f64, gradient: f64, hasDifferences: bool): f64 {
  neighbourhoodFeatures(index, x, hasN, c, p, r1, r2, hasDifferences);
  // Activity class ⌊log2(1 + gradient)⌋, capped.
  let activityClass = 0;
  while (activityClass + 1 < activityClasses && 1 + gradient >= <f64>(1 << (activityClass + 1))) activityClass++;
  const regression = unchecked(meanRegressions[c * activityClasses + activityClass]);
  refinerPending = index;
  pendingMeanRegression = regression;
  pendingRefined = p;
  return p + regression.predict(meanFeatures);
}

/** σ from the spread regression over the spread features (§7.8); `fallback` until it has seen spreadWarmup samples. */
function refinedSpread(c: i32, fallback: f64): f64 {
  const regression = unchecked(spreadRegressions[c]);
  pendingSpreadRegression = regression;
  if (regression.updates < spreadWarmup) return fallback;
  return Math.max(stdFloor, spreadScale * regression.predict(spreadFeatures));
}

function learnRefinement(): void {
  if (refinerPending < 0) return;
  const value = sampleAt(refinerPending);
  changetype<Regression>(pendingMeanRegression).learn(meanFeatures, value - pendingRefined);
  changetype<Regression>(pendingSpreadRegression).learn(spreadFeatures, Math.abs(value - pendingCodedMean));
  refinerPending = -1;
}

// ---- The walk (§7.2, §7.4, §7.11) --------------------------------------------

/**
 * Learns from the sample before (its value must be in the samples), then works out the next
 * sample's mean and σ (to the out pair) and selects its window; returns its index into the
 * samples, or −1 − index where it has no window.
 */
export function next(): i32 {
  learnContext();
  learnRefinement();
  if (selected >= 0) learnHistograms(<i32>sampleAt(selected));
  selected = -1;
  const step = walked++;
  const c = step % coded;
  const pixel = (step - c) / coded;
  const x = pixel % width;
  if (x === 0 && c === 0) {
    const previousAbove = above;
    above = current;
    current = previousAbove;
    const previousMeansAbove = meansAbove;
    meansAbove = meansCurrent;
    meansCurrent = previousMeansAbove;
  }
  const index = pixel * channels + c;
  const slot = x * channels + c;
  if (pixel === 0) {
    const first: f64 = c === 0 ? 128 : sampleAt(index - 1);
    setF64(current, slot, first);
    setF64(out, 0, first);
    setF64(out, 1, c === 0 ? FIRST_SAMPLE_STD : FIRST_SAMPLE_STD / 2);
    setF64(meansCurrent, slot, first);
    return -1 - index;
  }
  const hasN = pixel >= width;
  neighboursInto(neighbours, index, x, hasN);
  const n = f64At(neighbours, N);
  const w = f64At(neighbours, W);
  const nw = f64At(neighbours, NW);
  const ne = f64At(neighbours, NE);
  // A later channel's base is the channel before plus the difference predicted from the
  // neighbours in the plane of differences.
  const hasDifferences = c > 0;
  if (hasDifferences) {
    neighboursInto(before, index - 1, x, hasN);
    for (let j = 0; j < 4; j++) setF64(differences, j, f64At(neighbours, j) - f64At(before, j));
  }
  const base = hasDifferences ? sampleAt(index - 1) + prediction(differences) : prediction(neighbours);
  setF64(current, slot, base);
  const gradient = activity(neighbours);
  const r1 = c > 0 ? sampleAt(index - 1) - f64At(current, slot - 1) : 0;
  const r2 = c > 1 ? sampleAt(index - 2) - f64At(current, slot - 2) : 0;
  // The neighbours' errors against the means they were coded under, with the same stand-ins
  // as the neighbours where one is missing.
  const row = width * channels;
  const errorW = x > 0 ? Math.abs(sampleAt(index - channels) - f64At(meansCurrent, slot - channels)) : Math.abs(sampleAt(index - row) - f64At(meansAbove, slot));
  const errorN = hasN ? Math.abs(sampleAt(index - row) - f64At(meansAbove, slot)) : errorW;
  const errorNE = hasN && x + 1 < width ? Math.abs(sampleAt(index - row + channels) - f64At(meansAbove, slot + channels)) : errorN;
  let std = stdFloor + stdPerGradient * gradient;
  std += stdPerResidual * Math.abs(r1);
  std += stdPerNeighbourError * ((errorW + errorN + errorNE) / 3);
  let mean = carried(c, base, r1, r2);
  mean = refinedMean(index, x, hasN, c, mean, r1, r2, gradient, hasDifferences);
  const errorNW = hasN && x > 0 ? Math.abs(sampleAt(index - row - channels) - f64At(meansAbove, slot - channels)) : errorN;
  const earlierError1 = c >= 1 ? Math.abs(sampleAt(index - 1) - f64At(meansCurrent, slot - 1)) : 0;
  const earlierError2 = c >= 2 ? Math.abs(sampleAt(index - 2) - f64At(meansCurrent, slot - 2)) : 0;
  // The spread regression's measures, after its constant feature.
  const measures = spreadFeatures + 8;
  setF64(measures, 0, gradient);
  setF64(measures, 1, Math.abs(r1));
  setF64(measures, 2, errorW);
  setF64(measures, 3, errorN);
  setF64(measures, 4, errorNE);
  setF64(measures, 5, earlierError1);
  setF64(measures, 6, errorNW);
  setF64(measures, 7, earlierError2);
  setF64(measures, 8, hasDifferences ? activity(differences) : gradient);
  std = refinedSpread(c, std);
  distribution(index, c, ne - n, n - nw, nw - w, base, mean, r1, r2, std);
  const codedMean = f64At(out, 0);
  setF64(meansCurrent, slot, codedMean);
  pendingCodedMean = codedMean;
  selected = index;
  return select(index, x, c, codedMean, f64At(out, 1), hasDifferences, window - <usize>windowBase, neighbours, differences) ? index : -1 - index;
}

/** The interval of `value` under the distribution `next` gave last (with its window where `blended`), to the found interval. */
export function interval(value: i32, blended: bool): void {
  sampleInterval(f64At(out, 0), f64At(out, 1), value, blended);
}

/** Decodes the sample `next` gave last from `slot`: writes its value to the samples and returns it, its interval to the found interval. */
export function decode(slot: f64, index: i32, blended: bool): i32 {
  const value = sampleLocate(f64At(out, 0), f64At(out, 1), slot, blended);
  store<u8>(window + <usize>(index - windowBase), <u8>value);
  return value;
}

/**
 * Decodes the next `count` samples of the entered row from the message lent to rans.ts, each
 * at the Gaussian codes' precision, into the window. Returns false as soon as the message owes
 * words (a pop read below the bottom of its tail, here or before it was lent): a file cut short.
 */
export function decodeSamples(count: i32): bool {
  const inverseTotal = 1 / total;
  for (let k = 0; k < count; k++) {
    const step = next();
    const blended = step >= 0;
    decode(peek(total, inverseTotal), blended ? step : -1 - step, blended);
    const start = load<f64>(found);
    pop(start, load<f64>(found + 8) - start, total, inverseTotal);
    if (ranOut()) return false;
  }
  return true;
}
