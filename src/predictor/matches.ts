// Specified in docs/format.md §7.13.
/**
 * Pixel matches: before the predictor codes a pixel's samples, one symbol says whether the
 * pixel repeats a colour close by (a neighbour, the colour that last followed the same
 * neighbourhood, or one of the last few colours) and which, or that it does not (escape), in
 * which case the predictor codes its samples as usual. On
 * screenshots, diagrams and palette images most pixels repeat one of these, and a symbol
 * costs a fraction of a bit where the predictor's three samples cost several; on photos the
 * encoder leaves matches out (the file records which).
 *
 * The symbol's distribution is adaptive counts per context, the context being which of the
 * four nearest neighbours (W, N, NW, NE) equal one another, how W and N were themselves coded,
 * and whether the neighbourhood's last follower is a colour none of the six neighbours has
 * (from version 12: or one of theirs, or none).
 * Only the first slot holding a colour can code it, so repeated colours take no probability,
 * and an absent slot none either. The followers repeat what a neighbourhood did before: a
 * glyph's or an icon's next pixel. From coder parameters version 12 the counts of the exact
 * colours of W, N, NW and NE (hashed) are mixed in where that neighbourhood was seen before:
 * the same four colours tend to be followed the same way (an anti-aliased edge, a widget).
 */
import { sharedKernels } from '../kernels/index.ts';

/** One step of the hash the pixel matches share with the exact contexts (§7.10, §7.13; in WebAssembly with theirs). */
const mix = (h: number, value: number): number => sharedKernels().kernels.mix(h, value);

/** Candidate slots, in the order a colour is looked for: W, N, NW, NE, WW, NN, the follower, then the recent colours. */
const NEIGHBOUR_SLOTS = 6;
const FOLLOWER_SLOT = NEIGHBOUR_SLOTS;
export const RECENT_COLOURS = 4;
const SLOTS = NEIGHBOUR_SLOTS + 1 + RECENT_COLOURS;
/** The followers' table: 2^18 colours, indexed by a hash of W, N, NW, NE and WW. */
const FOLLOWER_TABLE_BITS = 18;
/** The symbol of a pixel that repeats no candidate: the predictor codes its samples. */
export const ESCAPE = SLOTS;
const SYMBOLS = SLOTS + 1;
/** Frequencies of a match symbol total 2^MATCH_PRECISION_BITS. */
export const MATCH_PRECISION_BITS = 16;
/** A count's increment per coded symbol, and the total above which a context's counts halve. */
const INCREMENT = 32;
const HALVE_ABOVE = 8192;
/** Equality patterns of W, N, NW, NE (the 15 set partitions of four), times 4 classes of W's symbol and 4 of N's (times the follower's states: MatchModel). */
const PATTERN_CONTEXTS = 15 * 4 * 4;
/** A colour that no pixel has: the stand-in of an absent neighbour. */
const ABSENT = -1;
/** The followers' hash starts from this (any constant: it is part of coder parameters version 10). */
const FOLLOWER_SEED = 0x2545f491;
/** The neighbourhood contexts' hash starts from this (likewise, version 12). */
const NEIGHBOURHOOD_SEED = 0x5851f42d;

/**
 * The counts of exact neighbourhoods: per hashed W, N, NW, NE colours, a count per symbol (+1
 * per pixel, all halved, rounding up, when their total passes `halveAbove`), mixed with the
 * context's distribution as if that were `weight` more counts.
 */
export interface NeighbourhoodCounts {
  tableBits: number;
  weight: number;
  halveAbove: number;
}

/** How a coder parameters version codes match symbols. */
export interface MatchModel {
  /** The follower in the context: 2 states (a new colour or not) or 3 (absent, a neighbour's colour, new). */
  followerStates: 2 | 3;
  /** Counts of exact neighbourhoods mixed into the context's (none: the context's alone). */
  neighbourhoods?: NeighbourhoodCounts;
}

/** Pixel matches of coder parameters version 10. */
export const MATCHES_VERSION_10: MatchModel = { followerStates: 2 };
/** Pixel matches of coder parameters version 12, which this build writes (docs/experiments.md, "Neighbourhood counts"). */
export const MATCHES: MatchModel = { followerStates: 3, neighbourhoods: { tableBits: 16, weight: 32, halveAbove: 255 } };

