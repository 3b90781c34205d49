// Chooses the tfjs backend: tfjs-node-gpu when it happens to be installed (it cannot be
// installed offline, so it is never a dependency), otherwise WebAssembly with SIMD.

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

export async function initBackend(preferred?: BackendName): Promise<BackendName> {
  if (preferred === undefined || preferred === 'tensorflow') {
    try {
      const gpuPackage = '@tensorflow/tfjs-node-gpu';
      await import(gpuPackage);
      if (await tf.setBackend('tensorflow')) return 'tensorflow';
    } catch {
      if (preferred === 'tensorflow') throw new Error('@tensorflow/tfjs-node-gpu is not installed');
    }
  }
  const name = preferred ?? 'wasm';
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
  return name;
}
