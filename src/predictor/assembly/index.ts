// The predictor's WebAssembly kernels: what scripts/build-kernels.ts compiles.
export { learn, predict, solve } from './ridge';
