/**
 * The predictor's WebAssembly kernels (src/predictor/assembly/, compiled into kernels-wasm.ts
 * by scripts/build-kernels.ts): its hottest loops, in a language whose floating point is the
 * same IEEE-754 as JavaScript's and whose code starts compiled. Each user gets an instance with
 * a memory of its own, sized once, so that its typed-array views of it never move.
 */
import { KERNELS_WASM } from './kernels-wasm.ts';

/** The kernels' exports; pointers are byte offsets into the instance's memory. */
export interface Kernels {
  learn(gram: number, moments: number, features: number, size: number, forgetting: number, target: number): void;
  solve(gram: number, moments: number, factor: number, weights: number, size: number, ridge: number, prior: number, pull: number): void;
  predict(weights: number, features: number, size: number): number;
}

let compiled: WebAssembly.Module | undefined;

/** A fresh instance of the kernels and its memory, of at least `bytes` bytes (zeros). */
export function instantiateKernels(bytes: number): { kernels: Kernels; memory: ArrayBuffer } {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return { kernels: instance.exports as unknown as Kernels, memory: memory.buffer };
}

const WASM_PAGE = 65536;
