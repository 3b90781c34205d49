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
  /** Writes the Φ table (§5.4, int32 at table positions 0 … 2·centre) and its inverse (§5.10, int32, buckets + 1). */
  buildPhiTables(table: number, inverse: number, one: number, centre: number, stepsPerUnit: number, bucketWidth: number, buckets: number): void;
  /** The Gaussian codes' kernel (src/ans/gaussian.ts installs it): tables, buffers and constants. */
  initGaussians(phi: number, inverse: number, runningSums: number, found: number, phiOne: number, phiLast: number, phiCentre: number, stepsPerUnit: number, inverseBucketScale: number, total: number, shareUnits: number, minStd: number, maxStd: number, maxAbsMean: number): void;
  mixtureInterval(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, symbol: number): void;
  mixtureLocate(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, slot: number): number;
  blendedInterval(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, counts: number, length: number, firstBin: number, prior: number, symbol: number): number;
  blendedLocate(lo: number, count: number, mean: number, std: number, wideShare256: number, wideScale: number, counts: number, length: number, firstBin: number, prior: number, slot: number): number;
  /** The predictor's walk (src/predictor/predictive.ts), one per instance: histograms, walk, learner, refiner, then its regressions, after initMixture. */
  initHistograms(values: number, channels: number, floor: number, maxStd: number, spreadClasses: number, fractions: number, reach: number, prior: number, halveAt: number, exact: boolean, slots: number, samples: number, exactHalveAt: number, countClasses: number, rate: number, exactFloor: number, initialWeight: number, firstChannel: boolean, wideShare256: number, wideScale: number): void;
  /** Returns where the walk's window of three rows lies. */
  initWalk(width: number, channels: number, coded: number, sampleMax: number, carry: number, carryTwoBack: number, stdFloor: number, stdPerGradient: number, stdPerResidual: number, stdPerNeighbourError: number): number;
  /** Moves the window to rows y − 2 … y; returns the image index of its first sample. */
  enterRow(y: number): number;
  initLearner(thresholds: number, count: number, biasPrior: number, spreadPrior: number, halveAt: number, carryPrior: number): void;
  initRefiner(activityClasses: number, spreadScale: number, spreadWarmup: number): void;
  setRegression(spread: boolean, k: number, size: number, ridge: number, first: number, after: number, later: number, every: number, settledAfter: number, settledEvery: number, prior: number, pull: number, fade: number): void;
  regressionWeights(spread: boolean, k: number): number;
  regressionUpdates(spread: boolean, k: number): number;
  /** Where `next` leaves a sample's mean and σ. */
  walkOut(): number;
  /** The next sample's index, or −1 − index where it has no window. */
  next(): number;
  interval(value: number, blended: boolean): void;
  decode(slot: number, index: number, blended: boolean): number;
  /** Decodes the next `count` samples of the entered row from the lent message: 1, or 0 where the message ran out. */
  decodeSamples(count: number): number;
  /** The rANS message a walk decodes from (src/ans/message.ts lends it): where its tail's words go, its bound L and word base; its state in and out. */
  initMessage(words: number, headMin: number, wordBase: number): void;
  loadMessage(head: number, tailLength: number, borrowed: number): void;
  messageHead(): number;
  messageTailLength(): number;
  messageBorrowed(): number;
  /** Pixel matches (src/predictor/matches.ts) of `pixels` pixels, one image per instance: returns where the symbols' starts lie, their frequencies just after. */
  initMatches(width: number, pixels: number, total: number, followerStates: number, tableBits: number, weight: number, halveAbove: number, increment: number, countsHalveAbove: number): number;
  matchPrepare(pixel: number): void;
  matchSymbolOf(colour: number): number;
  matchFind(slot: number): number;
  matchColourOf(symbol: number): number;
  matchLearn(pixel: number, symbol: number, colour: number): void;
  /** The pixel matches' hashes of a pixel's neighbourhood and of its follower's (§7.13). */
  neighbourhoodKey(pattern: number, w: number, n: number, nw: number, ne: number): number;
  followerKey(w: number, n: number, nw: number, ne: number, ww: number): number;
  /** A standalone ridge regression (test/helpers): made, started from a prior, taught, and its weights and update count. */
  newRegression(size: number, ridge: number, first: number, after: number, later: number, every: number, settledAfter: number, settledEvery: number): number;
  regressionStartFrom(regression: number, weights: number, pull: number, fade: number): void;
  regressionLearn(regression: number, features: number, target: number): void;
  weightsOf(regression: number): number;
  updatesOf(regression: number): number;
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
