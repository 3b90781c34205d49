// Specified in docs/format.md §1.
/**
 * Exact powers of two built by doubling. The coding path uses these instead
 * of `2 ** k` / Math.pow, whose results ECMAScript leaves implementation-
 * approximated; doubling is an exact IEEE-754 operation on every machine.
 */
const POWERS = new Float64Array(129);
const INVERSE_POWERS = new Float64Array(129);
POWERS[0] = 1;
INVERSE_POWERS[0] = 1;
for (let k = 1; k <= 128; k++) {
  POWERS[k] = POWERS[k - 1] * 2;
  INVERSE_POWERS[k] = INVERSE_POWERS[k - 1] * 0.5;
}

/** 2^k for integer k ∈ [−128, 128], exact. */
export function powerOfTwo(k: number): number {
  return k >= 0 ? POWERS[k] : INVERSE_POWERS[-k];
}
