// Specified in docs/format.md §5.4–§5.5, §5.10.
/**
 * The standard normal CDF Φ as a fixed-point table, identical on every machine.
 *
 * A bits-back decoder must rebuild every frequency bit-for-bit, so nothing
 * here calls Math.exp/log/erf/pow (whose last bits vary between libms). The
 * table is built at module load with IEEE-754 basic operations only
 * (+ − × ÷ √, floor), which JS defines to be correctly rounded everywhere:
 *
 * - the density on the grid t_j = j/512 follows from φ(0) = 1/√(2π) and the
 *   exact recurrence φ(t_{j+1}) = φ(t_j)·e^{−h²/2}·(e^{−h²})^j, with the two
 *   constants from a Taylor series (|h²| < 4e-6, so it converges in a few terms);
 * - each cell's integral ∫ φ over [t_j, t_j + h] is the Taylor series of φ
 *   around t_j, whose derivatives are φ^(n) = (−1)^n He_n·φ (Hermite
 *   polynomials by their three-term recurrence);
 * - Φ(t_j) = ½ + Σ cells, rounded to a multiple of 2^−30 and stored as an
 *   integer; negative t use Φ(−t) = 1 − Φ(t) exactly.
 *
 * Accumulated double rounding is below 1e-12, so the stored values are the
 * correctly rounded Φ·2^30 up to a one-unit tie (error ≤ 2^−31 ≈ 4.7e-10).
 * Between grid points Φ is linearly interpolated in integers (error ≤ h²/8·
 * max|φ'| ≈ 1.2e-7); the interpolation is monotone, which is what keeps
 * every coded frequency ≥ 1.
 */
import { powerOfTwo } from './powers-of-two.ts';

/** Φ is stored as an integer multiple of 2^−PHI_FRACTION_BITS. */
export const PHI_FRACTION_BITS = 30;
/** Φ = 1 in table units. */
export const PHI_ONE = powerOfTwo(PHI_FRACTION_BITS);
/** Grid points per unit of t (the table step is 1/PHI_STEPS_PER_UNIT). */
export const PHI_STEPS_PER_UNIT = 512;
/** The table covers t ∈ [−8, 8]; beyond it Φ·2^30 rounds to 0 or 2^30 anyway (Φ(−6.2)·2^30 < ½). */
export const PHI_TABLE_EXTENT = 8;
/** Index of t = 0. */
export const PHI_TABLE_CENTRE = PHI_TABLE_EXTENT * PHI_STEPS_PER_UNIT;
/** Index of t = +PHI_TABLE_EXTENT, the last entry. */
export const PHI_TABLE_LAST = 2 * PHI_TABLE_CENTRE;

/** Φ(−8 + j/512)·2^30, rounded, for j = 0 … PHI_TABLE_LAST. */
export const PHI_TABLE: Int32Array = buildPhiTable();

/** Number of equal Φ-buckets in the inverse table (a decoder's starting guess). */
export const PHI_INVERSE_BUCKET_BITS = 12;
/** Φ-units per inverse bucket. */
export const PHI_INVERSE_BUCKET_WIDTH = powerOfTwo(PHI_FRACTION_BITS - PHI_INVERSE_BUCKET_BITS);
/**
 * PHI_INVERSE[b] is the last table index j with PHI_TABLE[j] ≤ b·PHI_INVERSE_BUCKET_WIDTH,
 * capped at PHI_TABLE_LAST − 1 so that j + 1 is always a valid index.
 */
export const PHI_INVERSE: Int32Array = buildPhiInverse(PHI_TABLE);

/** e^x for |x| ≤ 2^−17 by its Taylor series (terms beyond x^6/6! are below 1e-36). */
function expOfTiny(x: number): number {
  let sum = 1;
  for (let n = 6; n >= 1; n--) sum = 1 + (sum * x) / n;
  return sum;
}

/** ∫_0^h φ(t + s) ds / φ(t): Σ_n (−1)^n He_n(t)·h^(n+1)/(n+1)!. */
function cellIntegralOverDensity(t: number, h: number): number {
  // For t ≤ 8, h = 1/512 the n-th term is at most (t·h)^n·h/(n+1)! ≤ 64^−n·h/(n+1)!,
  // so 12 terms leave an error far below one double ulp of the result.
  const terms = 12;
  let hermitePrevious = 1; // He_0
  let hermite = t; // He_1
  let power = h; // h^(n+1)/(n+1)! for n = 0
  let sum = power; // n = 0 term
  for (let n = 1; n < terms; n++) {
    power = (power * h) / (n + 1);
    sum += (n % 2 === 0 ? hermite : -hermite) * power;
    const next = t * hermite - n * hermitePrevious;
    hermitePrevious = hermite;
    hermite = next;
  }
  return sum;
}

function buildPhiTable(): Int32Array {
  const table = new Int32Array(PHI_TABLE_LAST + 1);
  const h = 1 / PHI_STEPS_PER_UNIT;
  const firstRatio = expOfTiny((-h * h) / 2);
  const ratioGrowth = expOfTiny(-h * h);
  let density = 1 / Math.sqrt(2 * Math.PI);
  let ratio = firstRatio;
  let phi = 0.5;
  table[PHI_TABLE_CENTRE] = PHI_ONE / 2;
  for (let j = 0; j < PHI_TABLE_CENTRE; j++) {
    phi += density * cellIntegralOverDensity(j * h, h);
    density *= ratio;
    ratio *= ratioGrowth;
    const fixed = Math.floor(phi * PHI_ONE + 0.5);
    table[PHI_TABLE_CENTRE + j + 1] = fixed;
    table[PHI_TABLE_CENTRE - j - 1] = PHI_ONE - fixed;
  }
  return table;
}

function buildPhiInverse(table: Int32Array): Int32Array {
  const bucketCount = powerOfTwo(PHI_INVERSE_BUCKET_BITS);
  const inverse = new Int32Array(bucketCount + 1);
  let j = 0;
  for (let bucket = 0; bucket <= bucketCount; bucket++) {
    const threshold = bucket * PHI_INVERSE_BUCKET_WIDTH;
    while (j < PHI_TABLE_LAST - 1 && table[j + 1] <= threshold) j++;
    inverse[bucket] = j;
  }
  return inverse;
}

/**
 * Φ·2^30 at a fractional table position (t·PHI_STEPS_PER_UNIT + PHI_TABLE_CENTRE),
 * by integer linear interpolation: deterministic, and monotone in the
 * position. Small enough for V8 to inline into the coders' hot loops.
 */
export function phiAtPosition(position: number): number {
  if (!(position > 0)) return 0;
  if (position >= PHI_TABLE_LAST) return PHI_ONE;
  const cell = Math.floor(position);
  const below = PHI_TABLE[cell];
  return below + Math.floor((position - cell) * (PHI_TABLE[cell + 1] - below));
}

/** Φ(t)·2^30, interpolated as in `phiAtPosition`. */
export function phiFixed(t: number): number {
  return phiAtPosition(t * PHI_STEPS_PER_UNIT + PHI_TABLE_CENTRE);
}
