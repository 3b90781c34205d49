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
import { GAUSSIAN_PRECISION_BITS, type Message, type ScaleMixture } from '../ans/index.ts';
import { ESCAPE, MATCH_PRECISION_BITS, MATCHES, MATCHES_VERSION_10, type MatchModel, PixelMatches } from './matches.ts';
import { activity, differenceNeighboursInto, neighboursInto, prediction, type Neighbours } from './neighbourhood.ts';
import { MEAN_PRIOR_WEIGHTS, REFINEMENT_PRIOR_CHANNELS, SPREAD_PRIOR_WEIGHTS } from './refinement-prior.ts';
import type { RidgeRegression } from './least-squares.ts';
import { Refiner, ResidualHistograms, type Refinement } from './refinement.ts';
import { colourAt, SAMPLE_MAX, writeColourAt } from '../image/image.ts';

/** Spread of a sample with no neighbour at all (the first pixel's first channel); its later channels take half. */
const FIRST_SAMPLE_STD = 64;

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
 * distribution. It keeps, for the current row and the row above, the base predictions (so a
 * neighbour's residual costs one subtraction) and the means the samples were coded under, and
 * the learned statistics. Each sample must hold its value before the next one's distribution is
 * asked for (the decoder writes it between the two calls). A band that starts lower walks the
 * rows above it first, so that a sample's distribution depends on the samples before it and on
 * nothing else.
 */
class BandWalker {
  private above: Float64Array;
  private current: Float64Array;
  private meansAbove: Float64Array;
  private meansCurrent: Float64Array;
  private k = 0;
  private readonly learning: Learner;
  readonly refining: Refiner;
  private readonly histograms: ResidualHistograms;
  /** The mean and σ `next` gave last, which `interval` and `pop` code under (with the histograms' window). */
  private mean = 0;
  private std = 1;
  /** The spread regression's measures of the current sample (reused: the walk allocates nothing per sample). */
  private readonly spreadMeasures = new Float64Array(9);
  /** The current sample's neighbours, the channel before's, and their differences: filled in place per sample. */
  private readonly near: Neighbours = { n: 0, w: 0, nw: 0, ne: 0 };
  private readonly before: Neighbours = { n: 0, w: 0, nw: 0, ne: 0 };
  private readonly differences: Neighbours = { n: 0, w: 0, nw: 0, ne: 0 };

  constructor(
    private readonly samples: Uint8Array,
    private readonly band: RowBand,
  ) {
    const { predictor } = band;
    const rowLength = band.width * band.channels;
    [this.above, this.current, this.meansAbove, this.meansCurrent] = [0, 1, 2, 3].map(() => new Float64Array(rowLength));
    this.learning = new Learner(predictor, predictor.adaptation, band.channels);
    this.refining = new Refiner(predictor.refinement, band.channels);
    this.histograms = new ResidualHistograms(predictor.refinement.histograms, band.channels, predictor.stdFloor, predictor.tails, band.bottom * band.width * band.coded);
    const out = new Float64Array(2);
    for (let k = band.top * band.width * band.coded; k > 0; k--) this.next(out);
  }

  /** Writes the next sample's mean and σ to out[0], out[1]; returns its index into the samples. */
  next(out: Float64Array): number {
    const { samples, band, refining } = this;
    const { width, channels, predictor: p } = band;
    this.learning.learn(samples);
    refining.learn(samples);
    this.histograms.learn(samples);
    this.histograms.deselect();
    const k = this.k++;
    const c = k % band.coded;
    const pixel = (k - c) / band.coded;
    const x = pixel % width;
    if (x === 0 && c === 0) {
      const above = this.above;
      this.above = this.current;
      this.current = above;
      const meansAbove = this.meansAbove;
      this.meansAbove = this.meansCurrent;
      this.meansCurrent = meansAbove;
    }
    const index = pixel * channels + c;
    const slot = x * channels + c;
    if (pixel === 0) {
      this.current[slot] = c === 0 ? 128 : samples[index - 1];
      out[0] = this.current[slot];
      out[1] = c === 0 ? FIRST_SAMPLE_STD : FIRST_SAMPLE_STD / 2;
      this.meansCurrent[slot] = out[0];
      this.mean = out[0];
      this.std = out[1];
      return index;
    }
    const hasN = pixel >= width;
    const near = neighboursInto(this.near, samples, width, channels, index, x, hasN);
    const { n, w, nw, ne } = near;
    // A later channel's base is the channel before plus the difference predicted from the
    // neighbours in the plane of differences.
    const differences = c > 0 ? differenceNeighboursInto(this.differences, near, neighboursInto(this.before, samples, width, channels, index - 1, x, hasN)) : undefined;
    const base = differences ? samples[index - 1] + prediction(differences) : prediction(near);
    this.current[slot] = base;
    const gradient = activity(near);
    const r1 = c > 0 ? samples[index - 1] - this.current[slot - 1] : 0;
    const r2 = c > 1 ? samples[index - 2] - this.current[slot - 2] : 0;
    // The neighbours' errors against the means they were coded under, with the same stand-ins
    // as `neighbours` where one is missing.
    const aboveRef = this.meansAbove;
    const currentRef = this.meansCurrent;
    const row = width * channels;
    const errorW = x > 0 ? Math.abs(samples[index - channels] - currentRef[slot - channels]) : Math.abs(samples[index - row] - aboveRef[slot]);
    const errorN = hasN ? Math.abs(samples[index - row] - aboveRef[slot]) : errorW;
    const errorNE = hasN && x + 1 < width ? Math.abs(samples[index - row + channels] - aboveRef[slot + channels]) : errorN;

    let std = p.stdFloor + p.stdPerGradient * gradient;
    std += p.stdPerResidual * Math.abs(r1);
    std += p.stdPerNeighbourError * ((errorW + errorN + errorNE) / 3);
    // Means are clamped to the samples' range (and σ kept ≥ stdFloor), so that no sample costs
    // less than minSampleBits.
    let mean = this.learning.prediction(c, base, r1, r2);
    mean = refining.mean(samples, width, channels, index, x, hasN, c, mean, r1, r2, gradient, near, differences);
    const errorNW = hasN && x > 0 ? Math.abs(samples[index - row - channels] - aboveRef[slot - channels]) : errorN;
    const earlierError1 = c >= 1 ? Math.abs(samples[index - 1] - currentRef[slot - 1]) : 0;
    const earlierError2 = c >= 2 ? Math.abs(samples[index - 2] - currentRef[slot - 2]) : 0;
    const differenceGradient = differences ? activity(differences) : gradient;
    // Written one by one: a destructuring assignment would allocate an array per sample.
    const measures = this.spreadMeasures;
    measures[0] = gradient;
    measures[1] = Math.abs(r1);
    measures[2] = errorW;
    measures[3] = errorN;
    measures[4] = errorNE;
    measures[5] = earlierError1;
    measures[6] = errorNW;
    measures[7] = earlierError2;
    measures[8] = differenceGradient;
    std = refining.spread(c, std, measures, p.stdFloor);
    this.learning.distribution(index, c, ne - n, n - nw, nw - w, base, mean, r1, r2, std, out);
    this.meansCurrent[slot] = out[0];
    refining.coded(out[0]);
    this.histograms.select(index, x, c, out[0], out[1], samples, channels, differences, near);
    this.mean = out[0];
    this.std = out[1];
    return index;
  }

  /** The interval [start, start + frequency) of `value` under the distribution `next` gave last, to out[0] and out[1]. */
  interval(value: number, out: Float64Array): void {
    this.histograms.interval(value, this.mean, this.std, out);
  }

  /** Pops the value of the sample `next` gave last. */
  pop(m: Message): number {
    return this.histograms.pop(m, this.mean, this.std);
  }
}

/** The statistics of `Adaptation`: per context and per channel, and the sample they wait to learn from. */
class Learner {
  private readonly residuals: Float64Array;
  private readonly errors: Float64Array;
  private readonly spreads: Float64Array;
  private readonly counts: Float64Array;
  private readonly levels: number;
  /** Per channel, the least-squares sums of the carries: Σr₁², Σr₁r₂, Σr₂², Σr₁y, Σr₂y (y: residual). */
  private readonly moments: Float64Array[];
  /** The last sample given a distribution: its index (−1: none), channel, context, base, residuals r₁ r₂, prediction, mean and fixed σ. */
  private pending = -1;
  private pendingChannel = 0;
  private pendingContext = 0;
  private pendingBase = 0;
  private pendingR1 = 0;
  private pendingR2 = 0;
  private pendingPrediction = 0;
  private pendingMean = 0;
  private pendingStd = 0;

  constructor(
    private readonly p: Predictor,
    private readonly a: Adaptation,
    private readonly channels: number,
  ) {
    this.levels = 2 * a.thresholds.length + 1;
    const contexts = this.levels ** 3 * channels;
    [this.residuals, this.errors, this.spreads, this.counts] = [0, 1, 2, 3].map(() => new Float64Array(contexts));
    this.moments = Array.from({ length: channels }, () => new Float64Array(5));
  }

  private quantise(d: number): number {
    const { thresholds } = this.a;
    const magnitude = Math.abs(d);
    let level = 0;
    while (level < thresholds.length && magnitude >= thresholds[level]) level++;
    return thresholds.length + (d < 0 ? -level : level);
  }

  /** The prediction base + carry·r1 + carryTwoBack·r2 with channel c's carries, ridge-regressed towards the fixed ones. */
  prediction(c: number, base: number, r1: number, r2: number): number {
    const { p } = this;
    const k = this.a.carryPrior;
    const moments = this.moments[c];
    const s11 = moments[0];
    const s12 = moments[1];
    const s22 = moments[2];
    const s1y = moments[3];
    const s2y = moments[4];
    if (c === 1) return base + ((s1y + p.carry * k) / (s11 + k)) * r1 + p.carryTwoBack * r2;
    if (c === 0) return base + p.carry * r1 + p.carryTwoBack * r2;
    // [s11 + k, s12; s12, s22 + k]·[carry, carryTwoBack] = [s1y + k·carry₀, s2y + k·carryTwoBack₀]
    const a11 = s11 + k;
    const a22 = s22 + k;
    const b1 = s1y + p.carry * k;
    const b2 = s2y + p.carryTwoBack * k;
    const det = a11 * a22 - s12 * s12;
    return base + ((b1 * a22 - b2 * s12) / det) * r1 + ((a11 * b2 - s12 * b1) / det) * r2;
  }

  /**
   * The learned mean and σ, to out[0] and out[1], of sample `index` in channel c: base
   * prediction `base`, its carried (and refined) `prediction`, earlier channels' residuals r1
   * and r2, spread `std` before the context's scale, and d1…d3 the local differences that pick
   * its context.
   */
  distribution(index: number, c: number, d1: number, d2: number, d3: number, base: number, prediction: number, r1: number, r2: number, std: number, out: Float64Array): void {
    const { a } = this;
    const context = ((this.quantise(d1) * this.levels + this.quantise(d2)) * this.levels + this.quantise(d3)) * this.channels + c;
    const mean = prediction + this.residuals[context] / (this.counts[context] + a.biasPrior);
    out[0] = Math.min(SAMPLE_MAX, Math.max(0, mean));
    out[1] = Math.max(this.p.stdFloor, std * ((this.errors[context] + a.spreadPrior) / (this.spreads[context] + a.spreadPrior)));
    this.pending = index;
    this.pendingChannel = c;
    this.pendingContext = context;
    this.pendingBase = base;
    this.pendingR1 = r1;
    this.pendingR2 = r2;
    this.pendingPrediction = prediction;
    this.pendingMean = out[0];
    this.pendingStd = std;
  }

  /** Learns from the last sample given a distribution, whose value `samples` now holds. */
  learn(samples: Uint8Array): void {
    if (this.pending < 0) return;
    const value = samples[this.pending];
    const context = this.pendingContext;
    this.residuals[context] += value - this.pendingPrediction;
    this.errors[context] += Math.abs(value - this.pendingMean);
    this.spreads[context] += this.pendingStd;
    if (++this.counts[context] >= this.a.halveAt) {
      for (const sums of [this.residuals, this.errors, this.spreads, this.counts]) sums[context] /= 2;
    }
    if (this.pendingChannel > 0) {
      const m = this.moments[this.pendingChannel];
      const r1 = this.pendingR1;
      const r2 = this.pendingR2;
      const y = value - this.pendingBase;
      m[0] += r1 * r1;
      m[1] += r1 * r2;
      m[2] += r2 * r2;
      m[3] += r1 * y;
      m[4] += r2 * y;
      // Halved from time to time, so that the carries follow the picture.
      if (m[0] + m[2] > MOMENTS_HALVE_AT) for (let j = 0; j < m.length; j++) m[j] /= 2;
    }
    this.pending = -1;
  }
}

/** Σr₁² + Σr₂² beyond which a channel's least-squares sums halve. */
const MOMENTS_HALVE_AT = 2 ** 20;

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
  const walker = new BandWalker(samples, band);
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
  const walker = new BandWalker(samples, band);
  const out = new Float64Array(2);
  for (let k = bandSamples(band); k > 0; k--) walker.next(out);
  const learned = (regression: RidgeRegression) => ({ weights: Float64Array.from(regression.weights), count: regression.count });
  return { means: walker.refining.means.map(learned), spreads: walker.refining.spreads.map(learned) };
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
  const walker = new BandWalker(samples, band);
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
  const matches = new PixelMatches(band.width, band.predictor.matches);
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
  const walker = new BandWalker(samples, band);
  const out = new Float64Array(2);
  const { coded, channels } = band;
  const count = bandSamples(band);
  const pixelMatches = matches ? new PixelMatches(band.width, band.predictor.matches) : undefined;
  let symbol = ESCAPE;
  for (let k = 0; k < count; k++) {
    const c = k % coded;
    const pixel = (k - c) / coded + band.top * band.width;
    if (pixelMatches && c === 0) {
      pixelMatches.prepare(pixel);
      symbol = pixelMatches.find(m.peek(MATCH_PRECISION_BITS));
      m.pop(pixelMatches.starts[symbol], pixelMatches.frequencies[symbol], MATCH_PRECISION_BITS);
      if (m.borrowedWords !== 0) return false;
      if (symbol !== ESCAPE) writeColourAt(samples, pixel * channels, coded, pixelMatches.colourOf(symbol));
    }
    const index = walker.next(out);
    if (symbol === ESCAPE) {
      samples[index] = walker.pop(m);
      if (m.borrowedWords !== 0) return false;
    }
    if (pixelMatches && c === coded - 1) pixelMatches.learn(pixel, symbol, colourAt(samples, pixel * channels, coded));
    if ((k + 1) % SAMPLES_PER_PAUSE === 0) {
      onProgress?.(k + 1);
      await pause();
    }
  }
  return true;
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
