// Specified in docs/format.md §7.6–§7.10.
/**
 * The refinements of the predictor (`Refinement` below): per channel
 * and activity class a ridge regression corrects the mean from the neighbourhood, per channel
 * another predicts the size of the error, which sets σ, and per context a histogram of the
 * values seen reshapes narrow distributions. All learn from each sample once its value is
 * known, as the context statistics do; the regressions start from a prior fitted on the
 * training photos.
 */
import { type Forgetting, type RegressionPrior, RidgeRegression, type SolveSchedule } from './least-squares.ts';
import { NEIGHBOURHOOD_FEATURES, neighbourhoodFeatures, type Neighbours } from './neighbourhood.ts';
import { GAUSSIAN_PRECISION_BITS, type Message, type ScaleMixture } from '../ans/index.ts';
import { installMixture, MIXTURE_SHARE_UNITS } from '../ans/mixture.ts';
import { powerOfTwo } from '../ans/powers-of-two.ts';
import { SAMPLE_MAX } from '../image/index.ts';
import { instantiateKernels, type Kernels } from '../kernels/index.ts';

/**
 * The refinements. Later channels predict from their differences to the channel before
 * (wherever the colours move together, as after a colour transform, the difference plane is
 * smoother than either channel); neighbours' errors are measured against the means they were
 * coded under; and two ridge regressions (least-squares.ts) fit the picture as it goes:
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
 * Weights the regressions start from and are pulled towards (`RegressionPrior` in
 * least-squares.ts), fitted on the training photos by scripts/fit-refinement-prior.ts: per
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
 * with counts of the values seen before in its context (`CountWindow` in src/ans/mixture.ts, at
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
 * of two neighbourhoods (`exactKeys` in refinement.ts: difference-plane neighbours, and the
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
      return new RidgeRegression(NEIGHBOURHOOD_FEATURES, r.meanRidge, r.meanForgetting, r.solves, start);
    });
    this.spreads = Array.from({ length: channels }, (_, c) => {
      const like = prior && priorChannel(c, channels, prior);
      const start = like === undefined ? undefined : regressionPrior(prior!.spreads, like, SPREAD_FEATURES, prior!.spreadPull, prior!.fade);
      return new RidgeRegression(SPREAD_FEATURES, r.spreadRidge, r.spreadForgetting, r.solves, start);
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
    while (activityClass + 1 < this.r.activityClasses && 1 + gradient >= powerOfTwo(activityClass + 1)) activityClass++;
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

/**
 * The counts of `HistogramBlend` and the sample waiting to be counted, kept in WebAssembly
 * (src/kernels/assembly/histograms.ts) with the coding of the distribution they shape: the
 * spread contexts, and the exact contexts' hashed tables of 2^17–2^19 slots (each slot gets its
 * window of float32 counts when first counted, so a small picture never touches most of them).
 * This side works out each sample's keys; the kernel selects, blends, codes and learns.
 */
export class ResidualHistograms {
  private readonly kernels: Kernels;
  /** Where the kernel leaves the interval [start, end) it finds. */
  private readonly found: Float64Array;
  private readonly keys = new Int32Array(EXACT_TABLES);
  /** Whether the walk has exact tables (later channels; the first too with `firstChannel`). */
  private readonly exactTables: boolean;
  private readonly firstChannel: boolean;
  private readonly wideShare256: number;
  /** The sample waiting to be counted (−1: none), and whether a window was selected for it. */
  private pending = -1;
  private blended = false;

  /** Histograms for a walk over `samples` samples of `channels` channels, σ floor `floor`, under `tails`. */
  constructor(
    private readonly h: HistogramBlend,
    channels: number,
    floor: number,
    private readonly tails: ScaleMixture,
    samples: number,
  ) {
    const span = 2 * h.reach + 1;
    const { exact } = h;
    let slots = exact ? 2 ** exact.minTableBits : 0;
    while (exact && slots < samples && slots < 2 ** exact.maxTableBits) slots *= 2;
    this.exactTables = exact !== undefined && (channels > 1 || exact.firstChannel);
    this.firstChannel = exact?.firstChannel ?? false;
    this.wideShare256 = tails.wideShare * MIXTURE_SHARE_UNITS;
    const { kernels, memory } = instantiateKernels();
    const found = installMixture(kernels, memory, 2 * span);
    kernels.initHistograms(
      SAMPLE_MAX + 1,
      channels,
      floor,
      h.maxStd,
      h.spreadClasses,
      h.fractions,
      h.reach,
      h.prior,
      h.halveAt,
      this.exactTables ? EXACT_TABLES : 0,
      slots,
      samples,
      exact?.halveAt ?? 1,
      exact?.countClasses ?? 1,
      exact?.rate ?? 0,
      exact?.floor ?? 0,
      exact?.initialWeight ?? 0,
      this.wideShare256,
      tails.wideScale,
    );
    this.kernels = kernels;
    // The view last: the set-up above is what grows the memory.
    this.found = new Float64Array(memory.buffer, found, 2);
  }

