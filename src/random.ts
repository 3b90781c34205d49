// Seeded pseudo-random numbers for reproducible evaluations, the encoder's estimate, engine
// probes, tests and benchmarks. No file's bytes depend on them being drawn in any other way:
// the format's own pseudo-random sequences (seed words, context noise) are in docs/format.md.

/** mulberry32: a small, fast generator of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal numbers from a uniform stream (Box–Muller, both outputs used). */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

/** `count` uniform integers in [−max, max] as float32, from `seed`: random network inputs on the feature grid. */
export function randomIntegers(count: number, max: number, seed: number): Float32Array {
  const uniform = mulberry32(seed);
  return Float32Array.from({ length: count }, () => Math.floor(uniform() * (2 * max + 1)) - max);
}
