// The kernels' memory: a bump allocator (the stub runtime's), which never reuses memory, and
// the float64 arrays laid out in it.

/** `bytes` bytes of zeros: fresh memory, which the allocator never hands out twice, is zeros. */
export function zeroed(bytes: usize): usize {
  return heap.alloc(max<usize>(bytes, 8));
}

/** Element i of the float64 array at `base`. */
@inline export function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

@inline export function setF64(base: usize, i: i32, value: f64): void {
  store<f64>(base + (<usize>i << 3), value);
}
