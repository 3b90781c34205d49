// Specified in docs/format.md §7.1, §7.2, §7.4, §7.5, §7.11, §7.12.
/**
 * A classic predictive coder for the rows of an image: each sample, in raster order with the
 * channels of a pixel in turn, under a discretised distribution whose mean is predicted from the
 * samples before it (a blend of MED and a smooth predictor on the same channel, corrected by
 * the residuals of the pixel's earlier channels) and whose spread grows with the local
 * gradients and with how wrong the prediction was at the neighbours.
 *
 * It needs no initial bits and no network, so the bits-back chain uses it where the chain is
 * weakest: the bottom rows of an image, pushed before the chain so that the chain's first pops
 * read them instead of pseudo-random seed words (HiLLoC seeded its chain with FLIF the same
 * way), and whole images too small for the chain to pay its way.
 *
 * Every parameter is computed with IEEE-754 basic operations from integer samples, so encoder
 * and decoder agree on any machine (docs/format.md §1).
 */
import { GAUSSIAN_PRECISION_BITS, HEAD_MIN_BITS, type Message, powerOfTwo, type ScaleMixture, WORD_BITS } from '../ans/index.ts';
import { ESCAPE, MATCH_PRECISION_BITS, MATCHES, MATCHES_VERSION_10, type MatchModel, PixelMatches } from './matches.ts';
import { MEAN_PRIOR_WEIGHTS, REFINEMENT_PRIOR_CHANNELS, SPREAD_PRIOR_WEIGHTS } from './refinement-prior.ts';
import { NEIGHBOURHOOD_FEATURES, regressionPriors, SPREAD_FEATURES, type Refinement } from './refinement.ts';
import { installGaussians, MIXTURE_SHARE_UNITS } from '../ans/gaussian.ts';
import { instantiateKernels, type Kernels } from '../kernels/index.ts';
import { colourAt, SAMPLE_MAX, writeColourAt } from '../image/image.ts';

/**
 * The predictor's constants. For a sample with base prediction b (the blend of MED and the
 * smooth predictor over its N, W, NW, NE neighbours in the same channel):
 *
 *   mean = b + carry·r₁ + carryTwoBack·r₂, clamped to [0, 255]
 *   σ    = stdFloor + stdPerGradient·g + stdPerResidual·|r₁| + stdPerNeighbourError·e
 *
 * where r₁ and r₂ are the residuals (sample − base) of the pixel's previous channel and the
 * one before it, g the mean absolute gradient between the neighbours, and e the mean
 * |residual| at W, N and NE in the same channel; `adaptation` and `refinement` then learn
 * corrections from the image as it goes. The constants are part of the format (coder
 * parameters version 9, docs/format.md §7): they never change for files already written.
 */
export interface Predictor {
  carry: number;
  carryTwoBack: number;
  stdFloor: number;
  stdPerGradient: number;
  stdPerResidual: number;
  stdPerNeighbourError: number;
  /** The wide component of the sample distribution; a share of 0 leaves one Gaussian. */
  tails: ScaleMixture;
  /** What the predictor learns from the image as it goes. */
  adaptation: Adaptation;
  /** Least-squares fits of the mean and the spread. */
  refinement: Refinement;
  /**
   * The least a sample can cost (bits), a bound the decoder's length check relies on. Without
   * histograms: the mean lies in [0, 255] and σ ≥ stdFloor, so no symbol is likelier than an
   * edge value with the mean on it.
   */
  minSampleBits: number;
  /** How pixel matches are coded (§7.13), where a file has them. */
  matches: MatchModel;
}

/**
 * What the predictor learns from the image as it goes. Per-context learning, as JPEG-LS and
 * CALIC do it: a sample's context is its channel and the
 * quantised local differences NE − N, N − NW and NW − W. Each context keeps the sum of its
 * residuals (sample − fixed prediction), of its absolute errors and of the spreads it was coded
 * under, and a count; sums and count halve when the count reaches `halveAt`, so the estimates
 * follow the image. The mean moves by Σ residual / (count + biasPrior); σ scales by
 * (Σ |error| + spreadPrior) / (Σ σ + spreadPrior), never below stdFloor. The priors keep the
 * first few samples of a context from swinging it.
 */
