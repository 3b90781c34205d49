/** rANS entropy coding with stack semantics and a craystack-style codec algebra. */
export { Message, WORD_BITS, MAX_PRECISION_BITS, HEAD_MIN_BITS, HEAD_LIMIT_BITS } from './message.ts';
export type { Codec } from './codecs.ts';
export {
  uniform,
  rawBits,
  categorical,
  sequence,
  repeat,
  pushUniform,
  popUniform,
  uniformFrequency,
  MAX_UNIFORM_SIZE,
  MAX_RAW_BITS,
} from './codecs.ts';
export { powerOfTwo } from './powers-of-two.ts';
