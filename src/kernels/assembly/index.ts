// The WebAssembly kernels: what scripts/build-kernels.ts compiles.
export { newRegression, regressionStartFrom, regressionLearn, weightsOf, updatesOf } from './ridge';
export { initMixture, mixtureInterval, mixtureLocate, blendedInterval, blendedLocate } from './mixture';
export { initHistograms } from './histograms';
export { initMatches, matchPrepare, matchSymbolOf, matchFind, matchColourOf, matchLearn, neighbourhoodKey, followerKey } from './matches';
export { initWalk, initLearner, initRefiner, setRegression, regressionWeights, regressionUpdates, walkOut, next, interval, decode } from './walker';

/** Room for `bytes` bytes in the instance's memory (which grows as needed): where the caller lays out what a kernel works on. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}
