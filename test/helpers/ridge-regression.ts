// One ridge regression of the predictor (docs/format.md §7.6; src/kernels/assembly/ridge.ts) on
// its own, in a kernels instance of its own, for the tests of its arithmetic.
import { instantiateKernels, type Kernels } from '../../src/kernels/index.ts';
import type { Forgetting, RegressionPrior, SolveSchedule } from '../../src/predictor/refinement.ts';

export class RidgeRegression {
  private readonly kernels: Kernels;
  private readonly memory: WebAssembly.Memory;
  private readonly regression: number;
  private readonly features: number;

  constructor(
    readonly size: number,
    ridge: number,
    forgetting: Forgetting,
    solves: SolveSchedule,
    prior?: RegressionPrior,
  ) {
    if (prior && prior.weights.length !== size) throw new RangeError(`prior has ${prior.weights.length} weights for ${size} features`);
    const { kernels, memory } = instantiateKernels();
    [this.kernels, this.memory] = [kernels, memory];
    this.regression = kernels.newRegression(size, ridge, forgetting.first, forgetting.after, forgetting.later, solves.every, solves.settledAfter, solves.settledEvery);
    this.features = kernels.alloc(size * Float64Array.BYTES_PER_ELEMENT);
    if (prior) {
      this.view(this.features).set(prior.weights);
      kernels.regressionStartFrom(this.regression, this.features, prior.pull, prior.fade);
    }
  }

  private view(at: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, this.size);
  }

  /** The weights now (a copy). */
  get weights(): Float64Array {
    return Float64Array.from(this.view(this.kernels.weightsOf(this.regression)));
  }

  get count(): number {
    return this.kernels.updatesOf(this.regression);
  }

  predict(features: Float64Array): number {
    const weights = this.weights;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += weights[i] * features[i];
    return sum;
  }

  learn(features: Float64Array, target: number): void {
    this.view(this.features).set(features);
    this.kernels.regressionLearn(this.regression, this.features, target);
  }
}
