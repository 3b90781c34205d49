// A training worker thread: one tfjs-wasm instance (wasm is single-threaded in Node) that
// computes gradients or −ELBO terms for its share of each batch.

import { parentPort, workerData } from 'node:worker_threads';
import type { ModelConfig } from './architecture.ts';
import { initBackend, type BackendName } from './backend.ts';
import { ElboRunner, type BatchInput } from './elbo-tfjs.ts';
import type { Precision } from './vdm.ts';

export type WorkerRequest = { kind: 'gradients' | 'evaluate'; params: Float32Array; exponents: [string, number][]; batch: BatchInput };

const { config, backend, precision } = workerData as { config: ModelConfig; backend?: BackendName; precision: Precision };
await initBackend(backend);
const runner = new ElboRunner(config, precision);
const port = parentPort!;
port.on('message', (request: WorkerRequest) => {
  runner.setParams(request.params);
  const exponents = new Map(request.exponents);
  if (request.kind === 'gradients') {
    const { grads, sums } = runner.gradients(exponents, request.batch);
    port.postMessage({ grads, sums }, [grads.buffer as ArrayBuffer]);
  } else {
    const { sums, diffusion, reconstruction } = runner.evaluate(exponents, request.batch);
    port.postMessage({ sums, diffusion, reconstruction }, [diffusion.buffer as ArrayBuffer, reconstruction.buffer as ArrayBuffer]);
  }
});
port.postMessage({ ready: true });