export interface Adaptation {
  /** |d| below thresholds[0] quantises to 0, below thresholds[1] to ±1, …, beyond the last to ±length. */
  thresholds: readonly number[];
  biasPrior: number;
  spreadPrior: number;
  halveAt: number;
  /**
   * The carries are learned too, per channel, by least squares of the channel's residual on
   * the earlier channels' residuals (one for the second channel, two from the third on),
   * ridge-regressed towards the fixed carries with this weight: how strongly colours move
   * together differs from picture to picture.
   */
  carryPrior: number;
}

/**
 * The predictor of coder parameters versions 9 and 10 (files written before version 11). Its constants were tuned on 32×32 crops and
 * 256×256 crops of the training photos; the regressions start from weights fitted on the
 * training photos (refinement-prior.ts) and are pulled towards them by ridges that fade as
 * 0.999ⁿ after n samples, so that a small picture starts from what photos usually do and a
 * large one soon fits itself alone (with a prior, the spread regression sets σ from the first
 * sample). Measured results are in docs/experiments.md.
 * Least cost: an exact context can make a value as likely as the 24-bit frequencies allow, so
 * the bound is theirs: the 255 other values keep a frequency of at least 1 each, and
 * −log2(1 − 255/2^24) = 2.19·10⁻⁵ bits.
 */
export const PREDICTOR_VERSION_9: Predictor = {
  carry: 0.63,
  carryTwoBack: 0.1,
  stdFloor: 0.1,
  stdPerGradient: 0.17,
  stdPerResidual: 0.11,
  stdPerNeighbourError: 0.39,
  tails: { wideShare: 1 / 8, wideScale: 3 },
  adaptation: { thresholds: [4, 16], biasPrior: 16, spreadPrior: 8, halveAt: 64, carryPrior: 100 },
  refinement: {
    meanRidge: 200,
    meanForgetting: { first: 0.999, after: 16384, later: 0.999 },
    activityClasses: 6,
    spreadScale: 1.1,
    spreadRidge: 100,
    spreadForgetting: { first: 0.9999, after: 16384, later: 0.9999 },
    spreadWarmup: 0,
    solves: { every: 4, settledAfter: 4096, settledEvery: 4 },
    histograms: {
      maxStd: 3,
      spreadClasses: 12,
      fractions: 4,
      reach: 12,
      prior: 64,
      halveAt: 4096,
      exact: { minTableBits: 17, maxTableBits: 19, halveAt: 1024, countClasses: 8, rate: 0.003, floor: 0.01, initialWeight: 0.5, firstChannel: false },
    },
    prior: {
      channels: REFINEMENT_PRIOR_CHANNELS,
      means: MEAN_PRIOR_WEIGHTS,
      spreads: SPREAD_PRIOR_WEIGHTS,
      meanPull: 3000,
      spreadPull: 100_000,
      fade: 0.999,
    },
  },
  minSampleBits: 2.1e-5,
  matches: MATCHES_VERSION_10,
};

/**
 * The predictor of coder parameters versions 11 and 12, which this build writes: version 9's,
 * with each regression solving every 16 updates instead of 4 once it has had 4,096 (the solves
 * were a quarter of the predictor's time, and a fit of thousands of samples moves little
 * between them: the walk is about 20% faster), and a mean regression forgetting more slowly
 * (λ 0.9995) once it has had 16,384 (a large picture has the samples for a longer memory).
 * Small pictures (fewer updates than that per regression) keep their bytes
 * (docs/experiments.md, "Fewer solves").
 */
export const PREDICTOR: Predictor = {
  ...PREDICTOR_VERSION_9,
  refinement: {
    ...PREDICTOR_VERSION_9.refinement,
    solves: { every: 4, settledAfter: 4096, settledEvery: 16 },
    meanForgetting: { first: 0.999, after: 16384, later: 0.9995 },
  },
  matches: MATCHES,
};

/**
 * The predictor of coder parameters versions 13 and 14: version 11's, with exact contexts for
 * the first channel as well (docs/format.md §7.10). Rendered gradients, text and icons repeat
 * their local shapes exactly, which these count (the synthetic fixtures' files −1.2%,
 * color-space −7%); photographs gain nothing and walk a fifth slower, so the encoder chooses it
 * per file (docs/experiments.md, "Exact contexts for the first channel").
 */
