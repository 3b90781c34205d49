// The coding-path integer engine: the bundle exported to ONNX (onnx-export.ts) and run by
// ONNX Runtime, on the CPU execution provider or on the GPU through the WebGPU provider.
// Its outputs are bit-identical to a float64 reference (test/engines.test.ts): every value is
// an integer in float32 and every accumulator is below 2^24, so each op is exact whatever
// kernel, summation order or thread split the provider picks.

import type { InferenceSession } from 'onnxruntime-node';
import { ACT_MAX } from './architecture.ts';
import type { ModelBundle } from './bundle.ts';
import type { CanvasSize, IntegerEngine } from './denoiser.ts';
import { exportOnnx, ONNX_INPUT_FEATURES, ONNX_INPUT_STEP, ONNX_OUTPUT } from './onnx-export.ts';
import { loadOnnxRuntime, type OnnxRuntimeModule } from './onnx-runtime.ts';
import { randomIntegers } from '../random.ts';

export type OnnxOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/** Where ONNX Runtime runs the network: its CPU provider, or a GPU through its WebGPU provider. */
export type ComputeDevice = 'cpu' | 'gpu';

/**
 * Patches per network call where a caller has many: the CPU provider is fastest near 16
 * (larger batches leave the cache); WebGPU peaked at 256 on an H200 (6,034 patch-steps/s
 * against 4,363 at 64 and 1,788 at 1024).
 */
export const DEVICE_BATCH: Readonly<Record<ComputeDevice, number>> = { cpu: 16, gpu: 256 };

/**
 * The WebGPU provider with the layout pinned: its NHWC layout (the one it picked when none
 * was given) computed wrong convolutions for this network, up to 1.2·10^5 accumulator units
 * off, where NCHW was bit-identical to the CPU provider at every batch and optimisation level.
 */
export const WEBGPU_PROVIDER = { name: 'webgpu', preferredLayout: 'NCHW' } as const;

export interface OnnxEngineOptions {
  /** Intra-op threads (default 1: the coder parallelises over processes/patches itself). */
  threads?: number;
  /**
   * ORT graph optimisation level. Default 'all'. The fusions it applies (bias and
   * power-of-two Mul folded into Conv, NCHWc layout with its direct-convolution kernels) only
   * rescale by powers of two or reorder sums of integers, which is exact within the 2^24
   * accumulator bound; the engine tests check every level bit for bit against a float64
   * reference.
   */
  optimization?: OnnxOptimization;
  /** Default 'cpu'. 'gpu' fails (GpuUnavailableError) where no WebGPU adapter answers. */
  device?: ComputeDevice;
  /** Patches per call (default DEVICE_BATCH of the device). */
  batch?: number;
}

/** The GPU cannot be used here; `reason` says what is missing, in a few words. */
export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`no GPU: ${reason}`, options);
  }
}

/**
 * Why the WebGPU provider cannot start here, or undefined when it may. On Linux its Dawn
 * backend needs the Vulkan loader; without it, session creation fails only after Dawn has
 * printed a warning straight to stderr, so the loader is looked for first, with the
 * system's own dlopen search. The library loads (it is no Node addon, so Node then
 * refuses it as a module): that is the sign it is there.
 */
export function missingGpuLibrary(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, 'libvulkan.so.1');
  } catch (error) {
    const message = (error as Error).message;
    if (/cannot open shared object file/.test(message)) return 'no Vulkan loader (libvulkan.so.1 not found; Debian/Ubuntu package libvulkan1)';
  }
  return undefined;
}

/** ONNX Runtime's reason for a failed WebGPU session, without its source path and assertion text. */
export function webGpuFailureReason(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const adapter = /Failed to get a WebGPU adapter: ([^\n]*)/.exec(message);
  if (adapter) return `no WebGPU adapter (${adapter[1].trim().replace(/\.$/, '')})`;
  const firstLine = message.split('\n').find((line) => line.trim() !== '') ?? 'unknown failure';
  return `the WebGPU provider failed to start: ${firstLine.replace(/^\S+\.cc:\d+ \S+ /, '').trim()}`;
}

