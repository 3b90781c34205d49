// Specified in docs/format.md §7.13.
// Pixel matches (src/predictor/matches.ts sets them up and codes their symbols): per pixel the
// candidate colours, the context and the symbols' intervals, and what the pixel teaches. One
// image's walk per instance: the state below is the walk's. Colours are base-256 numbers of a
// pixel's coded samples (up to 2^32 − 1, so float64), ABSENT where a neighbour is missing.
import { mix } from './histograms';
import { zeroed } from './memory';
import { SlotTable } from './tables';

const NEIGHBOUR_SLOTS = 6;
const FOLLOWER_SLOT = NEIGHBOUR_SLOTS;
const RECENT_COLOURS = 4;
const SLOTS = NEIGHBOUR_SLOTS + 1 + RECENT_COLOURS;
const ESCAPE = SLOTS;
const SYMBOLS = SLOTS + 1;
const FOLLOWER_TABLE_BITS = 18;
const PATTERN_CONTEXTS = 15 * 4 * 4;
const ABSENT: f64 = -1;
const FOLLOWER_SEED = 0x2545f491;
const NEIGHBOURHOOD_SEED = 0x5851f42d;

let width: i32 = 0;
/** The match symbols' frequency total. */
let matchTotal: i32 = 0;
/** A count's increment per coded symbol, and the total above which a context's counts halve. */
let increment: u16 = 0;
let countsHalveAbove: i32 = 0;
let followerStates: i32 = 2;
/** Neighbourhood counts (§7.13, version 12): table bits (0: none), weight, halving threshold. */
let tableMask: i32 = 0;
let neighbourhoodWeight: f64 = 0;
let neighbourhoodHalveAbove: i32 = 0;
let colours: usize = 0;
let symbols: usize = 0;
let counts: usize = 0;
let recent: usize = 0;
/** Per follower slot, the colour + 1 of the pixel that last followed its neighbourhood (float64; 0: none). */
let followers: SlotTable | null = null;
/** Per neighbourhood slot (version 12), its symbols' counts (uint16 × SYMBOLS). */
let neighbourhoodTable: SlotTable | null = null;
let patterns: usize = 0;
let candidates: usize = 0;
let starts: usize = 0;
let frequencies: usize = 0;
let followerSlot: i32 = 0;
let neighbourhoodSlot: i32 = 0;
/** The prepared pixel's neighbourhood counts, to read. */
let neighbourhoodCounts: usize = 0;
let context: i32 = 0;

/** Sets up the matches of `pixels` pixels of an image `imageWidth` pixels wide; returns where the symbols' starts (int32 × 12) lie, their frequencies just after. */
export function initMatches(imageWidth: i32, pixels: i32, total: i32, states: i32, tableBits: i32, weight: f64, halveAbove: i32, countIncrement: i32, countsHalving: i32): usize {
  width = imageWidth;
  matchTotal = total;
  increment = <u16>countIncrement;
  countsHalveAbove = countsHalving;
  followerStates = states;
  neighbourhoodWeight = weight;
  neighbourhoodHalveAbove = halveAbove;
  colours = zeroed(<usize>(3 * imageWidth) << 3);
  symbols = zeroed(<usize>(2 * imageWidth));
  const countsLength = PATTERN_CONTEXTS * states * SYMBOLS;
  counts = zeroed(<usize>countsLength << 1);
  for (let k = 0; k < countsLength; k++) store<u16>(counts + (<usize>k << 1), 1);
  recent = zeroed(RECENT_COLOURS << 3);
  for (let k = 0; k < RECENT_COLOURS; k++) store<f64>(recent + (<usize>k << 3), ABSENT);
  followers = new SlotTable(1 << FOLLOWER_TABLE_BITS, pixels, 8);
  if (tableBits > 0) {
    tableMask = (1 << tableBits) - 1;
    neighbourhoodTable = new SlotTable(1 << tableBits, pixels, SYMBOLS * 2);
  }
  // The pattern of W, N, NW, NE's equalities: their labels in order of first appearance, read
  // as base-4 digits of the last three, numbered 0 … 14.
  patterns = zeroed(64);
  memory.fill(patterns, 0xff, 64);
  let next: i8 = 0;
  for (let b = 0; b < 2; b++) for (let c = 0; c <= b + 1; c++) for (let d = 0; d <= max(b, c) + 1; d++) store<i8>(patterns + <usize>(b * 16 + c * 4 + d), next++);
  candidates = zeroed(SLOTS << 3);
  starts = zeroed(SYMBOLS << 3);
  frequencies = starts + (SYMBOLS << 2);
  return starts;
}

@inline function colourAt(pixel: i32): f64 {
  return load<f64>(colours + (<usize>(pixel % (3 * width)) << 3));
}

@inline function candidate(i: i32): f64 {
  return load<f64>(candidates + (<usize>i << 3));
}

@inline function frequency(s: i32): i32 {
  return load<i32>(frequencies + (<usize>s << 2));
}

