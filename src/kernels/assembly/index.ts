// The WebAssembly kernels: what scripts/build-kernels.ts compiles.
export { learn, predict, solve } from './ridge';
export { initMixture, mixtureInterval, mixtureLocate, blendedInterval, blendedLocate } from './mixture';
export { initHistograms, select, sampleInterval, sampleLocate, learnHistograms } from './histograms';

/** Room for `bytes` bytes in the instance's memory (which grows as needed): where the caller lays out what a kernel works on. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}
