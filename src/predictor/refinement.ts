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
import { blendedGaussianMixtureInterval, boundedGaussianMixtureInterval, type CountWindow, GAUSSIAN_PRECISION_BITS, type ScaleMixture } from '../ans/index.ts';
import { powerOfTwo } from '../ans/powers-of-two.ts';
import { SAMPLE_MAX } from '../image/index.ts';

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
 * with counts of the values seen before in its context (`CountWindow` in gaussian.ts, at
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

/** Counts of the values seen, per context, within a window of `span` bins that moves with the sample. */
abstract class ContextCounts {
  /** Per context, the sum of its counts (ExactCounts swaps in a larger array as it grows). */
  totals: Float64Array;
  constructor(
    contexts: number,
    readonly span: number,
    private readonly halveAt: number,
    protected counts: Float64Array | Float32Array,
  ) {
    this.totals = new Float64Array(contexts);
  }

  /** The share of context k's counts on `value`, its window starting at `firstBin` (0 outside it or without counts). */
  share(k: number, firstBin: number, value: number): number {
    const offset = value - firstBin;
    return offset < 0 || offset >= this.span || this.totals[k] === 0 ? 0 : this.counts[k * this.span + offset] / this.totals[k];
  }

  /** Counts `value` in context k, its window starting at `firstBin`; halves the context's counts at halveAt. */
  count(k: number, firstBin: number, value: number): void {
    const offset = value - firstBin;
    if (offset < 0 || offset >= this.span) return;
    const start = k * this.span;
    this.counts[start + offset] += 1;
    if (++this.totals[k] >= this.halveAt) {
      for (let j = start; j < start + this.span; j++) this.counts[j] /= 2;
      this.totals[k] /= 2;
    }
  }
}

/** The spread contexts: few, each with a CountWindow the blend reads directly. */
class SpreadCounts extends ContextCounts {
  readonly windows: CountWindow[];
  constructor(contexts: number, span: number, prior: number, halveAt: number) {
    const counts = new Float64Array(contexts * span);
    super(contexts, span, halveAt, counts);
    this.windows = Array.from({ length: contexts }, (_, k) => ({ counts: counts.subarray(k * span, (k + 1) * span), firstBin: 0, prior }));
  }
}

/** Rows an exact table starts with; it doubles them as slots are first counted. */
const INITIAL_ROWS = 256;

/**
 * The exact contexts: a hashed table of 2^17–2^19 slots, of which a picture counts at most one
 * per sample. Each slot gets its window of 25 counts when it is first counted, not all up front:
 * the same counts, without touching (and faulting in) megabytes of zeros a small picture never
 * reads. Counts are float32, to halve the memory: storing one rounds it as ECMAScript specifies,
 * the same on every machine, and counts below 1,024 lose nothing until halved a dozen times.
 */
class ExactCounts extends ContextCounts {
  /** Per slot: 1 + its row of counts (the context ContextCounts indexes), 0 while it has none. */
  private readonly rowOf: Int32Array;
  private rows = 0;

  constructor(
    readonly slots: number,
    span: number,
    halveAt: number,
  ) {
    super(INITIAL_ROWS, span, halveAt, new Float32Array(INITIAL_ROWS * span));
    this.rowOf = new Int32Array(slots);
  }

  /** The sum of slot k's counts (0 if it has none). */
  total(k: number): number {
    const row = this.rowOf[k];
    return row === 0 ? 0 : this.totals[row - 1];
  }

  /** The share of slot k's counts on `value`, its window starting at `firstBin` (0 outside it or without counts). */
  shareOf(k: number, firstBin: number, value: number): number {
    const row = this.rowOf[k];
    return row === 0 ? 0 : this.share(row - 1, firstBin, value);
  }

  /** Counts `value` in slot k, its window starting at `firstBin`, giving the slot its row first if it has none (a row of zeros reads as no counts). */
  countIn(k: number, firstBin: number, value: number): void {
    if (this.rowOf[k] === 0) this.rowOf[k] = this.newRow();
    this.count(this.rowOf[k] - 1, firstBin, value);
  }

  /** Adds `scale` times slot k's counts into `out` from offset `at` (slot k has counts). */
  addScaled(k: number, scale: number, out: Float64Array, at: number): void {
    for (let j = 0, from = (this.rowOf[k] - 1) * this.span; j < this.span; j++) out[at + j] += scale * this.counts[from + j];
  }

  /** 1 + the index of a fresh row of zeros, doubling the rows' storage when it is full. */
  private newRow(): number {
    if (this.rows === this.totals.length) {
      const counts = new Float32Array(2 * this.counts.length);
      counts.set(this.counts);
      this.counts = counts;
      const totals = new Float64Array(2 * this.totals.length);
      totals.set(this.totals);
      this.totals = totals;
    }
    return ++this.rows;
  }
}

/** The counts of `HistogramBlend`, per context, and the sample waiting to be counted. */
export class ResidualHistograms {
  private readonly spreadContexts: SpreadCounts;
  /** One table per neighbourhood of exact values (`exactKeys`), none for a single channel. */
  private readonly exactContexts: ExactCounts[] = [];
  /** Per table, per channel and class of a window's total, the weight its counts get in the blend. */
  private readonly exactWeights: Float64Array[] = [];
  /** The most weight one table can have, so that all of them leave the rest of the blend `floor`. */
  private readonly exactCap: number;
  /** σ at which each half-octave class from the floor starts: floor·√2^k, k = 1 … spreadClasses − 1. */
  private readonly classStarts: number[];
  /** The window the blend gets where an exact context has counts: the spread context's counts plus the exact ones', weighted. */
  private readonly combined: CountWindow;
  private readonly interval = new Float64Array(2);
  private readonly keys = new Int32Array(EXACT_TABLES);
  /** Each exact table's share on the value just learned (learnWeights' scratch). */
  private readonly exactShares = new Float64Array(EXACT_TABLES);
  /** The sample waiting to be counted (−1: none): its spread context (−1: none), exact slots and weights (−1: no counts yet), window, mean and σ. */
  private pending = -1;
  private pendingSpread = -1;
  private readonly pendingSlots = new Int32Array(EXACT_TABLES);
  private readonly pendingWeights = new Int32Array(EXACT_TABLES);
  private pendingExactFirst = 0;
  private pendingMean = 0;
  private pendingStd = 0;

  /** Histograms for a walk over `samples` samples of `channels` channels, σ floor `floor`, under `tails`. */
  constructor(
    private readonly h: HistogramBlend,
    private readonly channels: number,
    floor: number,
    private readonly tails: ScaleMixture,
    samples: number,
  ) {
    const span = 2 * h.reach + 1;
    this.spreadContexts = new SpreadCounts(h.spreadClasses * h.fractions * channels, span, h.prior, h.halveAt);
    const { exact } = h;
    let slots = exact ? 2 ** exact.minTableBits : 0;
    while (exact && slots < samples && slots < 2 ** exact.maxTableBits) slots *= 2;
    for (let t = 0; exact && (channels > 1 || exact.firstChannel) && t < EXACT_TABLES; t++) {
      this.exactContexts.push(new ExactCounts(slots, span, exact.halveAt));
      this.exactWeights.push(new Float64Array(channels * exact.countClasses).fill(exact.initialWeight / EXACT_TABLES));
    }
    this.exactCap = exact ? (1 - exact.floor) / EXACT_TABLES : 0;
    this.combined = { counts: new Float64Array(2 * span), firstBin: 0, prior: h.prior };
    this.classStarts = [];
    for (let k = 1, start = floor; k < h.spreadClasses; k++) this.classStarts.push((start *= Math.SQRT2));
  }

  /**
   * The window to blend with sample `index` of channel c (column x) under mean and σ: the
   * spread context's where σ < maxStd, combined with the exact contexts' (later channels,
   * `differences` their difference-plane neighbours; with `firstChannel` the first channel too,
   * `near` its neighbours) where those have counts; none if neither applies.
   */
  select(index: number, x: number, c: number, mean: number, std: number, samples: Uint8Array, differences: Neighbours | undefined, near: Neighbours): CountWindow | undefined {
    const { h } = this;
    this.pending = index;
    this.pendingMean = mean;
    this.pendingStd = std;
    this.pendingSpread = -1;
    // (A loop, not fill: two entries, per sample.)
    for (let t = 0; t < EXACT_TABLES; t++) this.pendingWeights[t] = this.pendingSlots[t] = -1;
    let spreadWindow: CountWindow | undefined;
    if (std < h.maxStd) {
      let spreadClass = 0;
      while (spreadClass < this.classStarts.length && std >= this.classStarts[spreadClass]) spreadClass++;
      const whole = Math.floor(mean);
      const fraction = Math.floor((mean - whole) * h.fractions);
      const context = (spreadClass * h.fractions + fraction) * this.channels + c;
      spreadWindow = this.spreadContexts.windows[context];
      spreadWindow.firstBin = whole - h.reach;
      this.pendingSpread = context;
    }
    if (this.exactContexts.length === 0 || !(differences || h.exact!.firstChannel)) return spreadWindow;
    let exactFirst: number;
    if (differences) {
      exactKeys(samples, index, x, this.channels, c, differences, this.keys);
      // The windows are centred on the value the W neighbour's difference would give.
      exactFirst = samples[index - 1] + differences.w - h.reach;
    } else {
      firstChannelKeys(samples, index, x, this.channels, near, this.keys);
      // The first channel's are centred on W.
      exactFirst = near.w - h.reach;
    }
    this.pendingExactFirst = exactFirst;
    const classes = h.exact!.countClasses;
    let weightSum = 0;
    for (let t = 0; t < EXACT_TABLES; t++) {
      const table = this.exactContexts[t];
      const slot = (this.pendingSlots[t] = this.keys[t] & (table.slots - 1));
      const total = table.total(slot);
      if (total === 0) continue;
      let countClass = 0;
      while (countClass + 1 < classes && total >= powerOfTwo(countClass + 1)) countClass++;
      this.pendingWeights[t] = c * classes + countClass;
      weightSum += this.exactWeights[t][this.pendingWeights[t]];
    }
    if (weightSum === 0) return spreadWindow;
    // Σ w_t·(table t's counts' distribution) + (1 − Σ w_t)·(the blend without them), as one
    // blend: the spread context's prior p and counts s, plus each table's counts e_t scaled
    // by λ_t = w_t·(p + Σs) / ((1 − Σ w)·Σe_t).
    const spreadTotal = spreadWindow ? this.spreadContexts.totals[this.pendingSpread] : 0;
    const combined = this.combined;
    combined.firstBin = spreadWindow ? Math.min(spreadWindow.firstBin, exactFirst) : exactFirst;
    combined.counts.fill(0);
    for (let t = 0; t < EXACT_TABLES; t++) {
      if (this.pendingWeights[t] < 0) continue;
      const table = this.exactContexts[t];
      const slot = this.pendingSlots[t];
      const scale = (this.exactWeights[t][this.pendingWeights[t]] * (h.prior + spreadTotal)) / ((1 - weightSum) * table.total(slot));
      table.addScaled(slot, scale, combined.counts, exactFirst - combined.firstBin);
    }
    if (spreadWindow) {
      for (let j = 0, at = spreadWindow.firstBin - combined.firstBin; j < spreadWindow.counts.length; j++) combined.counts[at + j] += spreadWindow.counts[j];
    }
    return combined;
  }

  /** Counts the pending sample, whose value `samples` now holds, in its contexts, and moves the exact weights towards what paid. */
  learn(samples: Uint8Array): void {
    if (this.pending < 0) return;
    const value = samples[this.pending];
    this.pending = -1;
    const spreadWindow = this.pendingSpread >= 0 ? this.spreadContexts.windows[this.pendingSpread] : undefined;
    this.learnWeights(value, spreadWindow);
    if (spreadWindow) this.spreadContexts.count(this.pendingSpread, spreadWindow.firstBin, value);
    for (let t = 0; t < this.exactContexts.length; t++) if (this.pendingSlots[t] >= 0) this.exactContexts[t].countIn(this.pendingSlots[t], this.pendingExactFirst, value);
  }

  /**
   * Online gradient ascent on log(Σ w_t·pE_t + (1 − Σ w_t)·pF) at `value`, pF the blend without
   * the exact counts; nothing where no exact window had counts (then no weight took part).
   */
  private learnWeights(value: number, spreadWindow: CountWindow | undefined): void {
    const shares = this.exactShares;
    let active = false;
    for (let t = 0; t < EXACT_TABLES; t++) {
      if (this.pendingWeights[t] < 0) continue;
      shares[t] = this.exactContexts[t].shareOf(this.pendingSlots[t], this.pendingExactFirst, value);
      active = true;
    }
    if (!active) return;
    if (spreadWindow) blendedGaussianMixtureInterval(value, 0, SAMPLE_MAX, this.pendingMean, this.pendingStd, this.tails, spreadWindow, this.interval);
    else boundedGaussianMixtureInterval(value, 0, SAMPLE_MAX, this.pendingMean, this.pendingStd, this.tails, this.interval);
    const pF = this.interval[1] / GAUSSIAN_TOTAL;
    let mixture = pF;
    for (let t = 0; t < EXACT_TABLES; t++) {
      const k = this.pendingWeights[t];
      if (k >= 0) mixture += this.exactWeights[t][k] * (shares[t] - pF);
    }
    const { rate, floor } = this.h.exact!;
    for (let t = 0; t < EXACT_TABLES; t++) {
      const k = this.pendingWeights[t];
      if (k >= 0) this.exactWeights[t][k] = Math.min(this.exactCap, Math.max(floor, this.exactWeights[t][k] + (rate * (shares[t] - pF)) / mixture));
    }
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

const GAUSSIAN_TOTAL = 2 ** GAUSSIAN_PRECISION_BITS;
