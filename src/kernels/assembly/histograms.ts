// Specified in docs/format.md §7.9, §7.10.
// The predictor's adaptive histograms (walker.ts selects and teaches them; predictive.ts sets
// them up): count windows per spread context and per exact context, each sample's keys, the
// window its distribution is blended with, and that distribution's coding (gaussian.ts). One
// walk per instance: the state below is the walk's.
import { blend, cumulativeOf, findInterval, findSymbol, setSymbols, total } from './gaussian';
import { f64At, setF64, zeroed } from './memory';
import { SlotTable } from './tables';

/** The exact contexts' tables, each keyed by its own neighbourhood. */
const EXACT_TABLES = 2;
/** The first channel's first seed: above every later channel's (c and c + 8, c ≤ 3). */
const FIRST_CHANNEL_SEED = 16;

/**
 * The exact contexts' keys (§7.10): for the second channel its difference-plane neighbours
 * (W, N, NW) and (W, N, NE); for the third and later (W, N, s) and (s, s at W, W), s the step
 * between the two channels before; for the first (with firstChannel) its neighbours'
 * differences to W, with NE in the first table and W − WW in the second. The second table's
 * seeds (c + 8) differ from the first's only to keep the two hashes unrelated.
 */
function hash(seed: i32, a: i32, b: i32, c: i32): i32 {
  let h = (seed + 1) * <i32>0x9e3779b1;
  h = mix(h, a);
  h = mix(h, b);
  return mix(h, c);
}

/** One step of the exact contexts' hash (§7.10), also the pixel matches' (§7.13): value + 1024 is taken modulo 2^32. */
export function mix(h: i32, value: i32): i32 {
  return ((h ^ (value + 1024)) * <i32>0x85ebca6b) ^ (h >>> 13);
}

/** The values a sample takes: 0 … values − 1. */
let values: i32 = 0;
let channels: i32 = 0;
let span: i32 = 0;
let reach: i32 = 0;
let fractions: i32 = 0;
let maxStd: f64 = 0;
let prior: f64 = 0;
let halveAt: f64 = 0;
let wideShare256: f64 = 0;
let wideScale: f64 = 1;
/** Spread contexts: per context `span` float64 counts and their total. */
let spreadCounts: usize = 0;
let spreadTotals: usize = 0;
/** σ at which each half-octave class from the floor starts: floor·√2^k, k = 1 … classes − 1. */
let classStarts: usize = 0;
let classCount: i32 = 0;
/** Exact tables (0 or EXACT_TABLES): per table, per slot 1 + its row (0: none), rows of float32 counts, their totals, and the rows given out. */
let exactTables: i32 = 0;
let slotMask: i32 = 0;
let exactHalveAt: f64 = 0;
let countClasses: i32 = 0;
let rate: f64 = 0;
let weightFloor: f64 = 0;
let exactCap: f64 = 0;
let firstChannel: bool = false;
/** Per table, per slot 1 + its row (0: none), as int32. */
const rowOf = new StaticArray<SlotTable | null>(EXACT_TABLES);
const exactCounts = new StaticArray<usize>(EXACT_TABLES);
const exactTotals = new StaticArray<usize>(EXACT_TABLES);
const rows = new StaticArray<i32>(EXACT_TABLES);
/** Per table, per channel and class of a window's total, the weight its counts get in the blend. */
const exactWeights = new StaticArray<usize>(EXACT_TABLES);
/** The window a sample is blended with where an exact context has counts (2·span counts). */
let combined: usize = 0;

// The sample selected last, until it is learned.
let pending = false;
let pendingSpread: i32 = -1;
let pendingSpreadFirst: i32 = 0;
const pendingSlots = new StaticArray<i32>(EXACT_TABLES);
/** Per table, the selected slot's row (1-based; 0: none yet), looked up once per sample. */
const pendingRows = new StaticArray<i32>(EXACT_TABLES);
const pendingWeights = new StaticArray<i32>(EXACT_TABLES);
const shares = new StaticArray<f64>(EXACT_TABLES);
let pendingExactFirst: i32 = 0;
let pendingMean: f64 = 0;
let pendingStd: f64 = 0;
// Its window: none (length −1), or `windowLength` counts at `windowCounts` from `windowFirst`.
let windowCounts: usize = 0;
let windowLength: i32 = -1;
let windowFirst: i32 = 0;

/**
 * Sets up a walk's histograms (§7.9): spread contexts of 2·reach + 1 bins; where `exact`, the
 * exact contexts' tables (§7.10) of `slots` slots each, of which a walk of `samples` samples
 * counts at most that many.
 */
