// Specified in docs/format.md §7.6.
// The ridge regressions' loops (least-squares.ts) in AssemblyScript,
// compiled to WebAssembly. The operations and their order are those of the specification, so
// the weights are the same to the last bit on every machine; only the gram update, whose terms
// are independent, is done two at a time (a multiply and an add per lane: no fused
// multiply-add, so the same roundings).

/** gram ← λ·gram + f fᵀ (lower triangle, rows of `size`), moments ← λ·moments + f·target. */
export function learn(gram: usize, moments: usize, features: usize, size: i32, forgetting: f64, target: f64): void {
  const lambda = f64x2.splat(forgetting);
  for (let i = 0; i < size; i++) {
    const fi = load<f64>(features + (<usize>i << 3));
    const moment = moments + (<usize>i << 3);
    store<f64>(moment, load<f64>(moment) * forgetting + fi * target);
    const row = gram + (<usize>(i * size) << 3);
    const fiv = f64x2.splat(fi);
    let j = 0;
    for (; j < i; j += 2) {
      const at = row + (<usize>j << 3);
      v128.store(at, f64x2.add(f64x2.mul(v128.load(at), lambda), f64x2.mul(fiv, v128.load(features + (<usize>j << 3)))));
    }
    if (j === i) {
      const at = row + (<usize>j << 3);
      store<f64>(at, load<f64>(at) * forgetting + fi * load<f64>(features + (<usize>j << 3)));
    }
  }
}

/**
 * weights ← (gram + ridge·I)⁻¹ (moments + pull·prior) by a Cholesky factorisation into
 * `factor`; `prior` 0 for none.
 */
export function solve(gram: usize, moments: usize, factor: usize, weights: usize, size: i32, ridge: f64, prior: usize, pull: f64): void {
  for (let i = 0; i < size; i++) {
    const rowI = factor + (<usize>(i * size) << 3);
    const gramI = gram + (<usize>(i * size) << 3);
    for (let j = 0; j < i; j++) {
      const rowJ = factor + (<usize>(j * size) << 3);
      let sum = load<f64>(gramI + (<usize>j << 3));
      for (let k = 0; k < j; k++) sum -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(rowJ + (<usize>k << 3));
      store<f64>(rowI + (<usize>j << 3), sum / load<f64>(rowJ + (<usize>j << 3)));
    }
    let pivot = load<f64>(gramI + (<usize>i << 3)) + ridge;
    for (let k = 0; k < i; k++) {
      const l = load<f64>(rowI + (<usize>k << 3));
      pivot -= l * l;
    }
    store<f64>(rowI + (<usize>i << 3), Math.sqrt(Math.max(pivot, MIN_PIVOT)));
  }
  for (let i = 0; i < size; i++) {
    const rowI = factor + (<usize>(i * size) << 3);
    let sum = load<f64>(moments + (<usize>i << 3));
    if (prior !== 0) sum = sum + pull * load<f64>(prior + (<usize>i << 3));
    for (let k = 0; k < i; k++) sum -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(weights + (<usize>k << 3));
    store<f64>(weights + (<usize>i << 3), sum / load<f64>(rowI + (<usize>i << 3)));
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = load<f64>(weights + (<usize>i << 3));
    for (let k = i + 1; k < size; k++) sum -= load<f64>(factor + (<usize>(k * size + i) << 3)) * load<f64>(weights + (<usize>k << 3));
    store<f64>(weights + (<usize>i << 3), sum / load<f64>(factor + (<usize>(i * size + i) << 3)));
  }
}

/** Σ weights·features. */
export function predict(weights: usize, features: usize, size: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < size; i++) sum += load<f64>(weights + (<usize>i << 3)) * load<f64>(features + (<usize>i << 3));
  return sum;
}

const MIN_PIVOT: f64 = 1e-12;
