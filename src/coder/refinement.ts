/**
 * Version 8's least-squares refinements of the predictive coder (`Refinement` in
 * predictive.ts): per channel and activity class a ridge regression corrects the mean from the
 * neighbourhood, and per channel another predicts the size of the error, which sets σ. Both
 * learn from each sample once its value is known, as the context statistics do.
 */
import { RidgeRegression } from './least-squares.ts';
import { NEIGHBOURHOOD_FEATURES, neighbourhoodFeatures } from './neighbourhood.ts';
import type { Refinement } from './predictive.ts';

/** The spread regression's features: a constant and the nine measures `spread` is given. */
const SPREAD_FEATURES = 10;
export class Refiner {
  private readonly means: RidgeRegression[];
  private readonly spreads: RidgeRegression[];
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
    this.means = Array.from({ length: channels * r.activityClasses }, () => new RidgeRegression(NEIGHBOURHOOD_FEATURES, r.meanRidge, r.meanForgetting, r.solveEvery));
    this.spreads = Array.from({ length: channels }, () => new RidgeRegression(SPREAD_FEATURES, r.spreadRidge, r.spreadForgetting, r.solveEvery));
  }

  /** The refined mean of sample `index` in channel c, predicted p so far; `gradient` is its activity. */
  mean(samples: Uint8Array, width: number, channels: number, index: number, x: number, hasN: boolean, c: number, p: number, r1: number, r2: number, gradient: number): number {
    neighbourhoodFeatures(samples, width, channels, index, x, hasN, c, p, r1, r2, this.meanFeatures);
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
  spread(c: number, fallback: number, measures: readonly number[], floor: number): number {
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
