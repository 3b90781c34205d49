// Specified in docs/format.md §7.6.
/**
 * Ridge regression learned online with exponential forgetting: the predictive coder's way of
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
export class RidgeRegression {
  readonly weights: Float64Array;
  /** Σ λ^(n−t) f fᵀ, lower triangle (row i, column j ≤ i, row-major). */
  private readonly gram: Float64Array;
  /** Σ λ^(n−t) f y. */
  private readonly moments: Float64Array;
  /** Cholesky factor of gram + ridge·I, lower triangle. */
  private readonly factor: Float64Array;
  private updates = 0;
  /** pull·fadeⁿ, multiplied by fade at each update (a fixed sequence of products, not a power). */
  private pull: number;

  constructor(
    readonly size: number,
    private readonly ridge: number,
    private readonly forgetting: Forgetting,
    private readonly solves: SolveSchedule,
    private readonly prior?: RegressionPrior,
  ) {
    this.weights = new Float64Array(size);
    this.gram = new Float64Array(size * size);
    this.moments = new Float64Array(size);
    this.factor = new Float64Array(size * size);
    this.pull = prior ? prior.pull : 0;
    if (prior) {
      if (prior.weights.length !== size) throw new RangeError(`prior has ${prior.weights.length} weights for ${size} features`);
      this.weights.set(prior.weights);
    }
  }

  /** How many times `learn` has been called. */
  get count(): number {
    return this.updates;
  }

  predict(features: Float64Array): number {
    const { weights, size } = this;
    let sum = 0;
    for (let i = 0; i < size; i++) sum += weights[i] * features[i];
    return sum;
  }

  learn(features: Float64Array, target: number): void {
    const { gram, moments, size } = this;
    const n = this.updates + 1;
    const forgetting = n > this.forgetting.after ? this.forgetting.later : this.forgetting.first;
    for (let i = 0; i < size; i++) {
      const fi = features[i];
      moments[i] = moments[i] * forgetting + fi * target;
      const row = i * size;
      for (let j = 0; j <= i; j++) gram[row + j] = gram[row + j] * forgetting + fi * features[j];
    }
    if (this.prior) this.pull *= this.prior.fade;
    this.updates = n;
    if (n % (n > this.solves.settledAfter ? this.solves.settledEvery : this.solves.every) === 0) this.solve();
  }

  private solve(): void {
    const { gram, moments, factor, weights, size, prior, pull } = this;
    const ridge = this.ridge + pull;
    for (let i = 0; i < size; i++) {
      const rowI = i * size;
      for (let j = 0; j < i; j++) {
        const rowJ = j * size;
        let sum = gram[rowI + j];
        for (let k = 0; k < j; k++) sum -= factor[rowI + k] * factor[rowJ + k];
        factor[rowI + j] = sum / factor[rowJ + j];
      }
      let pivot = gram[rowI + i] + ridge;
      for (let k = 0; k < i; k++) pivot -= factor[rowI + k] * factor[rowI + k];
      // The ridge keeps the matrix positive definite; the floor only guards rounding.
      factor[rowI + i] = Math.sqrt(Math.max(pivot, MIN_PIVOT));
    }
    for (let i = 0; i < size; i++) {
      let sum = prior ? moments[i] + pull * prior.weights[i] : moments[i];
      for (let k = 0; k < i; k++) sum -= factor[i * size + k] * weights[k];
      weights[i] = sum / factor[i * size + i];
    }
    for (let i = size - 1; i >= 0; i--) {
      let sum = weights[i];
      for (let k = i + 1; k < size; k++) sum -= factor[k * size + i] * weights[k];
      weights[i] = sum / factor[i * size + i];
    }
  }
}

const MIN_PIVOT = 1e-12;

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
