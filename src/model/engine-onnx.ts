// The coding-path integer engine: the bundle exported to ONNX (onnx-export.ts) and run by
// ONNX Runtime's CPU execution provider. Its outputs are bit-identical to the tfjs reference
// (test/engines.test.ts): every value is an integer in float32 and every accumulator is below
// 2^24, so each op is exact whatever kernel, summation order or thread split ORT picks.

import * as ort from 'onnxruntime-node';
import type { ModelBundle } from './bundle.ts';
import type { CanvasSize, IntegerEngine } from './denoiser.ts';
import { exportOnnx, ONNX_INPUT_FEATURES, ONNX_INPUT_STEP, ONNX_OUTPUT } from './onnx-export.ts';

export type OnnxOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxEngineOptions {
  /** Intra-op threads (default 1: the coder parallelises over processes/patches itself). */
  threads?: number;
  /**
   * ORT graph optimisation level. Default 'all'. The fusions it applies (bias and
   * power-of-two Mul folded into Conv, NCHWc layout with its direct-convolution kernels) only
   * rescale by powers of two or reorder sums of integers, which is exact within the 2^24
   * accumulator bound; the engine tests check every level bit for bit against the tfjs
   * engines and a float64 reference.
   */
  optimization?: OnnxOptimization;
}

export class OnnxEngine implements IntegerEngine {
  readonly name: string;
  private readonly featureChannels: number;

  private constructor(private readonly bundle: ModelBundle, private readonly session: ort.InferenceSession, threads: number, optimization: OnnxOptimization) {
    this.name = `onnx-cpu(threads=${threads}${optimization === 'all' ? '' : `, opt=${optimization}`})`;
    const input = bundle.nodes[0];
    this.featureChannels = input.op === 'input' ? input.channels : 0;
  }

  static async create(bundle: ModelBundle, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const threads = options.threads ?? 1;
    const optimization = options.optimization ?? 'all';
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const session = await ort.InferenceSession.create(exportOnnx(bundle), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: optimization,
      logSeverityLevel: 3,
    });
    return new OnnxEngine(bundle, session, threads, optimization);
  }

  async run(features: Float32Array, n: number, step: number, size?: CanvasSize): Promise<Float32Array> {
    const { patch, T } = this.bundle.meta.config;
    const { height, width } = size ?? { height: patch, width: patch };
    if (!Number.isInteger(step) || step < 1 || step > T) throw new RangeError(`step must be in 1..${T}, got ${step}`);
    const expected = n * height * width * this.featureChannels;
    if (features.length !== expected) throw new RangeError(`features: expected ${expected} values for ${n}×${height}×${width}, got ${features.length}`);
    const feeds = {
      [ONNX_INPUT_FEATURES]: new ort.Tensor('float32', features, [n, height, width, this.featureChannels]),
      [ONNX_INPUT_STEP]: new ort.Tensor('int64', BigInt64Array.of(BigInt(step - 1)), [1]),
    };
    const results = await this.session.run(feeds);
    const output = results[ONNX_OUTPUT];
    const data = output.data as Float32Array;
    // Copy out of the ORT-owned buffer so later runs can never alias a returned array.
    const copy = data.slice();
    output.dispose();
    return copy;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
