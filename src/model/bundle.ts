// The model bundle: everything the coder needs, in integers and float64 constants only.
// `model.json` (architecture config, per-layer exponents, per-step schedule constants) and
// `model.bin` (int8 weights, then int32 per-step biases). Its SHA-256 is the model id that
// every .vdmz file records, so a file is never decoded with another model.
//
// Specified in docs/format.md §8.1, §9.1–§9.2.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from '../write-atomically.ts';
import { ACT_FRACTION_BITS, BIAS_MAX, buildArchitecture, convNodes, type ConvNode, type ModelConfig, type Node } from './architecture.ts';
import { paramLayout, REVERSE_LOG_VARIANCE, view, weightExponent } from './params.ts';
import { gammaValues } from './schedule.ts';

export const BUNDLE_FORMAT = 'vdmzip-model';
export const BUNDLE_VERSION = 1;
export const BUNDLE_JSON = 'model.json';
export const BUNDLE_BIN = 'model.bin';

export interface LayerMeta {
  name: string;
  /** Weights are int / 2^exponent; the accumulator is rescaled by 2^-exponent. */
  exponent: number;
  /** Rows of the bias table: T for time-conditioned layers (row i−1 for step i), else 1. */
  biasRows: number;
}

/** Per-step schedule constants, index 0..T. Stored as float64 so the coder needs no exp. */
export interface StepConstants {
  gamma: number[];
  /** α_i² = sigmoid(−γ_i) */
  alpha2: number[];
  /** σ_i² = sigmoid(γ_i) */
  sigma2: number[];
  /** Gain of the nearest-pixel noise estimate added to the network output, steps 1..T at 0..T−1. */
  skip: number[];
  /**
   * k_i, steps 1..T at 0..T−1: p(z_{i−1} | z_i) has k_i times the variance of q(z_{i−1} | z_i, x).
   * Absent in models exported before it was learned, which were trained with k_i = 1.
   */
  reverseVariance?: number[];
}

/** k_i for steps i = 1..T at index i (index 0 unused): 1 where the model predates learned k. */
export function reverseVariance(meta: BundleMeta): Float64Array {
  const k = new Float64Array(meta.config.T + 1).fill(1);
  meta.steps.reverseVariance?.forEach((value, i) => (k[i + 1] = value));
  return k;
}

export interface BundleMeta {
  format: typeof BUNDLE_FORMAT;
  version: number;
  config: ModelConfig;
  layers: LayerMeta[];
  steps: StepConstants;
  training?: { step: number; examples: number; hours: number; valBpd?: number };
}

export interface ModelBundle {
  meta: BundleMeta;
  /** Hex SHA-256 of model.json and model.bin: the model id. */
  id: string;
  nodes: Node[];
  /** Integer weights per conv layer, [k, k, cin, cout] row-major (HWIO). */
  weights: Map<string, Int8Array>;
  /** Integer biases per conv layer, [biasRows, cout]. */
  biases: Map<string, Int32Array>;
}

/** Rounds like float32 `floor(x + 0.5)` in the training graph (x itself is float32-exact). */
function roundHalfUpF32(x: number): number {
  return Math.floor(Math.fround(x + 0.5));
}

/**
 * Quantises float master weights exactly as the fake-quant training graph does, so the
 * bundle's integer network computes the function that was trained.
 */
export function bundleFromParams(config: ModelConfig, params: Float32Array, training?: BundleMeta['training']): ModelBundle {
  const layout = paramLayout(config);
  const nodes = buildArchitecture(config);
  const layers: LayerMeta[] = [];
  const weights = new Map<string, Int8Array>();
  const biases = new Map<string, Int32Array>();
  for (const node of convNodes(nodes)) {
    const w = view(params, layout.byName.get(`${node.name}.w`)!);
    const exponent = weightExponent(w);
    const weightScale = 2 ** exponent;
    weights.set(node.name, Int8Array.from(w, (x) => roundHalfUpF32(x * weightScale)));
    const accScale = weightScale * 2 ** ACT_FRACTION_BITS;
    const b = view(params, layout.byName.get(`${node.name}.b`)!);
    const table = node.timeBias ? view(params, layout.byName.get(`${node.name}.t`)!) : undefined;
    const rows = table ? config.T : 1;
    const bias = new Int32Array(rows * node.cout);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < node.cout; c++) {
        const total = table ? Math.fround(b[c] + table[r * node.cout + c]) : b[c];
        const clipped = Math.min(BIAS_MAX / accScale, Math.max(-BIAS_MAX / accScale, total));
        bias[r * node.cout + c] = roundHalfUpF32(Math.fround(clipped) * accScale);
      }
    }
    biases.set(node.name, bias);
    layers.push({ name: node.name, exponent, biasRows: rows });
  }
  const gamma = Array.from(gammaValues(config, params));
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const steps: StepConstants = {
    gamma,
    alpha2: gamma.map((g) => sigmoid(-g)),
    sigma2: gamma.map((g) => sigmoid(g)),
    skip: Array.from(view(params, layout.byName.get('skip')!)),
    reverseVariance: Array.from(view(params, layout.byName.get(REVERSE_LOG_VARIANCE)!), Math.exp),
  };
  const meta: BundleMeta = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, config, layers, steps, training };
  return { meta, id: bundleId(meta, packWeights(nodes, weights, biases)), nodes, weights, biases };
}