export const PREDICTOR_FIRST_CHANNEL_CONTEXTS: Predictor = {
  ...PREDICTOR,
  refinement: {
    ...PREDICTOR.refinement,
    histograms: { ...PREDICTOR.refinement.histograms, exact: { ...PREDICTOR.refinement.histograms.exact!, firstChannel: true } },
  },
};

/**
 * Rows [top, bottom) of a width × (≥ bottom) image of `channels` interleaved 8-bit samples,
 * of which the first `coded` channels are coded (a constant alpha channel is not), under
 * `predictor`.
 */
export interface RowBand {
  width: number;
  channels: number;
  coded: number;
  top: number;
  bottom: number;
  predictor: Predictor;
}

/**
 * Walks an image's coded samples in raster order from its first row and gives each one's
 * distribution (§7.2–§7.11): a WebAssembly instance of its own (src/kernels/assembly/walker.ts)
 * holds the walk's state (the rows' base predictions and means, the context learner, the
 * refiner's regressions, the histograms) and a window of the three rows a sample's
 * neighbourhood reaches. Rows the caller knows (`known`: all of them when encoding, those above
 * the band when decoding) are copied in as the walk enters them; a decoder's samples reach the
 * window as they are popped (`pop`) or matched (`writeColour`), each before the next sample's
 * distribution is asked for. A band that starts lower walks the rows above it first, so that a
 * sample's distribution depends on the samples before it and on nothing else.
 */
class BandWalker {
  private readonly kernels: Kernels;
  /** The window: rows y − 2 … y of the image, y the row being walked; image sample i at i − `windowBase`. */
  private readonly window: Uint8Array;
  private windowRow = -1;
  private windowBase = 0;
  /** The mean and σ of the sample `next` gave last, and the interval [start, end) a kernel found. */
  private readonly distribution: Float64Array;
  private readonly found: Float64Array;
  private readonly memory: WebAssembly.Memory;
  /** Samples walked, that sample's index, and whether a count window shapes its distribution. */
  private walked = 0;
  private index = 0;
  private blended = false;
  /** Room for the tail of a message lent to the kernel (popSamples). */
  private readonly lentTail: Uint16Array;

  constructor(
    private readonly samples: Uint8Array,
    private readonly band: RowBand,
    /** Rows of `samples` that hold their values from the start. */
    private readonly known: number,
    /** The tail words of the message a decoder will lend the kernel (`lend`), to lay out room for (the kernel pops a copy: as much memory again as the tail). */
    tailWords = 0,
  ) {
    const { predictor: p, width, channels, coded } = band;
    const { adaptation: a, refinement: r } = p;
    const { histograms: h } = r;
    const { exact } = h;
    const { kernels, memory } = instantiateKernels();
    const found = installGaussians(kernels, memory, 2 * (2 * h.reach + 1));
    // Each exact table has as many slots as the walk has samples, a power of two within its bounds.
    const walked = band.bottom * width * coded;
    let slots = exact ? 2 ** exact.minTableBits : 0;
    while (exact && slots < walked && slots < 2 ** exact.maxTableBits) slots *= 2;
    kernels.initHistograms(
      SAMPLE_MAX + 1,
      channels,
      p.stdFloor,
      h.maxStd,
      h.spreadClasses,
      h.fractions,
      h.reach,
      h.prior,
      h.halveAt,
      exact !== undefined && (channels > 1 || exact.firstChannel),
      slots,
      walked,
      exact?.halveAt ?? 1,
      exact?.countClasses ?? 1,
      exact?.rate ?? 0,
      exact?.floor ?? 0,
      exact?.initialWeight ?? 0,
      exact?.firstChannel ?? false,
      p.tails.wideShare * MIXTURE_SHARE_UNITS,
      p.tails.wideScale,
    );
    const windowAt = kernels.initWalk(width, channels, coded, SAMPLE_MAX, p.carry, p.carryTwoBack, p.stdFloor, p.stdPerGradient, p.stdPerResidual, p.stdPerNeighbourError);
    kernels.initLearner(copyIn(kernels, memory, Float64Array.from(a.thresholds)), a.thresholds.length, a.biasPrior, a.spreadPrior, a.halveAt, a.carryPrior);
    kernels.initRefiner(r.activityClasses, r.spreadScale, r.spreadWarmup);
    regressionPriors(r, channels).forEach(({ spread, k, prior }) => {
      const { first, after, later } = spread ? r.spreadForgetting : r.meanForgetting;
      const size = spread ? SPREAD_FEATURES : NEIGHBOURHOOD_FEATURES;
      if (prior && prior.weights.length !== size) throw new RangeError(`prior has ${prior.weights.length} weights for ${size} features`);
      const priorAt = prior ? copyIn(kernels, memory, Float64Array.from(prior.weights)) : 0;
      kernels.setRegression(spread, k, size, spread ? r.spreadRidge : r.meanRidge, first, after, later, r.solves.every, r.solves.settledAfter, r.solves.settledEvery, priorAt, prior?.pull ?? 0, prior?.fade ?? 1);
    });
    const tailAt = kernels.alloc(tailWords * Uint16Array.BYTES_PER_ELEMENT);
    kernels.initMessage(tailAt, powerOfTwo(HEAD_MIN_BITS), powerOfTwo(WORD_BITS));
    this.kernels = kernels;
    this.memory = memory;
    // The views last: the set-up above is what grows the memory.
    this.lentTail = new Uint16Array(memory.buffer, tailAt, tailWords);
    this.window = new Uint8Array(memory.buffer, windowAt, 3 * width * channels);
    this.distribution = new Float64Array(memory.buffer, kernels.walkOut(), 2);
    this.found = new Float64Array(memory.buffer, found, 2);
    const out = new Float64Array(2);
    for (let k = band.top * width * coded; k > 0; k--) this.next(out);
  }

