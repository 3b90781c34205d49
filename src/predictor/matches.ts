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
import { instantiateKernels, type Kernels } from '../kernels/index.ts';

/** Candidate slots, in the order a colour is looked for: W, N, NW, NE, WW, NN, the follower, then the recent colours (as src/kernels/assembly/matches.ts lays them out). */
const SLOTS = 6 + 1 + 4;
/** The symbol of a pixel that repeats no candidate: the predictor codes its samples. */
export const ESCAPE = SLOTS;
const SYMBOLS = SLOTS + 1;
/** Frequencies of a match symbol total 2^MATCH_PRECISION_BITS. */
export const MATCH_PRECISION_BITS = 16;
/** A count's increment per coded symbol, and the total above which a context's counts halve. */
const INCREMENT = 32;
const HALVE_ABOVE = 8192;

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
 * The match model's state over one image's walk, in WebAssembly (src/kernels/assembly/matches.ts,
 * an instance of its own). Per pixel in raster order: `prepare` works out the candidates and the
 * symbols' intervals (`starts`, `frequencies`), then the coder reads `symbolOf` (encoder) or
 * `find` and `colourOf` (decoder), and `learn` records the pixel. Colours are colourAt's
 * numbers (src/image/image.ts).
 */
export class PixelMatches {
  private readonly kernels: Kernels;
  /** The prepared pixel's intervals (frequency 0: the symbol cannot occur). */
  readonly starts: Int32Array;
  readonly frequencies: Int32Array;

  /** The matches of the first `pixels` pixels of an image `width` pixels wide. */
  constructor(width: number, pixels: number, model: MatchModel) {
    const { kernels, memory } = instantiateKernels();
    const mixed = model.neighbourhoods;
    const at = kernels.initMatches(width, pixels, 2 ** MATCH_PRECISION_BITS, model.followerStates, mixed?.tableBits ?? 0, mixed?.weight ?? 0, mixed?.halveAbove ?? 0, INCREMENT, HALVE_ABOVE);
    this.kernels = kernels;
    this.starts = new Int32Array(memory.buffer, at, SYMBOLS);
    this.frequencies = new Int32Array(memory.buffer, at + SYMBOLS * Int32Array.BYTES_PER_ELEMENT, SYMBOLS);
  }

  /** Works out pixel `pixel`'s candidates and symbol intervals; every pixel before it must have been learned. */
  prepare(pixel: number): void {
    this.kernels.matchPrepare(pixel);
  }

  /** The symbol that codes `colour` at the prepared pixel: its first candidate slot holding it, else ESCAPE. */
  symbolOf(colour: number): number {
    return this.kernels.matchSymbolOf(colour);
  }

  /** The symbol whose interval holds `slot` (0 ≤ slot < 2^16). */
  find(slot: number): number {
    return this.kernels.matchFind(slot);
  }

  /** The colour that symbol `symbol` (not ESCAPE) repeats. */
  colourOf(symbol: number): number {
    return this.kernels.matchColourOf(symbol);
  }

  /** Records the prepared pixel's symbol and colour: counts, the recent colours, its neighbours' view. */
  learn(pixel: number, symbol: number, colour: number): void {
    this.kernels.matchLearn(pixel, symbol, colour);
  }
}
