// Specified in docs/format.md §7.6.
// The predictor's ridge regressions (refinement.ts sets them up) in AssemblyScript, compiled
// to WebAssembly. The operations and their order are those of the specification, so
// the weights are the same to the last bit on every machine; where terms are independent (the
// gram update's, two rows of the factorisation) they are done two at a time, one per lane of a
// vector: a multiply, then an add or subtract, each rounded (no fused multiply-add), so the
// same roundings.
import { zeroed } from './memory';

/** gram ← λ·gram + f fᵀ (lower triangle, rows of `size`), moments ← λ·moments + f·target. */
export function learn(gram: usize, moments: usize, features: usize, size: i32, forgetting: f64, target: f64): void {
  const lambda = f64x2.splat(forgetting);
  for (let i = 0; i < size; i++) {
    const fi = load<f64>(features + (<usize>i << 3));
    const moment = moments + (<usize>i << 3);
    store<f64>(moment, load<f64>(moment) * forgetting + fi * target);
    const row = gram + (<usize>(i * size) << 3);
    const fiv = f64x2.splat(fi);
    let j = 0;
    for (; j < i; j += 2) {
      const at = row + (<usize>j << 3);
      v128.store(at, f64x2.add(f64x2.mul(v128.load(at), lambda), f64x2.mul(fiv, v128.load(features + (<usize>j << 3)))));
    }
    if (j === i) {
      const at = row + (<usize>j << 3);
      store<f64>(at, load<f64>(at) * forgetting + fi * load<f64>(features + (<usize>j << 3)));
    }
  }
}

/**
 * weights ← (gram + ridge·I)⁻¹ (moments + pull·prior) by a Cholesky factorisation into
 * `factor`; `prior` 0 for none. The factor's rows are worked out two at a time, one per lane
 * (`pair`: room for two rows, interleaved, for the lanes' loads):
 * every entry is the same sum in the same order as one row at a time (a multiply, then a
 * subtract, then a divide, each rounded), so the same factor; two dot products in flight hide
 * each other's latency.
 */
export function solve(gram: usize, moments: usize, factor: usize, pair: usize, weights: usize, size: i32, ridge: f64, prior: usize, pull: f64): void {
  let i = 0;
  for (; i + 1 < size; i += 2) factorPair(gram, factor, pair, size, ridge, i);
  if (i < size) factorRow(gram, factor, size, ridge, i);
  for (let i = 0; i < size; i++) {
    const rowI = factor + (<usize>(i * size) << 3);
    let sum = load<f64>(moments + (<usize>i << 3));
    if (prior !== 0) sum = sum + pull * load<f64>(prior + (<usize>i << 3));
    for (let k = 0; k < i; k++) sum -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(weights + (<usize>k << 3));
    store<f64>(weights + (<usize>i << 3), sum / load<f64>(rowI + (<usize>i << 3)));
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = load<f64>(weights + (<usize>i << 3));
    for (let k = i + 1; k < size; k++) sum -= load<f64>(factor + (<usize>(k * size + i) << 3)) * load<f64>(weights + (<usize>k << 3));
    store<f64>(weights + (<usize>i << 3), sum / load<f64>(factor + (<usize>(i * size + i) << 3)));
  }
}

/** Row i of the factor, alone: L[i][j] = (G[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j], then L[i][i] = √max(G[i][i] + ridge − Σ_{k<i} L[i][k]², MIN_PIVOT). */
function factorRow(gram: usize, factor: usize, size: i32, ridge: f64, i: i32): void {
  const rowI = factor + (<usize>(i * size) << 3);
  const gramI = gram + (<usize>(i * size) << 3);
  for (let j = 0; j < i; j++) {
    const rowJ = factor + (<usize>(j * size) << 3);
    let sum = load<f64>(gramI + (<usize>j << 3));
    for (let k = 0; k < j; k++) sum -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(rowJ + (<usize>k << 3));
    store<f64>(rowI + (<usize>j << 3), sum / load<f64>(rowJ + (<usize>j << 3)));
  }
  let pivot = load<f64>(gramI + (<usize>i << 3)) + ridge;
  for (let k = 0; k < i; k++) {
    const l = load<f64>(rowI + (<usize>k << 3));
    pivot -= l * l;
  }
  store<f64>(rowI + (<usize>i << 3), Math.sqrt(Math.max(pivot, MIN_PIVOT)));
}