  /** Moves the window to row y (the row walked or the next), filling it from `samples` where the row is known. */
  enterRow(y: number): void {
    if (y === this.windowRow) return;
    const rowLength = this.band.width * this.band.channels;
    this.windowBase = this.kernels.enterRow(y);
    this.windowRow = y;
    if (y < this.known) this.window.set(this.samples.subarray(y * rowLength, (y + 1) * rowLength), 2 * rowLength);
  }

  /** Writes the next sample's mean and σ to out[0], out[1]; returns its index into the samples. */
  next(out: Float64Array): number {
    const { coded, width } = this.band;
    const c = this.walked % coded;
    this.enterRow(Math.floor((this.walked - c) / coded / width));
    this.walked++;
    const step = this.kernels.next();
    this.blended = step >= 0;
    this.index = step >= 0 ? step : -1 - step;
    out[0] = this.distribution[0];
    out[1] = this.distribution[1];
    return this.index;
  }

  /** The interval [start, start + frequency) of `value` under the distribution `next` gave last, to out[0] and out[1]. */
  interval(value: number, out: Float64Array): void {
    this.kernels.interval(value, this.blended);
    out[0] = this.found[0];
    out[1] = this.found[1] - this.found[0];
  }

  /** Pops the value of the sample `next` gave last into the window; returns it. */
  pop(m: Message): number {
    const value = this.kernels.decode(m.peek(GAUSSIAN_PRECISION_BITS), this.index, this.blended);
    m.pop(this.found[0], this.found[1] - this.found[0], GAUSSIAN_PRECISION_BITS);
    return value;
  }

  /** Lends `m` to the kernel, which pops the samples of popSamples from it until `giveBack`; `m` is not to be touched meanwhile. */
  lend(m: Message): void {
    const { head, tail, borrowed } = m.lend();
    if (tail.length > this.lentTail.length) throw new RangeError('the message has more tail words than the walk has room for');
    this.lentTail.set(tail);
    this.kernels.loadMessage(head, tail.length, borrowed);
  }

  /** Gives the lent message back, as the kernel's pops left it. */
  giveBack(m: Message): void {
    m.resume(this.kernels.messageHead(), this.kernels.messageTailLength(), this.kernels.messageBorrowed());
  }

  /**
   * Pops the walk's next `count` samples (of the row last entered, which a decoder enters with
   * `enterRow`) from the lent message, in one call of the kernel, into the window; false where
   * the message ran out. `copyRow` then gives a finished row to `samples`.
   */
  popSamples(count: number): boolean {
    this.walked += count;
    return this.kernels.decodeSamples(count) !== 0;
  }