@inline function setFrequency(s: i32, value: i32): void {
  store<i32>(frequencies + (<usize>s << 2), value);
}

@inline function setStart(s: i32, value: i32): void {
  store<i32>(starts + (<usize>s << 2), value);
}

/** A colour as the hash takes it: modulo 2^32, as a signed 32-bit integer. */
@inline function wrapped(colour: f64): i32 {
  return <i32>(<i64>colour);
}

/** The neighbourhood counts' hash of a pixel's pattern (0 … 14) and W, N, NW, NE colours. */
export function neighbourhoodKey(pattern: i32, w: f64, n: f64, nw: f64, ne: f64): i32 {
  return mix(mix(mix(mix(mix(NEIGHBOURHOOD_SEED, pattern), wrapped(w)), wrapped(n)), wrapped(nw)), wrapped(ne));
}

/** The followers' hash of a pixel's W, N, NW, NE and WW colours. */
export function followerKey(w: f64, n: f64, nw: f64, ne: f64, ww: f64): i32 {
  return mix(mix(mix(mix(mix(FOLLOWER_SEED, wrapped(w)), wrapped(n)), wrapped(nw)), wrapped(ne)), wrapped(ww));
}

/** Class of a coded symbol as context for its right and lower neighbours: W, N, another slot, or escape (also for an absent pixel). */
@inline function symbolClass(symbol: i32): i32 {
  return symbol === 0 ? 0 : symbol === 1 ? 1 : symbol === ESCAPE ? 3 : 2;
}

/** Works out pixel `pixel`'s candidates and symbol intervals; every pixel before it must have been learned. */
export function matchPrepare(pixel: i32): void {
  const x = pixel % width;
  const hasW = x > 0;
  const hasN = pixel >= width;
  store<f64>(candidates, hasW ? colourAt(pixel - 1) : ABSENT);
  store<f64>(candidates + 8, hasN ? colourAt(pixel - width) : ABSENT);
  store<f64>(candidates + 16, hasN && hasW ? colourAt(pixel - width - 1) : ABSENT);
  store<f64>(candidates + 24, hasN && x + 1 < width ? colourAt(pixel - width + 1) : ABSENT);
  store<f64>(candidates + 32, x > 1 ? colourAt(pixel - 2) : ABSENT);
  store<f64>(candidates + 40, pixel >= 2 * width ? colourAt(pixel - 2 * width) : ABSENT);
  followerSlot = followerKey(candidate(0), candidate(1), candidate(2), candidate(3), candidate(4)) & ((1 << FOLLOWER_TABLE_BITS) - 1);
  store<f64>(candidates + (FOLLOWER_SLOT << 3), load<f64>(followers!.at(followerSlot)) - 1);
  for (let i = 0; i < RECENT_COLOURS; i++) store<f64>(candidates + (<usize>(FOLLOWER_SLOT + 1 + i) << 3), load<f64>(recent + (<usize>i << 3)));

  // A slot is available where it holds a colour that no slot before it holds (frequency 1 for now).
  for (let i = 0; i < SLOTS; i++) {
    const colour = candidate(i);
    let first = colour !== ABSENT;
    for (let j = 0; j < i && first; j++) first = candidate(j) !== colour;
    setFrequency(i, first ? 1 : 0);
  }

  const w = candidate(0);
  const n = candidate(1);
  const nw = candidate(2);
  const ne = candidate(3);
  const labelN = n === w ? 0 : 1;
  const labelNW = nw === w ? 0 : nw === n ? labelN : labelN + 1;
  const labelNE = ne === w ? 0 : ne === n ? labelN : ne === nw ? labelNW : max(labelN, labelNW) + 1;
  const pattern = <i32>load<i8>(patterns + <usize>(labelN * 16 + labelNW * 4 + labelNE));
  const classW = hasW ? symbolClass(<i32>load<u8>(symbols + <usize>((pixel - 1) % (2 * width)))) : 3;
  const classN = hasN ? symbolClass(<i32>load<u8>(symbols + <usize>((pixel - width) % (2 * width)))) : 3;
  // The follower: a new colour (its slot available), or (3 states) a neighbour's colour, or absent.
  const follower = frequency(FOLLOWER_SLOT) !== 0 ? followerStates - 1 : candidate(FOLLOWER_SLOT) === ABSENT ? 0 : followerStates - 2;
  context = ((pattern * 4 + classW) * 4 + classN) * followerStates + follower;

  const base = context * SYMBOLS;
  let sum = 0;
  for (let s = 0; s < SYMBOLS; s++) {
    const f = s === ESCAPE || frequency(s) !== 0 ? <i32>load<u16>(counts + (<usize>(base + s) << 1)) : 0;
    setFrequency(s, f);
    sum += f;
  }
  if (tableMask !== 0) {
    neighbourhoodSlot = neighbourhoodKey(pattern, w, n, nw, ne) & tableMask;
    neighbourhoodCounts = neighbourhoodTable!.at(neighbourhoodSlot);
    mixNeighbourhood(sum);
    return;
  }
  // Scaled to 2^16 with floors; the remainder (less than the symbol count) goes to the escape.
  let start = 0;
  for (let s = 0; s < SYMBOLS; s++) {
    setStart(s, start);
    if (frequency(s) === 0) continue;
    const scaled = (frequency(s) * matchTotal) / sum;
    setFrequency(s, scaled);
    start += scaled;
  }
  setFrequency(ESCAPE, frequency(ESCAPE) + matchTotal - start);
}

