// Picks an integer engine for the coder: ONNX Runtime (the fast coding path) or tfjs (the
// reference, on whichever tfjs backend is active). Both give bit-identical outputs.

import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import type { ModelBundle } from './bundle.ts';
import type { IntegerEngine } from './denoiser.ts';
import { OnnxEngine, type OnnxEngineOptions } from './engine-onnx.ts';
import { TfjsEngine } from './engine-tfjs.ts';

export type EngineKind = 'onnx' | 'tfjs';
export const ENGINE_KINDS: readonly EngineKind[] = ['onnx', 'tfjs'];

export type EngineOptions = OnnxEngineOptions;

export async function createEngine(bundle: ModelBundle, kind: EngineKind, options: EngineOptions = {}): Promise<IntegerEngine> {
  switch (kind) {
    case 'onnx':
      return OnnxEngine.create(bundle, options);
    case 'tfjs':
      // tf.engine().backendName stays null until a backend is chosen; do not let tfjs pick
      // one implicitly (it would prefer whatever registered last), use wasm as training does.
      if (!tf.engine().backendName) await initBackend('wasm');
      await tf.ready();
      return new TfjsEngine(bundle);
    default:
      throw new Error(`unknown engine ${String(kind)} (expected one of ${ENGINE_KINDS.join(', ')})`);
  }
}