export function initHistograms(
  alphabet: i32,
  channelCount: i32,
  floor: f64,
  maxSpread: f64,
  spreadClasses: i32,
  fractionCount: i32,
  binsEachSide: i32,
  weight: f64,
  halving: f64,
  exact: bool,
  slots: i32,
  samples: i32,
  exactHalving: f64,
  classesOfTotals: i32,
  learningRate: f64,
  exactFloor: f64,
  initialWeight: f64,
  exactFirstChannel: bool,
  tailShare256: f64,
  tailScale: f64,
): void {
  values = alphabet;
  channels = channelCount;
  maxStd = maxSpread;
  fractions = fractionCount;
  reach = binsEachSide;
  span = 2 * binsEachSide + 1;
  prior = weight;
  halveAt = halving;
  wideShare256 = tailShare256;
  wideScale = tailScale;
  const contexts = spreadClasses * fractionCount * channelCount;
  spreadCounts = zeroed(<usize>(contexts * span) << 3);
  spreadTotals = zeroed(<usize>contexts << 3);
  classCount = spreadClasses - 1;
  classStarts = zeroed(<usize>max(classCount, 1) << 3);
  let start = floor;
  for (let k = 0; k < classCount; k++) store<f64>(classStarts + (<usize>k << 3), (start *= Math.SQRT2));
  exactTables = exact ? EXACT_TABLES : 0;
  slotMask = slots - 1;
  exactHalveAt = exactHalving;
  countClasses = classesOfTotals;
  rate = learningRate;
  weightFloor = exactFloor;
  exactCap = (1 - exactFloor) / EXACT_TABLES;
  firstChannel = exactFirstChannel;
  const rowsAtMost = min(slots, samples);
  for (let t = 0; t < exactTables; t++) {
    unchecked((rowOf[t] = new SlotTable(slots, rowsAtMost, 4)));
    unchecked((exactCounts[t] = zeroed(<usize>(rowsAtMost * span) << 2)));
    unchecked((exactTotals[t] = zeroed(<usize>rowsAtMost << 3)));
    unchecked((rows[t] = 0));
    const weights = zeroed(<usize>(channelCount * classesOfTotals) << 3);
    for (let k = 0; k < channelCount * classesOfTotals; k++) store<f64>(weights + (<usize>k << 3), initialWeight / EXACT_TABLES);
    unchecked((exactWeights[t] = weights));
  }
  combined = zeroed(<usize>(2 * span) << 3);
}

/** Exact table t's row at `slot` (1-based; 0: none). */
@inline function rowAt(t: i32, slot: i32): i32 {
  return load<i32>(unchecked(rowOf[t])!.at(slot));
}

/** The total of exact table t's row (0 for none). */
@inline function rowTotal(t: i32, row: i32): f64 {
  return row === 0 ? 0 : f64At(unchecked(exactTotals[t]), row - 1);
}

/** Counts `value` in a row of `span` counts whose window starts at `firstBin`; halves the row at `halving`. */
@inline function countF64(counts: usize, totals: usize, k: i32, firstBin: i32, value: i32, halving: f64): void {
  const offset = value - firstBin;
  if (offset < 0 || offset >= span) return;
  const start = counts + (<usize>(k * span) << 3);
  store<f64>(start + (<usize>offset << 3), load<f64>(start + (<usize>offset << 3)) + 1);
  const sum = f64At(totals, k) + 1;
  setF64(totals, k, sum);
  if (sum >= halving) {
    for (let j = 0; j < span; j++) store<f64>(start + (<usize>j << 3), load<f64>(start + (<usize>j << 3)) / 2);
    setF64(totals, k, sum / 2);
  }
}

/** The same for an exact table's float32 row. */
@inline function countF32(counts: usize, totals: usize, k: i32, firstBin: i32, value: i32, halving: f64): void {
  const offset = value - firstBin;
  if (offset < 0 || offset >= span) return;
  const start = counts + (<usize>(k * span) << 2);
  store<f32>(start + (<usize>offset << 2), <f32>(<f64>load<f32>(start + (<usize>offset << 2)) + 1));
  const sum = f64At(totals, k) + 1;
  setF64(totals, k, sum);
  if (sum >= halving) {
    for (let j = 0; j < span; j++) store<f32>(start + (<usize>j << 2), <f32>(<f64>load<f32>(start + (<usize>j << 2)) / 2));
    setF64(totals, k, sum / 2);
  }
}

/**
 * Selects the window of sample `index` (column x, channel c) under mean and σ (§7.9, §7.10),
 * image sample i lying at `samples` + i:
 * the spread context's where σ < maxStd, combined with the exact contexts' (later channels,
 * keyed by the difference-plane neighbours at `differences`; with `firstChannel` the first
 * channel too, keyed by its neighbours at `near`) where those have counts. Returns whether a
 * window applies; the sample's coding below uses it.
 */
