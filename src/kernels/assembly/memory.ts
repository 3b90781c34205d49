// The kernels' memory: a bump allocator (the stub runtime's), which never reuses memory.

/** `bytes` bytes of zeros: fresh memory, which the allocator never hands out twice, is zeros. */
export function zeroed(bytes: usize): usize {
  return heap.alloc(max<usize>(bytes, 8));
}