  /** Copies row y, decoded in the window, into `samples` (its coded channels). */
  copyRow(y: number): void {
    const { width, channels, coded } = this.band;
    const rowLength = width * channels;
    const row = this.window.subarray(2 * rowLength, 3 * rowLength);
    if (coded === channels) this.samples.set(row, y * rowLength);
    else for (let i = 0; i < rowLength; i += channels) for (let c = 0; c < coded; c++) this.samples[y * rowLength + i + c] = row[i + c];
  }

  /** Writes pixel `pixel`'s coded samples (the colour `colour`, as colourAt numbers it) into the window, before the walk reaches it. */
  writeColour(pixel: number, colour: number): void {
    this.enterRow(Math.floor(pixel / this.band.width));
    writeColourAt(this.window, pixel * this.band.channels - this.windowBase, this.band.coded, colour);
  }

  /** Regression k's weights (a copy) and how many samples it learned from. */
  learned(spread: boolean, k: number): LearnedWeights {
    const size = spread ? SPREAD_FEATURES : NEIGHBOURHOOD_FEATURES;
    const weights = new Float64Array(this.memory.buffer, this.kernels.regressionWeights(spread, k), size);
    return { weights: Float64Array.from(weights), count: this.kernels.regressionUpdates(spread, k) };
  }
}

/** Copies `values` into fresh room in the instance's memory; returns where. */
function copyIn(kernels: Kernels, memory: WebAssembly.Memory, values: Float64Array): number {
  const at = kernels.alloc(values.byteLength);
  new Float64Array(memory.buffer, at, values.length).set(values);
  return at;
}

/** The band's coded samples. */
export function bandSamples(band: Omit<RowBand, 'predictor'>): number {
  return (band.bottom - band.top) * band.width * band.coded;
}

/** The band's coded samples in raster order, with the means and spreads they are coded under. */
export function bandDistributions(samples: Uint8Array, band: RowBand): { values: Int32Array; means: Float64Array; stds: Float64Array } {
  const count = bandSamples(band);
  const values = new Int32Array(count);
  const means = new Float64Array(count);
  const stds = new Float64Array(count);
  const walker = new BandWalker(samples, band, band.bottom);
  const out = new Float64Array(2);
  for (let k = 0; k < count; k++) {
    values[k] = samples[walker.next(out)];
    [means[k], stds[k]] = out;
  }
  return { values, means, stds };
}

/**
 * The weights each regression of the refinement ends with after the band (mean: per channel ×
 * activity classes + class; spread: per channel), and how many samples each learned from: what
 * scripts/fit-refinement-prior.ts averages into a prior.
 */
export function learnedWeights(samples: Uint8Array, band: RowBand): Record<'means' | 'spreads', LearnedWeights[]> {
  const walker = new BandWalker(samples, band, band.bottom);
  const out = new Float64Array(2);
  for (let k = bandSamples(band); k > 0; k--) walker.next(out);
  const regressions = regressionPriors(band.predictor.refinement, band.channels);
  return {
    means: regressions.filter((r) => !r.spread).map(({ k }) => walker.learned(false, k)),
    spreads: regressions.filter((r) => r.spread).map(({ k }) => walker.learned(true, k)),
  };
}

/** A regression's weights after a walk, and how many samples it learned from. */
export type LearnedWeights = { weights: Float64Array; count: number };

/** Samples between two pauses of pushRows and popRows, so that a large image lets signals (Ctrl-C) through. */
const SAMPLES_PER_PAUSE = 2 ** 16;
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Works out the interval [start, start + frequency) (total 2^GAUSSIAN_PRECISION_BITS) that
 * each of the band's coded samples takes, in raster order, into `starts` and `frequencies`.
 * Forwards, because the distributions learn from the samples before them (they are pushed
 * backwards); yields every SAMPLES_PER_PAUSE samples.
 */
function* walkIntervals(samples: Uint8Array, band: RowBand, starts: Float64Array, frequencies: Float64Array): Generator<void> {
  const walker = new BandWalker(samples, band, band.bottom);
  const out = new Float64Array(2);
  const interval = new Float64Array(2);
  for (let k = 0; k < starts.length; k++) {
    walker.interval(samples[walker.next(out)], interval);
    [starts[k], frequencies[k]] = interval;
    if ((k + 1) % SAMPLES_PER_PAUSE === 0) yield;
  }
}

