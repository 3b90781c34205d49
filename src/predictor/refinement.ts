// Specified in docs/format.md §7.6–§7.10.
/**
 * The refinements of the predictor (`Refinement` below): per channel
 * and activity class a ridge regression corrects the mean from the neighbourhood, per channel
 * another predicts the size of the error, which sets σ, and per context a histogram of the
 * values seen reshapes narrow distributions. All learn from each sample once its value is
 * known, as the context statistics do; the regressions start from a prior fitted on the
 * training photos.
 */

/**
 * The refinements. Later channels predict from their differences to the channel before
 * (wherever the colours move together, as after a colour transform, the difference plane is
 * smoother than either channel); neighbours' errors are measured against the means they were
 * coded under; and two ridge regressions (§7.6, src/kernels/assembly/ridge.ts) fit the picture as it goes:
 *
 * - the mean: a correction to the carried prediction p, linear in 20 features — the twelve
 *   nearest causal neighbours in the same channel and four in the difference plane, each minus
 *   p, and the earlier channels' residuals and steps — one fit per channel and activity class
 *   (⌊log2(1 + g)⌋, capped);
 * - the spread: σ = spreadScale · (expected |error|), linear in the gradients, the neighbours'
 *   and the earlier channels' errors; one fit per channel, after `spreadWarmup` samples (the
 *   fixed formula before).
 */
export interface Refinement {
  meanRidge: number;
  meanForgetting: Forgetting;
  activityClasses: number;
  spreadScale: number;
  spreadRidge: number;
  spreadForgetting: Forgetting;
  spreadWarmup: number;
  /** When each regression solves. */
  solves: SolveSchedule;
  histograms: HistogramBlend;
  /** Where the regressions start from (zero weights without one, as scripts/fit-refinement-prior.ts walks). */
  prior?: RefinementPrior;
}

/**
 * Weights the regressions start from and are pulled towards (`RegressionPrior` below),
 * fitted on the training photos by scripts/fit-refinement-prior.ts: per
 * channel (of `channels`) and activity class NEIGHBOURHOOD_FEATURES for the mean, per channel
 * SPREAD_FEATURES for the spread. The pulls fade by `fade` with each sample a regression sees.
 */
export interface RefinementPrior {
  channels: number;
  means: Float64Array;
  spreads: Float64Array;
  meanPull: number;
  spreadPull: number;
  fade: number;
}

/**
 * The adaptive histograms: where σ < maxStd, the sample's distribution is blended
 * with counts of the values seen before in its context (a count window, docs/format.md §5.9, at
 * weight `prior`), for shapes the mixture cannot take — residuals that are exactly 0 far more
 * often than any Gaussian allows, say. A context is the channel, σ in half-octaves from the
 * σ floor (`spreadClasses` of them) and the mean's fraction in quarters; it counts values
 * within ±reach of ⌊mean⌋ and halves its counts when they reach `halveAt`.
 */
export interface HistogramBlend {
  maxStd: number;
  spreadClasses: number;
  fractions: number;
  reach: number;
  prior: number;
  halveAt: number;
  /** Counts per exact neighbourhood for the later channels (none: the blend above alone). */
  exact?: ExactContexts;
}

/**
 * The exact contexts. A picture that was once a JPEG has colour differences that are
 * functions of its (smooth, quantised) chroma, so that a later channel's difference to the
 * channel before repeats what it was where the same values stood around it (face.ppm: given
 * the difference plane's W and N and the earlier channels' step, B − G has about 0.8 bits
 * left, against 1.45 under the Gaussian). Each later-channel sample hashes the exact values
 * of two neighbourhoods (`select` in src/kernels/assembly/histograms.ts: difference-plane neighbours, and the
 * step between the channels before) into two tables of count windows (±reach
 * around the value W's difference would give), halved at `halveAt`. Where windows have
 * counts, the sample's distribution is Σ w_t·(table t's counts) + (1 − Σ w_t)·(the histogram
 * blend above), each w_t learned per channel and class of its window's total (⌊log2⌋,
 * `countClasses` of them) by online gradient ascent on the log-likelihood at `rate`, kept in
 * [floor, (1 − floor)/2], from `initialWeight`/2. On photographs that never were JPEGs the
 * weights fall, and the blend is the histograms' again.
 */
export interface ExactContexts {
  /** Each table has as many slots as the walk has samples, a power of two from 2^minTableBits to 2^maxTableBits: fewer collisions on large pictures, less memory on small ones. */
  minTableBits: number;
  maxTableBits: number;
  halveAt: number;
  countClasses: number;
  rate: number;
  floor: number;
  initialWeight: number;
  /**
   * Whether the first channel has exact contexts too (coder parameters versions 13 and 14),
   * keyed by its own neighbours' differences to W and centred on W: where a picture repeats
   * its local shapes exactly, as rendered gradients and text do, they predict it.
   */
  firstChannel: boolean;
}

/**
 * The mean regression's features (§7.7): the twelve nearest causal neighbours, four in the
 * difference plane, r₁, r₂ and the channel before's two steps. The shape of the prior's
 * tables; the walk (src/kernels/assembly/walker.ts) computes them, and refuses other counts.
 */
export const NEIGHBOURHOOD_FEATURES = 20;
/** The spread regression's features (§7.8): a constant and nine measures of the neighbourhood's errors and gradients. */
export const SPREAD_FEATURES = 10;

/**
 * The refiner's regressions in the order the walk sets them up, each with its prior if it has
 * one: the mean regressions per channel and activity class (k = channel × activityClasses +
 * class), then the spread regressions per channel (k = channel).
 */
export function regressionPriors(r: Refinement, channels: number): { spread: boolean; k: number; prior?: RegressionPrior }[] {
  const { prior, activityClasses } = r;
  const means = Array.from({ length: channels * activityClasses }, (_, k) => {
    const activityClass = k % activityClasses;
    const like = prior && priorChannel((k - activityClass) / activityClasses, channels, prior);
    return { spread: false, k, prior: like === undefined ? undefined : regressionPrior(prior!.means, like * activityClasses + activityClass, NEIGHBOURHOOD_FEATURES, prior!.meanPull, prior!.fade) };
  });
  const spreads = Array.from({ length: channels }, (_, c) => {
    const like = prior && priorChannel(c, channels, prior);
    return { spread: true, k: c, prior: like === undefined ? undefined : regressionPrior(prior!.spreads, like, SPREAD_FEATURES, prior!.spreadPull, prior!.fade) };
  });
  return [...means, ...spreads];
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

/**
 * The forgetting factor λ of a regression's n-th update: `first` while n ≤ `after`, then `later`
 * (a longer memory once a large picture has shown it that many samples).
 */
export interface Forgetting {
  first: number;
  after: number;
  later: number;
}

/**
 * When a regression solves: after every `every`-th update while it has had at most
 * `settledAfter`, then after every `settledEvery`-th (a fit of thousands of samples moves little
 * between solves, and the solves are much of the predictor's time).
 */
export interface SolveSchedule {
  every: number;
  settledAfter: number;
  settledEvery: number;
}

/** Weights w₀ a regression starts from, and the ridge `pull` towards them, faded by `fade` at each update. */
export interface RegressionPrior {
  weights: ArrayLike<number>;
  pull: number;
  fade: number;
}