  /**
   * Selects the window to blend with sample `index` of channel c (column x) under mean and σ:
   * the spread context's where σ < maxStd, combined with the exact contexts' (later channels,
   * `differences` their difference-plane neighbours; with `firstChannel` the first channel too,
   * `near` its neighbours) where those have counts; none if neither applies.
   */
  select(index: number, x: number, c: number, mean: number, std: number, samples: Uint8Array, channels: number, differences: Neighbours | undefined, near: Neighbours): void {
    this.pending = index;
    let keyed = false;
    let exactFirst = 0;
    if (this.exactTables && (differences || this.firstChannel)) {
      keyed = true;
      if (differences) {
        exactKeys(samples, index, x, channels, c, differences, this.keys);
        // The windows are centred on the value the W neighbour's difference would give.
        exactFirst = samples[index - 1] + differences.w - this.h.reach;
      } else {
        firstChannelKeys(samples, index, x, channels, near, this.keys);
        // The first channel's are centred on W.
        exactFirst = near.w - this.h.reach;
      }
    }
    this.blended = this.kernels.select(c, mean, std, keyed, this.keys[0], this.keys[1], exactFirst) !== 0;
  }

  /** Forgets the selection: the next sample (the image's first pixel) has no window and is not counted. */
  deselect(): void {
    this.pending = -1;
    this.blended = false;
  }

  /** The interval [start, start + frequency) of `value` under the sample's distribution (mean, σ, and its window if any), to out[0] and out[1]. */
  interval(value: number, mean: number, std: number, out: Float64Array): void {
    if (this.blended) this.kernels.sampleInterval(mean, std, value);
    else this.kernels.mixtureInterval(0, SAMPLE_MAX + 1, mean, std, this.wideShare256, this.tails.wideScale, value);
    out[0] = this.found[0];
    out[1] = this.found[1] - this.found[0];
  }

  /** Pops the sample's value from `m` under the same distribution. */
  pop(m: Message, mean: number, std: number): number {
    const slot = m.peek(GAUSSIAN_PRECISION_BITS);
    const value = this.blended ? this.kernels.sampleLocate(mean, std, slot) : this.kernels.mixtureLocate(0, SAMPLE_MAX + 1, mean, std, this.wideShare256, this.tails.wideScale, slot);
    m.pop(this.found[0], this.found[1] - this.found[0], GAUSSIAN_PRECISION_BITS);
    return value;
  }

  /** Counts the pending sample, whose value `samples` now holds, in its contexts, and moves the exact weights towards what paid. */
  learn(samples: Uint8Array): void {
    if (this.pending < 0) return;
    this.kernels.learnHistograms(samples[this.pending]);
    this.pending = -1;
  }
}

/** The exact contexts' tables, each keyed by its own neighbourhood (`exactKeys`). */
const EXACT_TABLES = 2;

/**
 * Hashes of the exact values around a later-channel sample, one per table: for the second
 * channel its difference-plane neighbours (W, N, NW) and (W, N, NE); for the third and later
 * (W, N, s) and (s, s at W, W), s the step between the two channels before. Integer
 * operations only, so every machine picks the same slots. The second table's seeds (c + 8)
 * differ from the first's only to keep the two hashes unrelated; like the keys, they are part
 * of coder parameters version 9.
 */
function exactKeys(samples: Uint8Array, index: number, x: number, channels: number, c: number, d: Neighbours, out: Int32Array): void {
  if (c === 1) {
    out[0] = hash(c, d.w, d.n, d.nw);
    out[1] = hash(c + EXACT_TABLES * 4, d.w, d.n, d.ne);
    return;
  }
  const step = samples[index - 1] - samples[index - 2];
  const stepW = x > 0 ? samples[index - 1 - channels] - samples[index - 2 - channels] : step;
  out[0] = hash(c, d.w, d.n, step);
  out[1] = hash(c + EXACT_TABLES * 4, step, stepW, d.w);
}

/**
 * The first channel's keys (versions 13 and 14): its neighbours' differences to W, with NE in
 * the first table and W − WW in the second (WW is W where x < 2), under seeds of their own.
 */
function firstChannelKeys(samples: Uint8Array, index: number, x: number, channels: number, near: Neighbours, out: Int32Array): void {
  const ww = x >= 2 ? samples[index - 2 * channels] : near.w;
  out[0] = hash(FIRST_CHANNEL_SEED, near.n - near.w, near.nw - near.w, near.ne - near.w);
  out[1] = hash(FIRST_CHANNEL_SEED + EXACT_TABLES * 4, near.n - near.w, near.nw - near.w, near.w - ww);
}

/** The first channel's first seed: above every later channel's (c and c + 8, c ≤ 3). */
const FIRST_CHANNEL_SEED = 16;

function hash(seed: number, a: number, b: number, c: number): number {
  let h = Math.imul(seed + 1, 0x9e3779b1);
  h = mix(h, a);
  h = mix(h, b);
  return mix(h, c);
}

/** One step of the exact contexts' hash (§7.10), also the pixel matches' (§7.13): value + 1024 is taken modulo 2^32. */
export const mix = (h: number, value: number): number => Math.imul(h ^ (value + 1024), 0x85ebca6b) ^ (h >>> 13);