/** Every coded sample's interval [start, start + frequency) of 2^GAUSSIAN_PRECISION_BITS, in walk order. */
export type BandIntervals = { starts: Float64Array; frequencies: Float64Array };

/**
 * The band's intervals (the predictor's whole walk, its costly part), yielding to the event
 * loop every SAMPLES_PER_PAUSE samples; `onProgress` hears how many samples are done then.
 */
export async function bandIntervals(samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void): Promise<BandIntervals> {
  const count = bandSamples(band);
  const intervals = { starts: new Float64Array(count), frequencies: new Float64Array(count) };
  let done = 0;
  for (const _ of walkIntervals(samples, band, intervals.starts, intervals.frequencies)) {
    onProgress?.((done += SAMPLES_PER_PAUSE));
    await pause();
  }
  return intervals;
}

/** How pushRows codes: `onProgress` hears how many samples are done at every pause. */
export type PushOptions = {
  onProgress?: (samplesDone: number) => void;
  /** Code pixel matches (§7.13) where that makes the band smaller; only for a band of every row. */
  tryMatches?: boolean;
  /** The band's intervals, where bandIntervals already worked them out (in a worker, say). */
  intervals?: BandIntervals;
};

/**
 * Pushes the band's samples (rows above it are context); the matching pop returns them in
 * raster order. With `tryMatches`, the pixel matches' symbols are worked out beside the
 * samples' intervals (the predictor's walk is the same either way, as matched pixels are still
 * learned from) and coded where they make the band smaller. Returns whether they were.
 */
export async function pushRows(m: Message, samples: Uint8Array, band: RowBand, options: PushOptions = {}): Promise<boolean> {
  const count = bandSamples(band);
  const { starts, frequencies } = options.intervals ?? (await bandIntervals(samples, band, options.onProgress));
  if (starts.length !== count) throw new Error('the intervals are not those of this band');
  const matches = options.tryMatches ? matchSymbols(samples, band) : undefined;
  if (matches && matchesPay(matches, frequencies, band.coded)) {
    const { starts: symbolStarts, frequencies: symbolFrequencies, symbols } = matches;
    for (let pixel = symbols.length - 1; pixel >= 0; pixel--) {
      if (symbols[pixel] === ESCAPE) for (let k = (pixel + 1) * band.coded - 1; k >= pixel * band.coded; k--) m.push(starts[k], frequencies[k], GAUSSIAN_PRECISION_BITS);
      m.push(symbolStarts[pixel], symbolFrequencies[pixel], MATCH_PRECISION_BITS);
    }
    return true;
  }
  for (let k = count - 1; k >= 0; k--) m.push(starts[k], frequencies[k], GAUSSIAN_PRECISION_BITS);
  return false;
}

/** Each pixel's match symbol and its interval, for a band of every row. */
function matchSymbols(samples: Uint8Array, band: RowBand): { symbols: Uint8Array; starts: Int32Array; frequencies: Int32Array } {
  if (band.top !== 0) throw new Error('pixel matches code a band of every row');
  const pixels = band.bottom * band.width;
  const [symbols, starts, frequencies] = [new Uint8Array(pixels), new Int32Array(pixels), new Int32Array(pixels)];
  const matches = new PixelMatches(band.width, pixels, band.predictor.matches);
  for (let pixel = 0; pixel < pixels; pixel++) {
    const colour = colourAt(samples, pixel * band.channels, band.coded);
    matches.prepare(pixel);
    const symbol = matches.symbolOf(colour);
    symbols[pixel] = symbol;
    starts[pixel] = matches.starts[symbol];
    frequencies[pixel] = matches.frequencies[symbol];
    matches.learn(pixel, symbol, colour);
  }
  return { symbols, starts, frequencies };
}

/**
 * Whether the band costs fewer bits with matches (every pixel's symbol, and the samples of the
 * pixels that escape) than without (every sample), priced in one pass over the pixels.
 */