function packWeights(nodes: Node[], weights: Map<string, Int8Array>, biases: Map<string, Int32Array>): Uint8Array {
  const convs = convNodes(nodes);
  let weightBytes = 0;
  let biasCount = 0;
  for (const node of convs) {
    weightBytes += weights.get(node.name)!.length;
    biasCount += biases.get(node.name)!.length;
  }
  const biasStart = Math.ceil(weightBytes / 4) * 4;
  const bytes = new Uint8Array(biasStart + 4 * biasCount);
  const dataView = new DataView(bytes.buffer);
  let w = 0;
  let b = biasStart;
  for (const node of convs) {
    const weight = weights.get(node.name)!;
    bytes.set(new Uint8Array(weight.buffer, weight.byteOffset, weight.length), w);
    w += weight.length;
    for (const value of biases.get(node.name)!) {
      dataView.setInt32(b, value, true);
      b += 4;
    }
  }
  return bytes;
}

function unpackWeights(nodes: Node[], meta: BundleMeta, bytes: Uint8Array, where: string): Pick<ModelBundle, 'weights' | 'biases'> {
  const convs = convNodes(nodes);
  const weightSize = (n: ConvNode) => n.kernel * n.kernel * n.cin * n.cout;
  const weightBytes = convs.reduce((a, n) => a + weightSize(n), 0);
  const biasStart = Math.ceil(weightBytes / 4) * 4;
  const biasCount = meta.layers.reduce((a, l, i) => a + l.biasRows * convs[i].cout, 0);
  if (meta.layers.length !== convs.length || bytes.length !== biasStart + 4 * biasCount) throw new Error(`${where}: ${BUNDLE_BIN} does not match ${BUNDLE_JSON}`);
  const dataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, Int8Array>();
  const biases = new Map<string, Int32Array>();
  let w = 0;
  let b = biasStart;
  convs.forEach((node, i) => {
    const layer = meta.layers[i];
    if (layer.name !== node.name) throw new Error(`${where}: layer ${i} is ${layer.name}, expected ${node.name}`);
    weights.set(node.name, new Int8Array(bytes.buffer.slice(bytes.byteOffset + w, bytes.byteOffset + w + weightSize(node))));
    w += weightSize(node);
    const bias = new Int32Array(layer.biasRows * node.cout);
    for (let k = 0; k < bias.length; k++, b += 4) bias[k] = dataView.getInt32(b, true);
    biases.set(node.name, bias);
  });
  return { weights, biases };
}

function metaJson(meta: BundleMeta): string {
  return JSON.stringify(meta, null, 1) + '\n';
}

function bundleId(meta: BundleMeta, bin: Uint8Array): string {
  return createHash('sha256').update(metaJson(meta)).update(bin).digest('hex');
}

export function saveBundle(dir: string, bundle: ModelBundle): void {
  mkdirSync(dir, { recursive: true });
  const bin = packWeights(bundle.nodes, bundle.weights, bundle.biases);
  for (const [name, data] of [[BUNDLE_BIN, bin], [BUNDLE_JSON, metaJson(bundle.meta)]] as const) {
    writeAtomically(join(dir, name), data);
  }
}

export function loadBundle(dir: string): ModelBundle {
  const jsonPath = join(dir, BUNDLE_JSON);
  if (!existsSync(jsonPath)) throw new Error(`${dir}: no ${BUNDLE_JSON} (not a vdmzip model folder)`);
  const json = readFileSync(jsonPath, 'utf8');
  const meta = JSON.parse(json) as BundleMeta;
  if (meta.format !== BUNDLE_FORMAT) throw new Error(`${jsonPath}: not a vdmzip model`);
  if (meta.version !== BUNDLE_VERSION) throw new Error(`${jsonPath}: model format version ${meta.version} is not supported (this vdmzip reads ${BUNDLE_VERSION})`);
  const bin = new Uint8Array(readFileSync(join(dir, BUNDLE_BIN)));
  const nodes = buildArchitecture(meta.config);
  const { weights, biases } = unpackWeights(nodes, meta, bin, dir);
  return { meta, id: createHash('sha256').update(json).update(bin).digest('hex'), nodes, weights, biases };
}
