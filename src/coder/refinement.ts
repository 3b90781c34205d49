/**
 * Version 8's refinements of the predictive coder (`Refinement` in predictive.ts): per channel
 * and activity class a ridge regression corrects the mean from the neighbourhood, per channel
 * another predicts the size of the error, which sets σ, and per context a histogram of the
 * values seen reshapes narrow distributions. All learn from each sample once its value is
 * known, as the context statistics do; from version 9 the regressions start from a prior
 * fitted on the training photos.
 */
import { type RegressionPrior, RidgeRegression } from './least-squares.ts';
import { NEIGHBOURHOOD_FEATURES, neighbourhoodFeatures, type Neighbours } from './neighbourhood.ts';
import type { CountWindow } from '../ans/index.ts';
import type { HistogramBlend, Refinement, RefinementPrior } from './predictive.ts';

/** The spread regression's features: a constant and the nine measures `spread` is given. */
export const SPREAD_FEATURES = 10;
export class Refiner {
  /** Per channel and activity class (channel × activityClasses + class). */
  readonly means: readonly RidgeRegression[];
  /** Per channel. */
  readonly spreads: readonly RidgeRegression[];
  private readonly meanFeatures = new Float64Array(NEIGHBOURHOOD_FEATURES);
  private readonly spreadFeatures = new Float64Array(SPREAD_FEATURES);
  /** The sample waiting to be learned from: its index (−1: none), regressions, prediction before the correction, and coded mean. */
  private pending = -1;
  private pendingMean?: RidgeRegression;
  private pendingSpread?: RidgeRegression;
  private pendingPrediction = 0;
  private pendingCodedMean = 0;

  constructor(
    private readonly r: Refinement,
    channels: number,
  ) {
    const { prior, activityClasses } = r;
    this.means = Array.from({ length: channels * activityClasses }, (_, k) => {
      const activityClass = k % activityClasses;
      const like = prior && priorChannel((k - activityClass) / activityClasses, channels, prior);
      const start = like === undefined ? undefined : regressionPrior(prior!.means, like * activityClasses + activityClass, NEIGHBOURHOOD_FEATURES, prior!.meanPull, prior!.fade);
      return new RidgeRegression(NEIGHBOURHOOD_FEATURES, r.meanRidge, r.meanForgetting, r.solveEvery, start);
    });
    this.spreads = Array.from({ length: channels }, (_, c) => {
      const like = prior && priorChannel(c, channels, prior);
      const start = like === undefined ? undefined : regressionPrior(prior!.spreads, like, SPREAD_FEATURES, prior!.spreadPull, prior!.fade);
      return new RidgeRegression(SPREAD_FEATURES, r.spreadRidge, r.spreadForgetting, r.solveEvery, start);
    });
  }

  /**
   * The refined mean of sample `index` in channel c, predicted p so far; `gradient` is its
   * activity, `near` and `differences` its neighbours as `neighbourhoodFeatures` takes them.
   */
  mean(samples: Uint8Array, width: number, channels: number, index: number, x: number, hasN: boolean, c: number, p: number, r1: number, r2: number, gradient: number, near: Neighbours, differences: Neighbours | undefined): number {
    neighbourhoodFeatures(samples, width, channels, index, x, hasN, c, p, r1, r2, near, differences, this.meanFeatures);
    // Activity class ⌊log2(1 + gradient)⌋, capped.
    let activityClass = 0;
    while (activityClass + 1 < this.r.activityClasses && 1 + gradient >= 2 ** (activityClass + 1)) activityClass++;
    const regression = this.means[c * this.r.activityClasses + activityClass];
    this.pending = index;
    this.pendingMean = regression;
    this.pendingPrediction = p;
    return p + regression.predict(this.meanFeatures);
  }

  /**
   * σ of the sample just given a mean, from the measures [gradient, |r1|, errors at W, N, NE,
   * the earlier channels' errors and NW, the difference plane's gradient]; `fallback` until
   * the channel's regression has seen `spreadWarmup` samples.
   */
  spread(c: number, fallback: number, measures: Float64Array, floor: number): number {
    const features = this.spreadFeatures;
    features[0] = 1;
    for (let j = 1; j < SPREAD_FEATURES; j++) features[j] = measures[j - 1];
    const regression = this.spreads[c];
    this.pendingSpread = regression;
    if (regression.count < this.r.spreadWarmup) return fallback;
    return Math.max(floor, this.r.spreadScale * regression.predict(features));
  }

