/** rANS entropy coding with stack semantics and craystack-style push/pop codecs. */
export { Message, WORD_BITS, MAX_PRECISION_BITS, HEAD_MIN_BITS, HEAD_LIMIT_BITS } from './message.ts';
export type { Codec } from './codecs.ts';
export { pushUniform, popUniform, uniformBits, MAX_UNIFORM_SIZE } from './codecs.ts';
export {
  discretisedGaussian,
  discretisedGaussianBits,
  pushGaussians,
  popGaussians,
  boundedGaussian,
  boundedGaussianBits,
  pushBoundedGaussians,
  type ScaleMixture,
  popBoundedGaussians,
  pushTruncatedGaussian,
  popTruncatedGaussian,
  GAUSSIAN_PRECISION_BITS,
  WINDOW_STANDARD_DEVIATIONS,
  MAX_WINDOW_HALF_WIDTH,
  MAX_BOUNDED_ALPHABET,
  MIN_BIN,
  MAX_BIN,
} from './gaussian.ts';
export { phiFixed, PHI_ONE, PHI_FRACTION_BITS } from './phi-table.ts';
export { powerOfTwo } from './powers-of-two.ts';
