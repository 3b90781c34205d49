// Specified in docs/format.md §5.4 (the Φ table) and §5.10 (its inverse, the symbol search's
// first guess). Built with IEEE-754 basic operations only (+ − × ÷ √, floor), which WebAssembly
// rounds correctly, as JavaScript does: the same table on every machine, with no libm call
// (exp, log, erf) whose last bits vary.

/** e^x for |x| ≤ 2^−17 by its Taylor series (terms beyond x^6/6! are below 1e-36). */
function expOfTiny(x: f64): f64 {
  let sum: f64 = 1;
  for (let n = 6; n >= 1; n--) sum = 1 + (sum * x) / <f64>n;
  return sum;
}

/** ∫_0^h φ(t + s) ds / φ(t): Σ_n (−1)^n He_n(t)·h^(n+1)/(n+1)!, He_n by the three-term recurrence. */
function cellIntegralOverDensity(t: f64, h: f64): f64 {
  // For t ≤ 8, h = 1/512 the n-th term is at most (t·h)^n·h/(n+1)! ≤ 64^−n·h/(n+1)!, so 12
  // terms leave an error far below one double ulp of the result.
  let hermitePrevious: f64 = 1; // He_0
  let hermite = t; // He_1
  let power = h; // h^(n+1)/(n+1)! for n = 0
  let sum = power; // n = 0 term
  for (let n = 1; n < 12; n++) {
    power = (power * h) / <f64>(n + 1);
    sum += (n % 2 == 0 ? hermite : -hermite) * power;
    const next = t * hermite - <f64>n * hermitePrevious;
    hermitePrevious = hermite;
    hermite = next;
  }
  return sum;
}

/**
 * Writes Φ(t)·2^30 for t = (j − centre)/steps, j = 0 … 2·centre, into `table` (int32): the
 * density on the grid follows from φ(0) = 1/√(2π) and the exact recurrence
 * φ(t_{j+1}) = φ(t_j)·e^{−h²/2}·(e^{−h²})^j; each cell adds its integral; negative t use
 * Φ(−t) = 1 − Φ(t) exactly. Then `inverse` (int32, buckets + 1 entries): for each bucket b the
 * last cell j < 2·centre with table[j] ≤ b·bucketWidth.
 */
export function buildPhiTables(table: usize, inverse: usize, one: f64, centre: i32, steps: f64, bucketWidth: i32, buckets: i32): void {
  const h = 1 / steps;
  const firstRatio = expOfTiny((-h * h) / 2);
  const ratioGrowth = expOfTiny(-h * h);
  let density = 1 / Math.sqrt(2 * Math.PI);
  let ratio = firstRatio;
  let phi: f64 = 0.5;
  store<i32>(table + (<usize>centre << 2), <i32>(one / 2));
  for (let j = 0; j < centre; j++) {
    phi += density * cellIntegralOverDensity(<f64>j * h, h);
    density *= ratio;
    ratio *= ratioGrowth;
    const fixed = <i32>Math.floor(phi * one + 0.5);
    store<i32>(table + (<usize>(centre + j + 1) << 2), fixed);
    store<i32>(table + (<usize>(centre - j - 1) << 2), <i32>one - fixed);
  }
  const last = 2 * centre;
  let j = 0;
  for (let bucket = 0; bucket <= buckets; bucket++) {
    const threshold = bucket * bucketWidth;
    while (j < last - 1 && load<i32>(table + (<usize>(j + 1) << 2)) <= threshold) j++;
    store<i32>(inverse + (<usize>bucket << 2), j);
  }
}