/**
 * The fewest bits a match symbol costs under `model`. Version 10: the escape's count is at least 1
 * of at most HALVE_ABOVE + INCREMENT, so its frequency is at least ⌊2^16 / 8224⌋ = 7, and another
 * symbol's at most 2^16 − 7. With neighbourhood counts every other available symbol keeps a
 * frequency of at least 1 (a pixel whose only symbol is the escape, the first, costs nothing
 * here but its samples).
 */
export function fewestMatchBits(model: MatchModel): number {
  const least = model.neighbourhoods ? 1 : Math.floor(2 ** MATCH_PRECISION_BITS / (HALVE_ABOVE + INCREMENT));
  return -Math.log2(1 - least / 2 ** MATCH_PRECISION_BITS);
}

/**
 * Pattern index of W, N, NW, NE's equalities: their labels in order of first appearance (the
 * first is always 0), read as base-4 digits of the last three, mapped to 0 … 14.
 */
const PATTERNS = (() => {
  const table = new Int8Array(64).fill(-1);
  let next = 0;
  for (let b = 0; b < 2; b++) for (let c = 0; c <= b + 1; c++) for (let d = 0; d <= Math.max(b, c) + 1; d++) table[b * 16 + c * 4 + d] = next++;
  return table;
})();

/** Class of a coded symbol as context for its right and lower neighbours: W, N, another slot, or escape (also for an absent pixel). */
const symbolClass = (symbol: number): number => (symbol === 0 ? 0 : symbol === 1 ? 1 : symbol === ESCAPE ? 3 : 2);

/**
 * The match model's state over one image's walk. Per pixel in raster order: `prepare` works
 * out the candidates and the symbols' intervals (`starts`, `frequencies`), then the coder reads
 * `symbolOf` (encoder) or `find` and `colourOf` (decoder), and `learn` records the pixel.
 * Colours are colourAt's numbers (src/image/image.ts).
 */
export class PixelMatches {
  /** The last three rows' colours (coded samples as base-256 digits, channel 0 lowest), pixel p at p mod 3W. */
  private readonly colours: Float64Array;
  /** The last two rows' symbols, for their neighbours' contexts, pixel p at p mod 2W. */
  private readonly symbols: Uint8Array;
  private readonly counts: Uint16Array;
  private readonly recent = new Float64Array(RECENT_COLOURS).fill(ABSENT);
  /**
   * For each hashed neighbourhood, 1 + the colour of the last pixel that had it (0, ABSENT + 1:
   * none yet), so that the table starts as the zeros a new array holds: a small image never
   * touches most of its 2 MiB.
   */
  private readonly followers = new Float64Array(2 ** FOLLOWER_TABLE_BITS);
  private followerSlot = 0;
  /** Where the model has neighbourhood counts: per hashed neighbourhood, SYMBOLS counts (zeros: a new array), and the current pixel's row of them. */
  private readonly neighbourhoodTable?: Uint16Array;
  private neighbourhoodBase = 0;
  private readonly candidates = new Float64Array(SLOTS);
  /** The current pixel's intervals (frequency 0: the symbol cannot occur). */
  readonly starts = new Int32Array(SYMBOLS);
  readonly frequencies = new Int32Array(SYMBOLS);
  private context = 0;

  constructor(
    private readonly width: number,
    private readonly model: MatchModel,
  ) {
    this.colours = new Float64Array(3 * width);
    this.symbols = new Uint8Array(2 * width);
    this.counts = new Uint16Array(PATTERN_CONTEXTS * model.followerStates * SYMBOLS).fill(1);
    if (model.neighbourhoods) this.neighbourhoodTable = new Uint16Array(2 ** model.neighbourhoods.tableBits * SYMBOLS);
  }

  private colourAt(pixel: number): number {
    return this.colours[pixel % (3 * this.width)];
  }

  private symbolAt(pixel: number): number {
    return this.symbols[pixel % (2 * this.width)];
  }

