// Trainable parameters of a VDM: the denoiser's float master weights (quantised on the fly
// during training and once at export), the per-step time biases, the skip gains, the noise
// schedule and the per-step reverse variance factors. Parameters live in one flat Float32Array so that optimiser, EMA, checkpoints and
// the gradient exchange between training workers are plain typed-array loops.

import { buildArchitecture, convNodes, WEIGHT_EXPONENT_MAX, WEIGHT_MAX, type ModelConfig } from './architecture.ts';

export const GAMMA_MIN_INIT = -13.3;
export const GAMMA_MAX_INIT = 5;

/**
 * ln k_i: p(z_{i−1} | z_i) has variance k_i times the posterior variance of q(z_{i−1} | z_i, x).
 * k = 1 is the VDM paper's choice; the optimum is 1 + the step's mean squared error in units of
 * that variance (Bao et al. 2022, Analytic-DPM), worth ~0.6 bpd at T = 64 (docs/experiments.md).
 */
export const REVERSE_LOG_VARIANCE = 'reverse.logVariance';

export interface ParamSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ParamLayout {
  specs: ParamSpec[];
  byName: Map<string, ParamSpec>;
  total: number;
}

export function paramLayout(config: ModelConfig): ParamLayout {
  const specs: ParamSpec[] = [];
  let total = 0;
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset: total, size });
    total += size;
  };
  for (const node of convNodes(buildArchitecture(config))) {
    add(`${node.name}.w`, [node.kernel, node.kernel, node.cin, node.cout]);
    add(`${node.name}.b`, [node.cout]);
    if (node.timeBias) add(`${node.name}.t`, [config.T, node.cout]);
  }
  add('skip', [config.T]);
  add('gamma.logits', [config.T]);
  add('gamma.ends', [2]);
  add(REVERSE_LOG_VARIANCE, [config.T]);
  return { specs, byName: new Map(specs.map((s) => [s.name, s])), total };
}

export function view(params: Float32Array, spec: ParamSpec): Float32Array {
  return params.subarray(spec.offset, spec.offset + spec.size);
}

/** Deterministic xorshift-based normal generator, so that initialisation is reproducible. */
export function seededNormal(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function initParams(config: ModelConfig, seed = 1): Float32Array {
  const layout = paramLayout(config);
  const params = new Float32Array(layout.total);
  const normal = seededNormal(seed);
  for (const node of convNodes(buildArchitecture(config))) {
    const w = view(params, layout.byName.get(`${node.name}.w`)!);
    const fanIn = node.kernel * node.kernel * node.cin;
    // He init for layers followed by ReLU; residual branches and the output start small so
    // the untrained network is close to the identity and ε̂ starts near the skip path.
    const gain = node.act === 'relu' ? Math.sqrt(2 / fanIn) : node.name.endsWith('conv2') || node.act === 'none' ? 0.1 / Math.sqrt(fanIn) : Math.sqrt(1 / fanIn);
    for (let i = 0; i < w.length; i++) w[i] = gain * normal();
  }
  view(params, layout.byName.get('skip')!).fill(0.5);
  const ends = view(params, layout.byName.get('gamma.ends')!);
  ends[0] = GAMMA_MIN_INIT;
  ends[1] = GAMMA_MAX_INIT;
  return params;
}

/**
 * The power-of-two exponent e with which a layer's weights are quantised (w ≈ int / 2^e):
 * the largest e for which max|w|·2^e still rounds into [-WEIGHT_MAX, WEIGHT_MAX]. Computed in
 * JS from the float weights, so training and export agree exactly.
 */
export function weightExponent(w: Float32Array): number {
  let maxAbs = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]);
    if (a > maxAbs) maxAbs = a;
  }
  if (maxAbs === 0) return WEIGHT_EXPONENT_MAX;
  let e = WEIGHT_EXPONENT_MAX;
  while (e > -WEIGHT_EXPONENT_MAX && Math.floor(maxAbs * 2 ** e + 0.5) > WEIGHT_MAX) e--;
  return e;
}

export function weightExponents(config: ModelConfig, params: Float32Array): Map<string, number> {
  const layout = paramLayout(config);
  const out = new Map<string, number>();
  for (const node of convNodes(buildArchitecture(config))) {
    out.set(node.name, weightExponent(view(params, layout.byName.get(`${node.name}.w`)!)));
  }
  return out;
}
