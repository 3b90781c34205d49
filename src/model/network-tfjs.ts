// The denoiser on tfjs, in two readings of the same node list:
// - `trainingOps`: float master weights, fake-quantised on the fly (straight-through
//   gradients). Values are real numbers on the integer grid (int / 2^ACT_FRACTION_BITS), so the
//   forward pass computes exactly what the integer network computes.
// - `integerOps`: integer weights and per-step integer biases from a bundle; values are the
//   integers themselves. This is the reference engine that ONNX Runtime must match bit for bit.

import * as tf from '@tensorflow/tfjs';
import { ACT_FRACTION_BITS, ACT_MAX, BIAS_MAX, activationRange, type ConvNode } from './architecture.ts';
import type { NodeOps } from './interpret.ts';

const ACT_SCALE = 2 ** ACT_FRACTION_BITS;

/** floor(x + 0.5) whose gradient is the identity (straight-through estimator). */
const roundHalfUpSTE = tf.customGrad((x, _save) => ({
  value: tf.floor(tf.add(x as tf.Tensor, 0.5)),
  gradFunc: (dy: tf.Tensor) => [dy],
})) as (x: tf.Tensor) => tf.Tensor;

/** x > 0 as a boolean mask, through which no gradient flows (tfjs has no gradient for Greater). */
export const isPositive = tf.customGrad((x, _save) => ({
  value: tf.greater(x as tf.Tensor, 0),
  gradFunc: () => [tf.zerosLike(x as tf.Tensor)],
})) as (x: tf.Tensor) => tf.Tensor;

/** Rounds x·scale half up to an integer and divides back; gradient passes straight through. */
export function fakeQuantize(x: tf.Tensor, scale: number): tf.Tensor {
  return tf.div(roundHalfUpSTE(tf.mul(x, scale)), scale);
}

/**
 * 'same'-padded stride-1 conv with a gradient built from conv2d only: the wasm
 * backend has no Conv2DBackpropFilter, and its conv2dTranspose is ~10× slower than conv2d
 * (DESIGN §4), so dx is a conv2d with the kernel flipped and its channels swapped, and dW is
 * a conv2d too.
 */
export const conv2dSame = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, kernel, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([input, kernel]);
  return {
    value: tf.conv2d(input, kernel, 1, 'same'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      const k = ws.shape[0];
      const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const dx = tf.conv2d(dy4, flipped, 1, 'same');
      // dW[i,j,ci,co] = Σ_{n,y,x} xpad[n,y+i,x+j,ci]·dy[n,y,x,co]: a 'valid' conv2d with the
      // input channels as batch, the image batch as channels and dy as a (P×P) kernel. On wasm
      // this runs at conv speed, ~6× faster than the same product as an im2col matMul.
      const pad = (k - 1) / 2;
      const padded = pad > 0 ? tf.pad(xs, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : xs;
      const channelsAsBatch = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
      const dyAsKernel = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D;
      const dw = tf.transpose(tf.conv2d(channelsAsBatch, dyAsKernel, 1, 'valid'), [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
}

export interface TrainingLayer {
  weight: tf.Tensor4D;
  /** Per-example bias [N, 1, 1, cout] (static bias plus the time bias of the example's step). */
  bias: tf.Tensor4D;
  /** Weights are quantised as int / 2^exponent. */
  exponent: number;
}

/**
 * Fake-quantised training graph. Values are real: an activation integer a appears as a/32,
 * a weight integer w as w/2^e, so conv outputs are accumulators divided by 2^(e+5), exactly.
 */
export function trainingOps(layers: Map<string, TrainingLayer>): NodeOps<tf.Tensor4D> {
  return {
    conv(node: ConvNode, x) {
      const layer = layers.get(node.name)!;
      const weightScale = 2 ** layer.exponent;
      const accScale = weightScale * ACT_SCALE;
      const w = fakeQuantize(layer.weight, weightScale) as tf.Tensor4D;
      const b = fakeQuantize(tf.clipByValue(layer.bias, -BIAS_MAX / accScale, BIAS_MAX / accScale), accScale);
      const acc = tf.add(conv2dSame(x, w), b) as tf.Tensor4D;
      if (node.act === 'none') return acc;
      const [lo, hi] = activationRange(node.act);
      return fakeQuantize(tf.clipByValue(acc, lo / ACT_SCALE, hi / ACT_SCALE), ACT_SCALE) as tf.Tensor4D;
    },
    add: (a, b) => tf.clipByValue(tf.add(a, b), -ACT_MAX / ACT_SCALE, ACT_MAX / ACT_SCALE) as tf.Tensor4D,
    down: (x) => fakeQuantize(tf.avgPool(x, 2, 2, 'valid'), ACT_SCALE) as tf.Tensor4D,
    up: upsample2x,
  };
}

/**
 * The same architecture in plain float32: no quantisation and no clamps. Only for measuring
 * what the integer constraint costs; a model trained this way cannot code.
 */
export function floatOps(layers: Map<string, TrainingLayer>): NodeOps<tf.Tensor4D> {
  return {
    conv(node: ConvNode, x) {
      const layer = layers.get(node.name)!;
      const acc = tf.add(conv2dSame(x, layer.weight), layer.bias) as tf.Tensor4D;
      return node.act === 'relu' ? tf.relu(acc) : acc;
    },
    add: (a, b) => tf.add(a, b) as tf.Tensor4D,
    down: (x) => tf.avgPool(x, 2, 2, 'valid'),
    up: upsample2x,
  };
}

export interface IntegerLayer {
  weight: tf.Tensor4D;
  /** Bias integers [1, 1, 1, cout] for the step being run. */
  bias: tf.Tensor4D;
  exponent: number;
}

/** floor(acc·2^-e + 0.5) clamped: the power-of-two rescale of DESIGN §2, exact in float32. */
function requantize(acc: tf.Tensor, exponent: number, lo: number, hi: number): tf.Tensor4D {
  return tf.clipByValue(tf.floor(tf.add(tf.mul(acc, 2 ** -exponent), 0.5)), lo, hi) as tf.Tensor4D;
}

/** Integer graph: every value is an integer held in float32. */
export function integerOps(layers: Map<string, IntegerLayer>): NodeOps<tf.Tensor4D> {
  return {
    conv(node: ConvNode, x) {
      const layer = layers.get(node.name)!;
      const acc = tf.add(tf.conv2d(x, layer.weight, 1, 'same'), layer.bias) as tf.Tensor4D;
      if (node.act === 'none') return acc;
      const [lo, hi] = activationRange(node.act);
      return requantize(acc, layer.exponent, lo, hi);
    },
    add: (a, b) => tf.clipByValue(tf.add(a, b), -ACT_MAX, ACT_MAX) as tf.Tensor4D,
    // avgPool divides an integer sum of four by 4: exact, whatever order the backend sums in.
    down: (x) => tf.floor(tf.add(tf.avgPool(x, 2, 2, 'valid'), 0.5)) as tf.Tensor4D,
    up: upsample2x,
  };
}