  /** Works out pixel `pixel`'s candidates and symbol intervals; every pixel before it must have been learned. */
  prepare(pixel: number): void {
    const { width, candidates, counts, starts, frequencies } = this;
    const x = pixel % width;
    const hasW = x > 0;
    const hasN = pixel >= width;
    candidates[0] = hasW ? this.colourAt(pixel - 1) : ABSENT;
    candidates[1] = hasN ? this.colourAt(pixel - width) : ABSENT;
    candidates[2] = hasN && hasW ? this.colourAt(pixel - width - 1) : ABSENT;
    candidates[3] = hasN && x + 1 < width ? this.colourAt(pixel - width + 1) : ABSENT;
    candidates[4] = x > 1 ? this.colourAt(pixel - 2) : ABSENT;
    candidates[5] = pixel >= 2 * width ? this.colourAt(pixel - 2 * width) : ABSENT;
    this.followerSlot = followerKey(candidates[0], candidates[1], candidates[2], candidates[3], candidates[4]) & (2 ** FOLLOWER_TABLE_BITS - 1);
    candidates[FOLLOWER_SLOT] = this.followers[this.followerSlot] - 1;
    for (let i = 0; i < RECENT_COLOURS; i++) candidates[FOLLOWER_SLOT + 1 + i] = this.recent[i];

    // A slot is available where it holds a colour that no slot before it holds (frequency 1 for now).
    for (let i = 0; i < SLOTS; i++) {
      const colour = candidates[i];
      let first = colour !== ABSENT;
      for (let j = 0; j < i && first; j++) first = candidates[j] !== colour;
      frequencies[i] = first ? 1 : 0;
    }

    const w = candidates[0];
    const n = candidates[1];
    const nw = candidates[2];
    const ne = candidates[3];
    const labelN = n === w ? 0 : 1;
    const labelNW = nw === w ? 0 : nw === n ? labelN : labelN + 1;
    const labelNE = ne === w ? 0 : ne === n ? labelN : ne === nw ? labelNW : Math.max(labelN, labelNW) + 1;
    const pattern = PATTERNS[labelN * 16 + labelNW * 4 + labelNE];
    const classW = hasW ? symbolClass(this.symbolAt(pixel - 1)) : 3;
    const classN = hasN ? symbolClass(this.symbolAt(pixel - width)) : 3;
    // The follower: a new colour (its slot available), or (3 states) a neighbour's colour, or absent.
    const follower = frequencies[FOLLOWER_SLOT] !== 0 ? this.model.followerStates - 1 : candidates[FOLLOWER_SLOT] === ABSENT ? 0 : this.model.followerStates - 2;
    this.context = ((pattern * 4 + classW) * 4 + classN) * this.model.followerStates + follower;

    const base = this.context * SYMBOLS;
    let total = 0;
    for (let s = 0; s < SYMBOLS; s++) {
      frequencies[s] = s === ESCAPE || frequencies[s] !== 0 ? counts[base + s] : 0;
      total += frequencies[s];
    }
    const mixed = this.model.neighbourhoods;
    if (mixed) {
      this.neighbourhoodBase = (neighbourhoodKey(pattern, w, n, nw, ne) & (2 ** mixed.tableBits - 1)) * SYMBOLS;
      this.mixNeighbourhood(total, mixed.weight);
      return;
    }
    // Scaled to 2^16 with floors; the remainder (less than the symbol count) goes to the escape.
    // Every count is ≥ 1 and the total ≤ HALVE_ABOVE + INCREMENT = 8224, so every frequency is ≥ 7.
    let start = 0;
    for (let s = 0; s < SYMBOLS; s++) {
      starts[s] = start;
      if (frequencies[s] === 0) continue;
      frequencies[s] = Math.floor((frequencies[s] * 2 ** MATCH_PRECISION_BITS) / total);
      start += frequencies[s];
    }
    frequencies[ESCAPE] += 2 ** MATCH_PRECISION_BITS - start;
  }

