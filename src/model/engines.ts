// Picks an integer engine for the coder: ONNX Runtime (the fast coding path, on the CPU or a
// GPU) or tfjs (the reference, on whichever tfjs backend is active). All give bit-identical
// outputs, so a file made on one decodes on any other.

import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import type { ModelBundle } from './bundle.ts';
import type { IntegerEngine } from './denoiser.ts';
import { GpuUnavailableError, OnnxEngine, type ComputeDevice, type OnnxEngineOptions } from './engine-onnx.ts';
import { TfjsEngine } from './engine-tfjs.ts';

export type EngineKind = 'onnx' | 'tfjs';
export const ENGINE_KINDS: readonly EngineKind[] = ['onnx', 'tfjs'];

/** The device asked for: the GPU where one answers ('auto'), or one of them for sure. */
export type DeviceChoice = 'auto' | ComputeDevice;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'cpu', 'gpu'];

export { GpuUnavailableError, type ComputeDevice };

export interface EngineOptions extends Omit<OnnxEngineOptions, 'device'> {
  /** Default 'cpu'. The tfjs engine runs on the CPU only. */
  device?: DeviceChoice;
}

export interface OpenedEngine {
  engine: IntegerEngine;
  device: ComputeDevice;
  /** Why 'auto' fell back to the CPU. */
  gpuUnavailable?: string;
}

/** An engine on the device asked for; 'gpu' throws GpuUnavailableError where there is none, 'auto' falls back to the CPU and says why. */
export async function openEngine(bundle: ModelBundle, kind: EngineKind, options: EngineOptions = {}): Promise<OpenedEngine> {
  const device = options.device ?? 'cpu';
  if (!DEVICE_CHOICES.includes(device)) throw new RangeError(`unknown device ${String(device)} (expected one of ${DEVICE_CHOICES.join(', ')})`);
  switch (kind) {
    case 'onnx': {
      if (device !== 'auto') return { engine: await OnnxEngine.create(bundle, { ...options, device }), device };
      try {
        return { engine: await OnnxEngine.create(bundle, { ...options, device: 'gpu' }), device: 'gpu' };
      } catch (error) {
        if (!(error instanceof GpuUnavailableError)) throw error;
        return { engine: await OnnxEngine.create(bundle, { ...options, device: 'cpu' }), device: 'cpu', gpuUnavailable: error.reason };
      }
    }
    case 'tfjs':
      if (device === 'gpu') throw new GpuUnavailableError('the tfjs engine runs on the CPU only; the GPU needs the onnx engine');
      // tf.engine().backendName stays null until a backend is chosen; do not let tfjs pick
      // one implicitly (it would prefer whatever registered last), use wasm as training does.
      if (!tf.engine().backendName) await initBackend('wasm');
      await tf.ready();
      return { engine: new TfjsEngine(bundle), device: 'cpu', gpuUnavailable: device === 'auto' ? 'the tfjs engine runs on the CPU only' : undefined };
    default:
      throw new Error(`unknown engine ${String(kind)} (expected one of ${ENGINE_KINDS.join(', ')})`);
  }
}

export async function createEngine(bundle: ModelBundle, kind: EngineKind, options: EngineOptions = {}): Promise<IntegerEngine> {
  return (await openEngine(bundle, kind, options)).engine;
}
