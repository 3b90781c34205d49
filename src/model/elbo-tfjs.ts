// Runs the training graph on flat parameter vectors: loss and gradients for a batch, or the
// −ELBO terms alone. Each training worker owns one of these.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './architecture.ts';
import { paramLayout, view, type ParamLayout } from './params.ts';
import type { Precision } from './architecture.ts';
import { VdmTrainingGraph } from './vdm.ts';

export interface TermSums {
  prior: number;
  diffusion: number;
  reconstruction: number;
}

export interface BatchInput {
  /** Pixels 0..255 as float32 [N, P, P, C]. */
  pixels: Float32Array;
  /** Diffusion step of each example, 1..T. */
  steps: Int32Array;
  /** Seed of the Gaussian noise ε and ε0. */
  seed: number;
  /** Importance weight 1/p(step) of each example (default T: steps drawn uniformly). */
  weights?: Float32Array;
  /** ε and ε0 themselves, [N, P, P, C], instead of drawing them from `seed` (to compare trainers). */
  noise?: { eps: Float32Array; eps0: Float32Array };
}

export class ElboRunner {
  private readonly layout: ParamLayout;
  private readonly graph: VdmTrainingGraph;
  private readonly variables: Map<string, tf.Variable>;
  readonly dims: number;

  constructor(readonly config: ModelConfig, precision: Precision = 'integer') {
    this.layout = paramLayout(config);
    this.graph = new VdmTrainingGraph(config, precision);
    // tfjs registers variables by name process-wide: unnamed ones let several runners coexist.
    this.variables = new Map(this.layout.specs.map((s) => [s.name, tf.variable(tf.zeros(s.shape), true)]));
    this.dims = config.patch * config.patch * config.channels;
  }

  setParams(params: Float32Array): void {
    for (const spec of this.layout.specs) {
      const value = tf.tensor(view(params, spec), spec.shape);
      this.variables.get(spec.name)!.assign(value);
      value.dispose();
    }
  }

  private terms(exponents: Map<string, number>, batch: BatchInput) {
    const { patch, channels } = this.config;
    const n = batch.steps.length;
    const shape: [number, number, number, number] = [n, patch, patch, channels];
    const pixels = tf.tensor4d(batch.pixels, shape);
    const steps = tf.tensor1d(batch.steps, 'int32');
    const eps = batch.noise ? tf.tensor4d(batch.noise.eps, shape) : (tf.randomNormal(shape, 0, 1, 'float32', batch.seed) as tf.Tensor4D);
    const eps0 = batch.noise ? tf.tensor4d(batch.noise.eps0, shape) : (tf.randomNormal(shape, 0, 1, 'float32', batch.seed + 0x9e3779b9) as tf.Tensor4D);
    const weights = batch.weights && tf.tensor1d(batch.weights);
    return this.graph.elbo({ get: (name) => this.variables.get(name)! }, exponents, pixels, steps, eps, eps0, weights);
  }

  /** Mean −ELBO of the batch in bits per dimension, its gradient, and the summed terms in nats. */
  gradients(exponents: Map<string, number>, batch: BatchInput): { grads: Float32Array; sums: TermSums } {
    const n = batch.steps.length;
    const scale = 1 / (n * this.dims * Math.LN2);
    const out = tf.tidy(() => {
      let parts: tf.Tensor[] = [];
      const { grads } = tf.variableGrads(() => {
        const t = this.terms(exponents, batch);
        parts = [tf.sum(t.prior), tf.sum(t.diffusion), tf.sum(t.reconstruction)].map((p) => tf.keep(p));
        return tf.mul(tf.addN(parts), scale) as tf.Scalar;
      }, [...this.variables.values()]);
      return { grads: this.layout.specs.map((s) => grads[this.variables.get(s.name)!.name]), parts };
    });
    const flat = new Float32Array(this.layout.total);
    this.layout.specs.forEach((spec, i) => flat.set(out.grads[i].dataSync(), spec.offset));
    const [prior, diffusion, reconstruction] = out.parts.map((p) => p.dataSync()[0]);
    tf.dispose([...out.grads, ...out.parts]);
    return { grads: flat, sums: { prior, diffusion, reconstruction } };
  }

  /** The summed −ELBO terms (nats) of a batch, and each example's diffusion and reconstruction terms, without gradients. */
  evaluate(exponents: Map<string, number>, batch: BatchInput): { sums: TermSums; diffusion: Float32Array; reconstruction: Float32Array } {
    const [prior, diffusion, reconstruction] = tf.tidy(() => {
      const t = this.terms(exponents, batch);
      return [t.prior, t.diffusion, t.reconstruction];
    });
    const [priorEach, diffusionEach, reconstructionEach] = [prior, diffusion, reconstruction].map((t) => t.dataSync() as Float32Array);
    tf.dispose([prior, diffusion, reconstruction]);
    const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);
    return { sums: { prior: sum(priorEach), diffusion: sum(diffusionEach), reconstruction: sum(reconstructionEach) }, diffusion: diffusionEach, reconstruction: reconstructionEach };
  }
}
