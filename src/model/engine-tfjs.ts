// The tfjs reference engine for the integer network (any tfjs backend: wasm, cpu, node).

import * as tf from '@tensorflow/tfjs';
import { convNodes, inputChannels } from './architecture.ts';
import type { ModelBundle } from './bundle.ts';
import type { CanvasSize, IntegerEngine } from './denoiser.ts';
import { interpret } from './interpret.ts';
import { integerOps, type IntegerLayer } from './network-tfjs.ts';

/** Runs on the tfjs backend that was active when it was created (its tensors live there). */
export class TfjsEngine implements IntegerEngine {
  readonly name: string;
  /** As the CPU provider of ONNX Runtime: the same calls, so both engines run the same batches. */
  readonly batch = 16;
  private readonly weights = new Map<string, tf.Tensor4D>();
  /** Per layer, one [1,1,1,cout] bias tensor per bias row. */
  private readonly biases = new Map<string, tf.Tensor4D[]>();

  constructor(private readonly bundle: ModelBundle) {
    this.name = `tfjs-${tf.getBackend()}`;
    for (const node of convNodes(bundle.nodes)) {
      const w = bundle.weights.get(node.name)!;
      this.weights.set(node.name, tf.tensor4d(Float32Array.from(w), [node.kernel, node.kernel, node.cin, node.cout]));
      const b = bundle.biases.get(node.name)!;
      const rows = b.length / node.cout;
      this.biases.set(node.name, Array.from({ length: rows }, (_, r) => tf.tensor4d(Float32Array.from(b.subarray(r * node.cout, (r + 1) * node.cout)), [1, 1, 1, node.cout])));
    }
  }

  async run(features: Float32Array, n: number, step: number, size?: CanvasSize): Promise<Float32Array> {
    const { patch, T } = this.bundle.meta.config;
    const { height, width } = size ?? { height: patch, width: patch };
    const channels = inputChannels(this.bundle.meta.config);
    if (!Number.isInteger(step) || step < 1 || step > T) throw new RangeError(`step ${step} is outside 1…${T}`);
    if (features.length !== n * height * width * channels) throw new RangeError(`features hold ${features.length} values, expected ${n}×${height}×${width}×${channels}`);
    const layers = new Map<string, IntegerLayer>();
    this.bundle.meta.layers.forEach((layer) => {
      const rows = this.biases.get(layer.name)!;
      layers.set(layer.name, { weight: this.weights.get(layer.name)!, bias: rows.length === 1 ? rows[0] : rows[step - 1], exponent: layer.exponent });
    });
    const output = tf.tidy(() => {
      const input = tf.tensor4d(features, [n, height, width, channels]);
      return interpret(this.bundle.nodes, input, integerOps(layers));
    });
    const data = (await output.data()) as Float32Array;
    output.dispose();
    return data;
  }

  async dispose(): Promise<void> {
    tf.dispose([...this.weights.values(), ...[...this.biases.values()].flat()]);
  }
}