export function select(index: i32, x: i32, c: i32, mean: f64, std: f64, hasDifferences: bool, samples: usize, near: usize, differences: usize): bool {
  pending = true;
  pendingMean = mean;
  pendingStd = std;
  pendingSpread = -1;
  for (let t = 0; t < EXACT_TABLES; t++) {
    unchecked((pendingWeights[t] = -1));
    unchecked((pendingSlots[t] = -1));
    unchecked((pendingRows[t] = 0));
  }
  windowLength = -1;
  if (std < maxStd) {
    let spreadClass = 0;
    while (spreadClass < classCount && std >= f64At(classStarts, spreadClass)) spreadClass++;
    const whole = Math.floor(mean);
    const fraction = <i32>Math.floor((mean - whole) * <f64>fractions);
    const context = (spreadClass * fractions + fraction) * channels + c;
    pendingSpread = context;
    pendingSpreadFirst = <i32>whole - reach;
    windowCounts = spreadCounts + (<usize>(context * span) << 3);
    windowLength = span;
    windowFirst = pendingSpreadFirst;
  }
  if (exactTables === 0 || !(hasDifferences || firstChannel)) return windowLength >= 0;
  let key0: i32;
  let key1: i32;
  let exactFirst: i32;
  if (hasDifferences) {
    const dw = <i32>load<f64>(differences + 8);
    const dn = <i32>load<f64>(differences);
    if (c === 1) {
      key0 = hash(c, dw, dn, <i32>load<f64>(differences + 16));
      key1 = hash(c + EXACT_TABLES * 4, dw, dn, <i32>load<f64>(differences + 24));
    } else {
      const step = <i32>load<u8>(samples + <usize>(index - 1)) - <i32>load<u8>(samples + <usize>(index - 2));
      const stepW = x > 0 ? <i32>load<u8>(samples + <usize>(index - 1 - channels)) - <i32>load<u8>(samples + <usize>(index - 2 - channels)) : step;
      key0 = hash(c, dw, dn, step);
      key1 = hash(c + EXACT_TABLES * 4, step, stepW, dw);
    }
    // The windows are centred on the value the W neighbour's difference would give.
    exactFirst = <i32>load<u8>(samples + <usize>(index - 1)) + dw - reach;
  } else {
    const n = <i32>load<f64>(near);
    const w = <i32>load<f64>(near + 8);
    const nw = <i32>load<f64>(near + 16);
    const ne = <i32>load<f64>(near + 24);
    const ww = x >= 2 ? <i32>load<u8>(samples + <usize>(index - 2 * channels)) : w;
    key0 = hash(FIRST_CHANNEL_SEED, n - w, nw - w, ne - w);
    key1 = hash(FIRST_CHANNEL_SEED + EXACT_TABLES * 4, n - w, nw - w, w - ww);
    // The first channel's are centred on W.
    exactFirst = w - reach;
  }
  pendingExactFirst = exactFirst;
  let weightSum: f64 = 0;
  for (let t = 0; t < EXACT_TABLES; t++) {
    const slot = (t === 0 ? key0 : key1) & slotMask;
    unchecked((pendingSlots[t] = slot));
    const row = rowAt(t, slot);
    unchecked((pendingRows[t] = row));
    const sum = rowTotal(t, row);
    if (sum === 0) continue;
    let countClass = 0;
    while (countClass + 1 < countClasses && sum >= <f64>(1 << (countClass + 1))) countClass++;
    const k = c * countClasses + countClass;
    unchecked((pendingWeights[t] = k));
    weightSum += f64At(unchecked(exactWeights[t]), k);
  }
  if (weightSum === 0) return windowLength >= 0;
  // Σ w_t·(table t's counts' distribution) + (1 − Σ w_t)·(the blend without them), as one
  // blend: the spread context's prior p and counts s, plus each table's counts e_t scaled by
  // λ_t = w_t·(p + Σs) / ((1 − Σ w)·Σe_t).
  const hasSpread = pendingSpread >= 0;
  const spreadTotal = hasSpread ? f64At(spreadTotals, pendingSpread) : 0;
  const first = hasSpread ? min(pendingSpreadFirst, exactFirst) : exactFirst;
  memory.fill(combined, 0, <usize>(2 * span) << 3);
  for (let t = 0; t < EXACT_TABLES; t++) {
    const k = unchecked(pendingWeights[t]);
    if (k < 0) continue;
    const rowIndex = unchecked(pendingRows[t]);
    const scale = (f64At(unchecked(exactWeights[t]), k) * (prior + spreadTotal)) / ((1 - weightSum) * rowTotal(t, rowIndex));
    const row = unchecked(exactCounts[t]) + (<usize>((rowIndex - 1) * span) << 2);
    // (A count that would land at position 2·span or beyond is dropped, §7.10.)
    const at = exactFirst - first;
    const into = combined + (<usize>at << 3);
    for (let j = 0; j < min(span, 2 * span - at); j++) store<f64>(into + (<usize>j << 3), load<f64>(into + (<usize>j << 3)) + scale * <f64>load<f32>(row + (<usize>j << 2)));
  }
  if (hasSpread) {
    const at = pendingSpreadFirst - first;
    const into = combined + (<usize>at << 3);
    for (let j = 0; j < min(span, 2 * span - at); j++) store<f64>(into + (<usize>j << 3), load<f64>(into + (<usize>j << 3)) + load<f64>(windowCounts + (<usize>j << 3)));
  }
  windowCounts = combined;
  windowLength = 2 * span;
  windowFirst = first;
  return true;
}

