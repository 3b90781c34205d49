// The WebAssembly kernels: what scripts/build-kernels.ts compiles.
export { newRegression, regressionStartFrom, regressionLearn, weightsOf, updatesOf } from './ridge';
export { buildPhiTables } from './phi';
export { initGaussians, mixtureInterval, mixtureLocate, blendedInterval, blendedLocate } from './gaussian';
export { initHistograms } from './histograms';
export { initMatches, matchPrepare, matchSymbolOf, matchFind, matchColourOf, matchLearn, neighbourhoodKey, followerKey } from './matches';
export { initWalk, enterRow, initLearner, initRefiner, setRegression, regressionWeights, regressionUpdates, walkOut, next, interval, decode, decodeSamples } from './walker';
export { initMessage, loadMessage, messageHead, messageTailLength, messageBorrowed } from './rans';

/** Room for `bytes` bytes of zeros in the instance's memory (which grows as needed): where the caller lays out what a kernel works on. */
export { zeroed as alloc } from './memory';
