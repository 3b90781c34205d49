// Specified in docs/format.md §7.6.
import { instantiateKernels, type Kernels } from '../kernels/index.ts';

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
  /** The kernels (src/kernels/) that update and solve the fit, in whose memory every array below lives. */
  private readonly kernels: Kernels;
  /** Where each array starts in the kernels' memory: the gram Σ λ^(n−t) f fᵀ (lower triangle, row i, column j ≤ i, row-major), the moments Σ λ^(n−t) f y, the Cholesky factor of gram + ridge·I (lower triangle), the prior's weights, and the features being learned. */
  private readonly at: { weights: number; gram: number; moments: number; factor: number; prior: number; features: number };
  private readonly features: Float64Array;
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
    const { kernels, memory } = instantiateKernels();
    const vector = size * Float64Array.BYTES_PER_ELEMENT;
    const matrix = size * vector;
    // alloc never returns 0, the kernels' "no prior".
    this.at = { weights: kernels.alloc(vector), moments: kernels.alloc(vector), prior: prior ? kernels.alloc(vector) : 0, features: kernels.alloc(vector), gram: kernels.alloc(matrix), factor: kernels.alloc(matrix) };
    this.kernels = kernels;
    this.weights = new Float64Array(memory.buffer, this.at.weights, size);
    this.features = new Float64Array(memory.buffer, this.at.features, size);
    this.pull = prior ? prior.pull : 0;
    if (prior) {
      if (prior.weights.length !== size) throw new RangeError(`prior has ${prior.weights.length} weights for ${size} features`);
      this.weights.set(prior.weights);
      new Float64Array(memory.buffer, this.at.prior, size).set(prior.weights);
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
    const { at, size } = this;
    const n = this.updates + 1;
    const forgetting = n > this.forgetting.after ? this.forgetting.later : this.forgetting.first;
    this.features.set(features);
    this.kernels.learn(at.gram, at.moments, at.features, size, forgetting, target);
    if (this.prior) this.pull *= this.prior.fade;
    this.updates = n;
    if (n % (n > this.solves.settledAfter ? this.solves.settledEvery : this.solves.every) === 0) {
      this.kernels.solve(at.gram, at.moments, at.factor, at.weights, size, this.ridge + this.pull, this.prior ? at.prior : 0, this.pull);
    }
  }
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
