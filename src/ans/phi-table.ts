// Specified in docs/format.md §5.4–§5.5, §5.10.
/**
 * The standard normal CDF Φ as a fixed-point table, identical on every machine.
 *
 * A bits-back decoder must rebuild every frequency bit-for-bit, so the table is built with
 * IEEE-754 basic operations only (+ − × ÷ √, floor), which JavaScript and WebAssembly both
 * round correctly, and no Math.exp/log/erf (whose last bits vary between libms): the density on
 * the grid t_j = j/512 by an exact recurrence, each cell's integral by the Taylor series of φ
 * (src/kernels/assembly/phi.ts, the steps of docs/format.md §5.4). Accumulated double rounding
 * is below 1e-12, so the stored values are the correctly rounded Φ·2^30 up to a one-unit tie
 * (error ≤ 2^−31 ≈ 4.7e-10). Between grid points Φ is linearly interpolated in integers
 * (error ≤ h²/8·max|φ'| ≈ 1.2e-7); the interpolation is monotone, which is what keeps every
 * coded frequency ≥ 1.
 *
 * The tables are built on first use, by the kernel, whose code starts compiled: interpreted
 * JavaScript would spend milliseconds of every command's start-up on these loops.
 */
import { instantiateKernels } from '../kernels/index.ts';
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

/** Number of equal Φ-buckets in the inverse table (a decoder's starting guess). */
export const PHI_INVERSE_BUCKET_BITS = 12;
/** Φ-units per inverse bucket. */
export const PHI_INVERSE_BUCKET_WIDTH = powerOfTwo(PHI_FRACTION_BITS - PHI_INVERSE_BUCKET_BITS);

/**
 * The Φ table and its inverse, built on first use. `phi[j]` = Φ(−8 + j/512)·2^30, rounded, for
 * j = 0 … PHI_TABLE_LAST; `inverse[b]` is the last table index j with phi[j] ≤
 * b·PHI_INVERSE_BUCKET_WIDTH, capped at PHI_TABLE_LAST − 1 so that j + 1 is always a valid index.
 */
export interface PhiTables {
  phi: Int32Array;
  inverse: Int32Array;
}

let tables: PhiTables | undefined;

export function phiTables(): PhiTables {
  if (tables) return tables;
  const { kernels, memory } = instantiateKernels();
  const buckets = powerOfTwo(PHI_INVERSE_BUCKET_BITS);
  const phi = kernels.alloc((PHI_TABLE_LAST + 1) * Int32Array.BYTES_PER_ELEMENT);
  const inverse = kernels.alloc((buckets + 1) * Int32Array.BYTES_PER_ELEMENT);
  kernels.buildPhiTables(phi, inverse, PHI_ONE, PHI_TABLE_CENTRE, PHI_STEPS_PER_UNIT, PHI_INVERSE_BUCKET_WIDTH, buckets);
  tables = { phi: new Int32Array(memory.buffer, phi, PHI_TABLE_LAST + 1).slice(), inverse: new Int32Array(memory.buffer, inverse, buckets + 1).slice() };
  return tables;
}

/**
 * Φ·2^30 at a fractional table position (t·PHI_STEPS_PER_UNIT + PHI_TABLE_CENTRE),
 * by integer linear interpolation: deterministic, and monotone in the
 * position. Small enough for V8 to inline into the coders' hot loops.
 */
export function phiAtPosition(position: number): number {
  if (!(position > 0)) return 0;
  if (position >= PHI_TABLE_LAST) return PHI_ONE;
  const { phi } = tables ?? phiTables();
  const cell = Math.floor(position);
  const below = phi[cell];
  return below + Math.floor((position - cell) * (phi[cell + 1] - below));
}

/** Φ(t)·2^30, interpolated as in `phiAtPosition`. */
export function phiFixed(t: number): number {
  return phiAtPosition(t * PHI_STEPS_PER_UNIT + PHI_TABLE_CENTRE);
}
