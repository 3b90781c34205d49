/**
 * The coders' WebAssembly kernels (src/kernels/assembly/, compiled into wasm.ts by
 * scripts/build-kernels.ts): the predictor's hottest loops, in a language whose floating point is the
 * same IEEE-754 as JavaScript's and whose code starts compiled. Each user gets an instance with
 * a memory of its own (the kernels keep their state in the instance: one walk, one regression).
 */
import { KERNELS_WASM } from './wasm.ts';

/** The kernels' exports; pointers are byte offsets into the instance's memory. */
export interface Kernels {
  /** `bytes` bytes of zeros in the instance's memory (16-byte aligned); returns where. */
  alloc(bytes: number): number;
  learn(gram: number, moments: number, features: number, size: number, forgetting: number, target: number): void;
  solve(gram: number, moments: number, factor: number, weights: number, size: number, ridge: number, prior: number, pull: number): void;
  predict(weights: number, features: number, size: number): number;
  /** The scale mixture's and the blend's coding (src/ans/mixture.ts): tables, buffers and constants. */
  initMixture(phi: number, inverse: number, runningSums: number, found: number, phiOne: number, phiLast: number, phiCentre: number, stepsPerUnit: number, inverseBucketScale: number, total: number, shareUnits: number, minStd: number, maxStd: number, maxAbsMean: number): void;
  mixtureInterval(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, symbol: number): void;
  mixtureLocate(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, slot: number): number;
  blendedInterval(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, counts: number, length: number, firstBin: number, prior: number, symbol: number): number;
  blendedLocate(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, counts: number, length: number, firstBin: number, prior: number, slot: number): number;
  /** The predictor's histograms (src/predictor/refinement.ts), one walk per instance, after initMixture. */
  initHistograms(values: number, channels: number, floor: number, maxStd: number, spreadClasses: number, fractions: number, reach: number, prior: number, halveAt: number, tables: number, slots: number, samples: number, exactHalveAt: number, countClasses: number, rate: number, exactFloor: number, initialWeight: number, wideShare256: number, wideScale: number): void;
  select(c: number, mean: number, std: number, keyed: boolean, key0: number, key1: number, exactFirst: number): number;
  sampleInterval(mean: number, std: number, value: number): void;
  sampleLocate(mean: number, std: number, slot: number): number;
  learnHistograms(value: number): void;
}

let compiled: WebAssembly.Module | undefined;

/**
 * A fresh instance of the kernels and its memory. The caller lays out what it needs with
 * `alloc` (zeros), then takes its views of `memory.buffer`: the memory grows only as `alloc`
 * (or a kernel's own set-up) asks, so views taken after the last of those never move.
 */
export function instantiateKernels(): { kernels: Kernels; memory: WebAssembly.Memory } {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM, 'base64'));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return { kernels: instance.exports as unknown as Kernels, memory };
}
