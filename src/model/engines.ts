// Opens the coder's integer engine: ONNX Runtime, on the CPU or on a GPU through its WebGPU
// provider. Both give bit-identical outputs, so a file made on one decodes on the other.

import type { ModelBundle } from './bundle.ts';
import type { IntegerEngine } from './denoiser.ts';
import { GpuUnavailableError, OnnxEngine, type ComputeDevice, type OnnxEngineOptions } from './engine-onnx.ts';

/** The device asked for: the GPU where one answers ('auto'), or one of them for sure. */
export type DeviceChoice = 'auto' | ComputeDevice;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'cpu', 'gpu'];

export { GpuUnavailableError, type ComputeDevice };

export interface EngineOptions extends Omit<OnnxEngineOptions, 'device'> {
  /** Default 'cpu'. */
  device?: DeviceChoice;
}

export interface OpenedEngine {
  engine: IntegerEngine;
  device: ComputeDevice;
  /** Why 'auto' fell back to the CPU. */
  gpuUnavailable?: string;
}

/** An engine on the device asked for; 'gpu' throws GpuUnavailableError where there is none, 'auto' falls back to the CPU and says why. */
export async function openEngine(bundle: ModelBundle, options: EngineOptions = {}): Promise<OpenedEngine> {
  const device = options.device ?? 'cpu';
  if (!DEVICE_CHOICES.includes(device)) throw new RangeError(`unknown device ${String(device)} (expected one of ${DEVICE_CHOICES.join(', ')})`);
  if (device !== 'auto') return { engine: await OnnxEngine.create(bundle, { ...options, device }), device };
  try {
    return { engine: await OnnxEngine.create(bundle, { ...options, device: 'gpu' }), device: 'gpu' };
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    return { engine: await OnnxEngine.create(bundle, { ...options, device: 'cpu' }), device: 'cpu', gpuUnavailable: error.reason };
  }
}

export async function createEngine(bundle: ModelBundle, options: EngineOptions = {}): Promise<IntegerEngine> {
  return (await openEngine(bundle, options)).engine;
}