@inline function seenAt(s: i32): i32 {
  return <i32>load<u16>(neighbourhoodCounts + (<usize>s << 1));
}

/**
 * The prepared pixel's intervals where the neighbourhood's counts h are mixed in: symbol s (of
 * K available, with context counts c totalling `sum`, and H = Σ h over them) gets
 * 1 + ⌊(2^16 − K)·(h_s·sum + weight·c_s) / ((H + weight)·sum)⌋, the escape the rest (≥ 1); in
 * float64, whose products stay below 2^53 (§7.13).
 */
function mixNeighbourhood(sum: i32): void {
  let available = 0;
  let seen = 0;
  for (let s = 0; s < SYMBOLS; s++) {
    if (frequency(s) === 0) continue;
    available++;
    seen += seenAt(s);
  }
  const spread = <f64>(matchTotal - available);
  const total = <f64>sum;
  const denominator = (<f64>seen + neighbourhoodWeight) * total;
  let start = 0;
  for (let s = 0; s < ESCAPE; s++) {
    setStart(s, start);
    if (frequency(s) === 0) continue;
    const f = 1 + <i32>Math.floor((spread * (<f64>seenAt(s) * total + neighbourhoodWeight * <f64>frequency(s))) / denominator);
    setFrequency(s, f);
    start += f;
  }
  setStart(ESCAPE, start);
  setFrequency(ESCAPE, matchTotal - start);
}

/** The symbol that codes `colour` at the prepared pixel: its first candidate slot holding it, else ESCAPE. */
export function matchSymbolOf(colour: f64): i32 {
  for (let i = 0; i < SLOTS; i++) if (frequency(i) !== 0 && candidate(i) === colour) return i;
  return ESCAPE;
}

/** The symbol whose interval holds `slot` (0 ≤ slot < 2^16). */
export function matchFind(slot: i32): i32 {
  for (let s = 0; s < ESCAPE; s++) if (frequency(s) !== 0 && slot < load<i32>(starts + (<usize>s << 2)) + frequency(s)) return s;
  return ESCAPE;
}

/** The colour that symbol `symbol` (not ESCAPE) repeats. */
export function matchColourOf(symbol: i32): f64 {
  return candidate(symbol);
}

/** Records the prepared pixel's symbol and colour: counts, the recent colours, its neighbours' view. */
export function matchLearn(pixel: i32, symbol: i32, colour: f64): void {
  store<f64>(colours + (<usize>(pixel % (3 * width)) << 3), colour);
  store<u8>(symbols + <usize>(pixel % (2 * width)), <u8>symbol);
  store<f64>(followers!.add(followerSlot), colour + 1);
  const base = counts + (<usize>(context * SYMBOLS) << 1);
  store<u16>(base + (<usize>symbol << 1), load<u16>(base + (<usize>symbol << 1)) + increment);
  let sum = 0;
  for (let s = 0; s < SYMBOLS; s++) sum += <i32>load<u16>(base + (<usize>s << 1));
  if (sum > countsHalveAbove) for (let s = 0; s < SYMBOLS; s++) store<u16>(base + (<usize>s << 1), <u16>((<u32>load<u16>(base + (<usize>s << 1)) + 1) >>> 1));
  if (tableMask !== 0) {
    const at = neighbourhoodTable!.add(neighbourhoodSlot);
    store<u16>(at + (<usize>symbol << 1), load<u16>(at + (<usize>symbol << 1)) + 1);
    let seen = 0;
    for (let s = 0; s < SYMBOLS; s++) seen += <i32>load<u16>(at + (<usize>s << 1));
    if (seen > neighbourhoodHalveAbove) for (let s = 0; s < SYMBOLS; s++) store<u16>(at + (<usize>s << 1), <u16>((<u32>load<u16>(at + (<usize>s << 1)) + 1) >>> 1));
  }
  // Move to front: the colour leaves its place (or the last) and enters first.
  let at = RECENT_COLOURS - 1;
  for (let i = 0; i < RECENT_COLOURS; i++) {
    if (load<f64>(recent + (<usize>i << 3)) === colour) {
      at = i;
      break;
    }
  }
  for (; at > 0; at--) store<f64>(recent + (<usize>at << 3), load<f64>(recent + (<usize>(at - 1) << 3)));
  store<f64>(recent, colour);
}