/** Rows i and i + 1 of the factor, as factorRow would give them, row i in lane 0 and row i + 1 in lane 1 (interleaved in `pair` as they come). */
function factorPair(gram: usize, factor: usize, pair: usize, size: i32, ridge: f64, i: i32): void {
  const rowI = factor + (<usize>(i * size) << 3);
  const rowNext = rowI + (<usize>size << 3);
  const gramI = gram + (<usize>(i * size) << 3);
  const gramNext = gramI + (<usize>size << 3);
  // Columns j < i: both rows divide by L[j][j].
  for (let j = 0; j < i; j++) {
    const rowJ = factor + (<usize>(j * size) << 3);
    let sum = f64x2.replace_lane(f64x2.splat(load<f64>(gramI + (<usize>j << 3))), 1, load<f64>(gramNext + (<usize>j << 3)));
    for (let k = 0; k < j; k++) sum = f64x2.sub(sum, f64x2.mul(v128.load(pair + (<usize>k << 4)), f64x2.splat(load<f64>(rowJ + (<usize>k << 3)))));
    const entries = f64x2.div(sum, f64x2.splat(load<f64>(rowJ + (<usize>j << 3))));
    v128.store(pair + (<usize>j << 4), entries);
    store<f64>(rowI + (<usize>j << 3), f64x2.extract_lane(entries, 0));
    store<f64>(rowNext + (<usize>j << 3), f64x2.extract_lane(entries, 1));
  }
  // Column i: row i's pivot (G[i][i] + ridge − Σ L[i][k]²) and row i + 1's sum (G[i + 1][i] − Σ L[i + 1][k]·L[i][k]).
  let sum = f64x2.replace_lane(f64x2.splat(load<f64>(gramI + (<usize>i << 3)) + ridge), 1, load<f64>(gramNext + (<usize>i << 3)));
  for (let k = 0; k < i; k++) sum = f64x2.sub(sum, f64x2.mul(v128.load(pair + (<usize>k << 4)), f64x2.splat(load<f64>(rowI + (<usize>k << 3)))));
  const diagonal = Math.sqrt(Math.max(f64x2.extract_lane(sum, 0), MIN_PIVOT));
  store<f64>(rowI + (<usize>i << 3), diagonal);
  const below = f64x2.extract_lane(sum, 1) / diagonal;
  store<f64>(rowNext + (<usize>i << 3), below);
  // Row i + 1's pivot.
  let pivot = load<f64>(gramNext + (<usize>(i + 1) << 3)) + ridge;
  for (let k = 0; k < i; k++) {
    const l = load<f64>(rowNext + (<usize>k << 3));
    pivot -= l * l;
  }
  pivot -= below * below;
  store<f64>(rowNext + (<usize>(i + 1) << 3), Math.sqrt(Math.max(pivot, MIN_PIVOT)));
}

/** Σ weights·features. */
export function predict(weights: usize, features: usize, size: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < size; i++) sum += load<f64>(weights + (<usize>i << 3)) * load<f64>(features + (<usize>i << 3));
  return sum;
}

const MIN_PIVOT: f64 = 1e-12;

/**
 * A ridge regression learned online with exponential forgetting (§7.6): the predictive coder's way of
 * fitting, to the picture it is coding, how a sample follows from its neighbours and how large
 * its error will be (TMW and GLICBAWLS fit a least-squares predictor per pixel the same way;
 * forgetting keeps the fit local to the recent rows at a fixed cost per sample).
 *
 * After n updates with features f_t and targets y_t the weights solve
 *
 *   (Σ λ^(n−t) f_t f_tᵀ + ridge·I) w = Σ λ^(n−t) f_t y_t
 *
 * re-solved on a schedule (a Cholesky factorisation: every few updates, fewer once the fit has
 * settled), so predictions between two solves use the last weights. With a prior, the fit
 * starts from the prior's weights w₀ and is also pulled towards them, by a ridge that fades as
 * the samples come in:
 *
 *   (Σ λ^(n−t) f_t f_tᵀ + (ridge + pull·fadeⁿ)·I) w = Σ λ^(n−t) f_t y_t + pull·fadeⁿ·w₀
 *
 * so that a small picture starts from what pictures usually do, and a large one soon fits
 * itself alone. Only + − × ÷ and √ on float64 in a fixed order: an encoder and
 * a decoder on any machine compute the same weights (docs/format.md §1).
 */
export class Regression {
  updates: i32 = 0;
  weights: usize;
  gram: usize;
  moments: usize;
  factor: usize;
  /** Two rows of the factor, interleaved, as solve works them out. */
  pair: usize;
  /** The prior's weights (0: none). */
  prior: usize = 0;
  pull: f64 = 0;
  fade: f64 = 1;

  constructor(
    public size: i32,
    public ridge: f64,
    public first: f64,
    public after: i32,
    public later: f64,
    public every: i32,
    public settledAfter: i32,
    public settledEvery: i32,
  ) {
    const vector = <usize>size << 3;
    this.weights = zeroed(vector);
    this.gram = zeroed(vector * <usize>size);
    this.moments = zeroed(vector);
    this.factor = zeroed(vector * <usize>size);
    this.pair = zeroed(vector * 2);
  }

  /** Starts from `weights` (size float64, copied) and pulls towards them by `pull`, faded by `fade` at each update. */
  startFrom(weights: usize, pull: f64, fade: f64): void {
    this.prior = zeroed(<usize>this.size << 3);
    memory.copy(this.prior, weights, <usize>this.size << 3);
    memory.copy(this.weights, weights, <usize>this.size << 3);
    this.pull = pull;
    this.fade = fade;
  }

  @inline predict(features: usize): f64 {
    return predict(this.weights, features, this.size);
  }

  learn(features: usize, target: f64): void {
    const n = this.updates + 1;
    learn(this.gram, this.moments, features, this.size, n > this.after ? this.later : this.first, target);
    if (this.prior !== 0) this.pull *= this.fade;
    this.updates = n;
    if (n % (n > this.settledAfter ? this.settledEvery : this.every) === 0) {
      solve(this.gram, this.moments, this.factor, this.pair, this.weights, this.size, this.ridge + this.pull, this.prior, this.pull);
    }
  }
}

// A regression on its own, for the tests of §7.6 (test/helpers/ridge-regression.ts).

export function newRegression(size: i32, ridge: f64, first: f64, after: i32, later: f64, every: i32, settledAfter: i32, settledEvery: i32): Regression {
  return new Regression(size, ridge, first, after, later, every, settledAfter, settledEvery);
}

export function regressionStartFrom(regression: Regression, weights: usize, pull: f64, fade: f64): void {
  regression.startFrom(weights, pull, fade);
}

export function regressionLearn(regression: Regression, features: usize, target: f64): void {
  regression.learn(features, target);
}

export function weightsOf(regression: Regression): usize {
  return regression.weights;
}

export function updatesOf(regression: Regression): i32 {
  return regression.updates;
}