/** The interval of `value` under mean and σ, blended with the selected window where `blended`, to the found interval. */
export function sampleInterval(mean: f64, std: f64, value: i32, blended: bool): void {
  setSampleSymbols(mean, std, blended);
  findInterval(value, blended);
}

/** The value holding `slot` under the same distribution, its interval to the found interval. */
export function sampleLocate(mean: f64, std: f64, slot: f64, blended: bool): i32 {
  setSampleSymbols(mean, std, blended);
  return findSymbol(slot, blended);
}

/** A sample's symbols (its values, under mean and σ), blended with the selected window where `blended`. */
@inline function setSampleSymbols(mean: f64, std: f64, blended: bool): void {
  setSymbols(0, values, mean, std, wideShare256, wideScale);
  if (blended) blend(windowCounts, windowLength, windowFirst, prior);
}

/** Counts the selected sample's `value` in its contexts, and moves the exact weights towards what paid. */
export function learnHistograms(value: i32): void {
  if (!pending) return;
  pending = false;
  learnWeights(value);
  if (pendingSpread >= 0) countF64(spreadCounts, spreadTotals, pendingSpread, pendingSpreadFirst, value, halveAt);
  for (let t = 0; t < exactTables; t++) {
    const slot = unchecked(pendingSlots[t]);
    if (slot < 0) continue;
    let row = unchecked(pendingRows[t]);
    if (row === 0) {
      row = unchecked(rows[t]) + 1;
      unchecked((rows[t] = row));
      store<i32>(unchecked(rowOf[t])!.add(slot), row);
    }
    countF32(unchecked(exactCounts[t]), unchecked(exactTotals[t]), row - 1, pendingExactFirst, value, exactHalveAt);
  }
}

/**
 * Online gradient ascent on log(Σ w_t·pE_t + (1 − Σ w_t)·pF) at `value`, pF the blend without
 * the exact counts; nothing where no exact window had counts (then no weight took part).
 */
function learnWeights(value: i32): void {
  let active = false;
  for (let t = 0; t < EXACT_TABLES; t++) {
    if (unchecked(pendingWeights[t]) < 0) continue;
    const row = unchecked(pendingRows[t]);
    const offset = value - pendingExactFirst;
    const sum = rowTotal(t, row);
    unchecked(
      (shares[t] =
        row === 0 || offset < 0 || offset >= span || sum === 0 ? 0 : <f64>load<f32>(unchecked(exactCounts[t]) + (<usize>((row - 1) * span + offset) << 2)) / sum),
    );
    active = true;
  }
  if (!active) return;
  setSymbols(0, values, pendingMean, pendingStd, wideShare256, wideScale);
  const spread = pendingSpread >= 0;
  if (spread) blend(spreadCounts + (<usize>(pendingSpread * span) << 3), span, pendingSpreadFirst, prior);
  const pF = (cumulativeOf(value + 1, spread) - cumulativeOf(value, spread)) / total;
  let mixture = pF;
  for (let t = 0; t < EXACT_TABLES; t++) {
    const k = unchecked(pendingWeights[t]);
    if (k >= 0) mixture += f64At(unchecked(exactWeights[t]), k) * (unchecked(shares[t]) - pF);
  }
  for (let t = 0; t < EXACT_TABLES; t++) {
    const k = unchecked(pendingWeights[t]);
    if (k < 0) continue;
    const weights = unchecked(exactWeights[t]);
    setF64(weights, k, Math.min(exactCap, Math.max(weightFloor, f64At(weights, k) + (rate * (unchecked(shares[t]) - pF)) / mixture)));
  }
}