export class OnnxEngine implements IntegerEngine {
  readonly name: string;
  private readonly featureChannels: number;

  private constructor(
    private readonly ort: OnnxRuntimeModule,
    private readonly bundle: ModelBundle,
    private readonly session: InferenceSession,
    readonly device: ComputeDevice,
    readonly batch: number,
    threads: number,
    optimization: OnnxOptimization,
  ) {
    const settings = [device === 'cpu' ? `threads=${threads}` : `batch=${batch}`, optimization === 'all' ? '' : `opt=${optimization}`].filter(Boolean).join(', ');
    this.name = `${device === 'cpu' ? 'onnx-cpu' : 'onnx-webgpu'}(${settings})`;
    const input = bundle.nodes[0];
    this.featureChannels = input.op === 'input' ? input.channels : 0;
  }

  static async create(bundle: ModelBundle, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const threads = options.threads ?? 1;
    const optimization = options.optimization ?? 'all';
    const device = options.device ?? 'cpu';
    const batch = options.batch ?? DEVICE_BATCH[device];
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (device !== 'cpu' && device !== 'gpu') throw new RangeError(`device must be cpu or gpu, got ${String(device)}`);
    if (device === 'gpu') {
      const missing = missingGpuLibrary();
      if (missing !== undefined) throw new GpuUnavailableError(missing);
    }
    const ort = await loadOnnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(exportOnnx(bundle), {
        executionProviders: device === 'cpu' ? ['cpu'] : [WEBGPU_PROVIDER],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: optimization,
        logSeverityLevel: 3,
      });
    } catch (error) {
      if (device === 'gpu') throw new GpuUnavailableError(webGpuFailureReason(error), { cause: error });
      throw error;
    }
    const engine = new OnnxEngine(ort, bundle, session, device, batch, threads, optimization);
    if (device === 'gpu') {
      try {
        await engine.checkAgainstCpu();
      } catch (error) {
        await engine.dispose();
        throw error;
      }
    }
    return engine;
  }

  /**
   * Files must decode on any device, so a GPU is used only once it has computed a probe
   * batch exactly as the CPU provider does: a wrong layout or kernel shows on any input.
   */
  private async checkAgainstCpu(): Promise<void> {
    const { patch, T } = this.bundle.meta.config;
    const n = 2;
    const features = randomIntegers(n * patch * patch * this.featureChannels, ACT_MAX, 0x9e3779b9); // the coder's feature range
    const step = Math.ceil(T / 2);
    const cpu = await OnnxEngine.create(this.bundle, { device: 'cpu' });
    let expected: Float32Array;
    try {
      expected = await cpu.run(features, n, step);
    } finally {
      await cpu.dispose();
    }
    const got = await this.run(features, n, step);
    let differing = 0;
    for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) differing++;
    if (differing > 0) throw new GpuUnavailableError(`the WebGPU adapter computes the network inexactly (${differing} of ${expected.length} probe outputs differ from the CPU's)`);
  }

  async run(features: Float32Array, n: number, step: number, size?: CanvasSize): Promise<Float32Array> {
    const { patch, T } = this.bundle.meta.config;
    const { height, width } = size ?? { height: patch, width: patch };
    if (!Number.isInteger(step) || step < 1 || step > T) throw new RangeError(`step must be in 1..${T}, got ${step}`);
    const expected = n * height * width * this.featureChannels;
    if (features.length !== expected) throw new RangeError(`features: expected ${expected} values for ${n}×${height}×${width}, got ${features.length}`);
    const feeds = {
      [ONNX_INPUT_FEATURES]: new this.ort.Tensor('float32', features, [n, height, width, this.featureChannels]),
      [ONNX_INPUT_STEP]: new this.ort.Tensor('int64', BigInt64Array.of(BigInt(step - 1)), [1]),
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