  /** Records the mean the sample was finally coded under (after the context's bias and the clamp). */
  coded(mean: number): void {
    this.pendingCodedMean = mean;
  }

  /** Learns from the pending sample, whose value `samples` now holds. */
  learn(samples: Uint8Array): void {
    if (this.pending < 0) return;
    const value = samples[this.pending];
    this.pendingMean!.learn(this.meanFeatures, value - this.pendingPrediction);
    this.pendingSpread!.learn(this.spreadFeatures, Math.abs(value - this.pendingCodedMean));
    this.pending = -1;
  }
}

/**
 * The channel of the prior's tables that channel c of a `channels`-channel image starts from,
 * if any. The tables are fitted on colour photos, whose first channel is predicted as it is
 * and whose later ones from their differences to the channel before: a grey image's only
 * channel is like their first, an alpha channel like none of them.
 */
function priorChannel(c: number, channels: number, prior: RefinementPrior): number | undefined {
  if (c === 0) return 0;
  return channels >= prior.channels && c < prior.channels ? c : undefined;
}

/** Regression k's prior in a table of `size` weights per regression. */
function regressionPrior(table: Float64Array, k: number, size: number, pull: number, fade: number): RegressionPrior {
  return { weights: table.subarray(k * size, (k + 1) * size), pull, fade };
}

/** The counts of `HistogramBlend`, per context, and the sample waiting to be counted. */
export class ResidualHistograms {
  private readonly counts: Float64Array;
  private readonly totals: Float64Array;
  /** One window per context, viewing its counts; `select` moves its first bin to the sample's. */
  private readonly windows: CountWindow[];
  /** σ at which each half-octave class from the floor starts: floor·√2^k, k = 1 … spreadClasses − 1. */
  private readonly classStarts: number[];
  private pending = -1;
  private pendingContext = 0;

  constructor(
    private readonly h: HistogramBlend,
    private readonly channels: number,
    floor: number,
  ) {
    const contexts = h.spreadClasses * h.fractions * channels;
    const span = 2 * h.reach + 1;
    this.counts = new Float64Array(contexts * span);
    this.totals = new Float64Array(contexts);
    this.windows = Array.from({ length: contexts }, (_, k) => ({ counts: this.counts.subarray(k * span, (k + 1) * span), firstBin: 0, prior: h.prior }));
    this.classStarts = [];
    for (let k = 1, start = floor; k < h.spreadClasses; k++) this.classStarts.push((start *= Math.SQRT2));
  }

  /** The window to blend with sample `index` of channel c under mean and σ, or none where σ ≥ maxStd. */
  select(index: number, c: number, mean: number, std: number): CountWindow | undefined {
    if (!(std < this.h.maxStd)) return undefined;
    let spreadClass = 0;
    while (spreadClass < this.classStarts.length && std >= this.classStarts[spreadClass]) spreadClass++;
    const whole = Math.floor(mean);
    const fraction = Math.floor((mean - whole) * this.h.fractions);
    const context = (spreadClass * this.h.fractions + fraction) * this.channels + c;
    const window = this.windows[context];
    window.firstBin = whole - this.h.reach;
    this.pending = index;
    this.pendingContext = context;
    return window;
  }

  /** Counts the pending sample, whose value `samples` now holds, in its context. */
  learn(samples: Uint8Array): void {
    if (this.pending < 0) return;
    const context = this.pendingContext;
    const window = this.windows[context];
    const offset = samples[this.pending] - window.firstBin;
    this.pending = -1;
    if (offset < 0 || offset >= window.counts.length) return;
    window.counts[offset] += 1;
    if (++this.totals[context] >= this.h.halveAt) {
      for (let j = 0; j < window.counts.length; j++) window.counts[j] /= 2;
      this.totals[context] /= 2;
    }
  }
}