  /**
   * The prepared pixel's intervals where the neighbourhood's counts h are mixed in: symbol s (of
   * K available, with context counts c totalling `total`, and H = Σ h over them) gets
   * 1 + ⌊(2^16 − K)·(h_s·total + weight·c_s) / ((H + weight)·total)⌋, the escape the rest (≥ 1).
   * The products stay below 2^53 and their quotients' floors are exact (docs/format.md §7.13).
   */
  private mixNeighbourhood(total: number, weight: number): void {
    const { frequencies, starts, neighbourhoodBase } = this;
    const neighbourhoods = this.neighbourhoodTable!;
    let available = 0;
    let seen = 0;
    for (let s = 0; s < SYMBOLS; s++) {
      if (frequencies[s] === 0) continue;
      available++;
      seen += neighbourhoods[neighbourhoodBase + s];
    }
    const spread = 2 ** MATCH_PRECISION_BITS - available;
    const denominator = (seen + weight) * total;
    let start = 0;
    for (let s = 0; s < ESCAPE; s++) {
      starts[s] = start;
      if (frequencies[s] === 0) continue;
      frequencies[s] = 1 + Math.floor((spread * (neighbourhoods[neighbourhoodBase + s] * total + weight * frequencies[s])) / denominator);
      start += frequencies[s];
    }
    starts[ESCAPE] = start;
    frequencies[ESCAPE] = 2 ** MATCH_PRECISION_BITS - start;
  }

  /** The symbol that codes `colour` at the prepared pixel: its first candidate slot holding it, else ESCAPE. */
  symbolOf(colour: number): number {
    for (let i = 0; i < SLOTS; i++) if (this.frequencies[i] !== 0 && this.candidates[i] === colour) return i;
    return ESCAPE;
  }

  /** The symbol whose interval holds `slot` (0 ≤ slot < 2^16). */
  find(slot: number): number {
    for (let s = 0; s < ESCAPE; s++) if (this.frequencies[s] !== 0 && slot < this.starts[s] + this.frequencies[s]) return s;
    return ESCAPE;
  }

  /** The colour that symbol `symbol` (not ESCAPE) repeats. */
  colourOf(symbol: number): number {
    return this.candidates[symbol];
  }

  /** Records the prepared pixel's symbol and colour: counts, the recent colours, its neighbours' view. */
  learn(pixel: number, symbol: number, colour: number): void {
    const { counts, recent } = this;
    this.colours[pixel % (3 * this.width)] = colour;
    this.symbols[pixel % (2 * this.width)] = symbol;
    this.followers[this.followerSlot] = colour + 1;
    const base = this.context * SYMBOLS;
    counts[base + symbol] += INCREMENT;
    let total = 0;
    for (let s = 0; s < SYMBOLS; s++) total += counts[base + s];
    if (total > HALVE_ABOVE) for (let s = 0; s < SYMBOLS; s++) counts[base + s] = (counts[base + s] + 1) >>> 1;
    const mixed = this.model.neighbourhoods;
    if (mixed) {
      const seen = this.neighbourhoodTable!;
      const at = this.neighbourhoodBase;
      seen[at + symbol]++;
      let sum = 0;
      for (let s = 0; s < SYMBOLS; s++) sum += seen[at + s];
      if (sum > mixed.halveAbove) for (let s = 0; s < SYMBOLS; s++) seen[at + s] = (seen[at + s] + 1) >>> 1;
    }
    // Move to front: the colour leaves its place (or the last) and enters first.
    let at = recent.indexOf(colour);
    if (at < 0) at = RECENT_COLOURS - 1;
    for (; at > 0; at--) recent[at] = recent[at - 1];
    recent[0] = colour;
  }
}

/** The neighbourhood counts' hash of a pixel's pattern (0 … 14) and W, N, NW, NE colours (ABSENT where missing): a signed 32-bit integer. */
export function neighbourhoodKey(pattern: number, w: number, n: number, nw: number, ne: number): number {
  return mix(mix(mix(mix(mix(NEIGHBOURHOOD_SEED, pattern), w), n), nw), ne);
}

/** The followers' hash of a pixel's W, N, NW, NE and WW colours (ABSENT, −1, where missing): a signed 32-bit integer. */
export function followerKey(w: number, n: number, nw: number, ne: number, ww: number): number {
  return mix(mix(mix(mix(mix(FOLLOWER_SEED, w), n), nw), ne), ww);
}