function matchesPay(matches: { symbols: Uint8Array; frequencies: Int32Array }, frequencies: Float64Array, coded: number): boolean {
  let [plain, matched] = [0, 0];
  matches.symbols.forEach((symbol, pixel) => {
    let pixelBits = 0;
    for (let k = pixel * coded; k < (pixel + 1) * coded; k++) pixelBits += GAUSSIAN_PRECISION_BITS - Math.log2(frequencies[k]);
    plain += pixelBits;
    matched += MATCH_PRECISION_BITS - Math.log2(matches.frequencies[pixel]) + (symbol === ESCAPE ? pixelBits : 0);
  });
  return matched < plain;
}

/**
 * Pops the band pushed by `pushRows` into `samples`, whose rows above the band must already
 * hold their values; `matches` as pushRows returned. Returns false as soon as the message
 * runs dry: the encoder never lets it, so that is damage. `onProgress` as for pushRows.
 */
export async function popRows(m: Message, samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void, matches = false): Promise<boolean> {
  if (!matches) return popRowsInKernel(m, samples, band, onProgress);
  const walker = new BandWalker(samples, band, band.top);
  const out = new Float64Array(2);
  const { coded, channels } = band;
  const count = bandSamples(band);
  const pixelMatches = new PixelMatches(band.width, band.bottom * band.width, band.predictor.matches);
  let symbol = ESCAPE;
  for (let k = 0; k < count; k++) {
    const c = k % coded;
    const pixel = (k - c) / coded + band.top * band.width;
    if (c === 0) {
      pixelMatches.prepare(pixel);
      symbol = pixelMatches.find(m.peek(MATCH_PRECISION_BITS));
      m.pop(pixelMatches.starts[symbol], pixelMatches.frequencies[symbol], MATCH_PRECISION_BITS);
      if (m.borrowedWords !== 0) return false;
      if (symbol !== ESCAPE) {
        // Into the walk's window too, which the predictor reads its neighbours from.
        writeColourAt(samples, pixel * channels, coded, pixelMatches.colourOf(symbol));
        walker.writeColour(pixel, pixelMatches.colourOf(symbol));
      }
    }
    const index = walker.next(out);
    if (symbol === ESCAPE) {
      samples[index] = walker.pop(m);
      if (m.borrowedWords !== 0) return false;
    }
    if (c === coded - 1) pixelMatches.learn(pixel, symbol, colourAt(samples, pixel * channels, coded));
    if ((k + 1) % SAMPLES_PER_PAUSE === 0) {
      onProgress?.(k + 1);
      await pause();
    }
  }
  return true;
}

/**
 * popRows without pixel matches: the message is lent to the walk's kernel, which decodes a
 * run of samples per call (the walk and the pops the same as sample by sample), up to the end
 * of a row or the next pause, whichever is first.
 */
async function popRowsInKernel(m: Message, samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void): Promise<boolean> {
  const walker = new BandWalker(samples, band, band.top, m.tailWords);
  const rowSamples = band.width * band.coded;
  let done = 0;
  walker.lend(m);
  try {
    for (let y = band.top; y < band.bottom; y++) {
      walker.enterRow(y);
      for (let left = rowSamples; left > 0; ) {
        const count = Math.min(left, SAMPLES_PER_PAUSE - (done % SAMPLES_PER_PAUSE));
        if (!walker.popSamples(count)) return false;
        left -= count;
        done += count;
        if (done % SAMPLES_PER_PAUSE === 0) {
          onProgress?.(done);
          await pause();
        }
      }
      walker.copyRow(y);
    }
    return true;
  } finally {
    walker.giveBack(m);
  }
}

/** Bits that `pushRows` spends on each of the band's samples, in raster order. */
export function sampleBits(samples: Uint8Array, band: RowBand): Float64Array {
  const count = bandSamples(band);
  const [starts, frequencies] = [new Float64Array(count), new Float64Array(count)];
  for (const _ of walkIntervals(samples, band, starts, frequencies));
  return frequencies.map((f) => GAUSSIAN_PRECISION_BITS - Math.log2(f));
}

/** Bits that `pushRows` spends on each row of the band, top row first. */
export function rowBits(samples: Uint8Array, band: RowBand): Float64Array {
  const bits = new Float64Array(band.bottom - band.top);
  const perRow = band.width * band.coded;
  sampleBits(samples, band).forEach((b, k) => (bits[Math.floor(k / perRow)] += b));
  return bits;
}
