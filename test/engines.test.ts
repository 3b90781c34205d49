// Every integer engine computes the same bits: ONNX Runtime (at every graph optimisation
// level and with several threads) and a plain float64 reference of the integer semantics
// written here with direct loops (so that a bug in the exporter's reading of an op, or one
// shared by ONNX Runtime's kernels, still fails the test). The trainer's fake-quantised
// forward is held to ONNX Runtime in test/trainer.test.ts.

import { describe, expect, it } from 'vitest';
import { ACT_MAX, BIAS_MAX, EXACT_LIMIT, WEIGHT_MAX, activationRange, convNodes, inputChannels, type ModelConfig, type Node } from '../src/model/architecture.ts';
import { bundleFromParams, type ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { OnnxEngine, type OnnxOptimization } from '../src/model/engine-onnx.ts';
import { createEngine } from '../src/model/engines.ts';
import { exportOnnx, hwioToOihw } from '../src/model/onnx-export.ts';
import { initParams, seededNormal } from '../src/model/params.ts';
import { mulberry32 } from '../src/random.ts';

const TINY: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
const SMALL: ModelConfig = { channels: 3, patch: 16, T: 4, widths: [16, 32, 32], blocks: 1 };
/** 3×3 convs with 108 input channels: the widest the 2^24 accumulator bound allows. */
const WIDEST: ModelConfig = { channels: 3, patch: 4, T: 2, widths: [108], blocks: 1 };

const randomInt = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** A trained-looking bundle: random weights, and random static and per-step biases of a few activation units. */
function randomBundle(config: ModelConfig, seed: number): ModelBundle {
  const bundle = bundleFromParams(config, initParams(config, seed));
  const normal = seededNormal(seed + 1000);
  bundle.meta.layers.forEach((layer) => {
    const bias = bundle.biases.get(layer.name)!;
    const unit = 2 ** (layer.exponent) * 32; // one real activation unit, in accumulator units
    for (let i = 0; i < bias.length; i++) bias[i] = Math.max(-BIAS_MAX, Math.min(BIAS_MAX, Math.round(normal() * unit)));
  });
  return bundle;
}

type Extreme = 'max' | 'alternating' | 'random';

/** Weights at ±127, biases at ±BIAS_MAX, exponents chosen to keep some outputs unsaturated. */
function extremeBundle(config: ModelConfig, kind: Extreme, seed: number): ModelBundle {
  const bundle = bundleFromParams(config, initParams(config, seed));
  const random = mulberry32(seed);
  bundle.meta.layers.forEach((layer) => {
    const w = bundle.weights.get(layer.name)!;
    const b = bundle.biases.get(layer.name)!;
    for (let i = 0; i < w.length; i++) w[i] = kind === 'max' ? WEIGHT_MAX : kind === 'alternating' ? (i % 2 ? WEIGHT_MAX : -WEIGHT_MAX) : random() < 0.5 ? WEIGHT_MAX : -WEIGHT_MAX;
    for (let i = 0; i < b.length; i++) b[i] = kind === 'max' ? BIAS_MAX : kind === 'alternating' ? (i % 3 === 0 ? -BIAS_MAX : BIAS_MAX) : randomInt(random, -BIAS_MAX, BIAS_MAX);
    // 'max' saturates every activation at +127, so the next accumulator reaches its worst case.
    layer.exponent = kind === 'max' ? 0 : randomInt(random, 0, 20);
  });
  return bundle;
}

/** Integer features in [-127, 127]; the first and last 10% of values are pinned to the extremes. */
function randomFeatures(config: ModelConfig, n: number, seed: number, extremesOnly = false): Float32Array {
  const random = mulberry32(seed);
  const f = new Float32Array(n * config.patch * config.patch * inputChannels(config));
  for (let i = 0; i < f.length; i++) {
    if (extremesOnly) f[i] = random() < 0.5 ? -ACT_MAX : ACT_MAX;
    else if (i < f.length / 10) f[i] = ACT_MAX;
    else if (i >= f.length - f.length / 10) f[i] = -ACT_MAX;
    else f[i] = randomInt(random, -ACT_MAX, ACT_MAX);
  }
  return f;
}

// ---------------------------------------------------------------------------------------
// float64 reference of the integer semantics (architecture.ts, onnx-export.ts), direct loops.

interface Map64 {
  data: Float64Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

function referenceRun(bundle: ModelBundle, features: Float32Array, n: number, step: number, stats = { maxAbsAcc: 0 }): Float64Array {
  const { patch } = bundle.meta.config;
  const nodes: Node[] = bundle.nodes;
  const values: Map64[] = [];
  const layers = new Map(bundle.meta.layers.map((l) => [l.name, l]));
  const at = (m: Map64, b: number, y: number, x: number, c: number) => m.data[((b * m.h + y) * m.w + x) * m.c + c];
  for (const node of nodes) {
    if (node.op === 'input') {
      values.push({ data: Float64Array.from(features), n, h: patch, w: patch, c: node.channels });
    } else if (node.op === 'conv') {
      const x = values[node.src];
      const { kernel: k, cin, cout } = node;
      expect(x.c).toBe(cin);
      const w = bundle.weights.get(node.name)!;
      const biases = bundle.biases.get(node.name)!;
      const row = biases.length === cout ? 0 : step - 1;
      const e = layers.get(node.name)!.exponent;
      const [lo, hi] = activationRange(node.act);
      const out: Map64 = { data: new Float64Array(n * x.h * x.w * cout), n, h: x.h, w: x.w, c: cout };
      const pad = (k - 1) / 2;
      for (let b = 0; b < n; b++)
        for (let y = 0; y < x.h; y++)
          for (let xx = 0; xx < x.w; xx++)
            for (let o = 0; o < cout; o++) {
              let acc = biases[row * cout + o];
              for (let dy = 0; dy < k; dy++) {
                const sy = y + dy - pad;
                if (sy < 0 || sy >= x.h) continue;
                for (let dx = 0; dx < k; dx++) {
                  const sx = xx + dx - pad;
                  if (sx < 0 || sx >= x.w) continue;
                  for (let i = 0; i < cin; i++) acc += at(x, b, sy, sx, i) * w[((dy * k + dx) * cin + i) * cout + o];
                }
              }
              stats.maxAbsAcc = Math.max(stats.maxAbsAcc, Math.abs(acc));
              // The exact integer semantics: floor(acc / 2^e + 1/2), clamped.
              const v = node.act === 'none' ? acc : Math.min(hi, Math.max(lo, Math.floor(acc / 2 ** e + 0.5)));
              out.data[((b * x.h + y) * x.w + xx) * cout + o] = v;
            }
      values.push(out);
    } else if (node.op === 'add') {
      const a = values[node.a];
      const b = values[node.b];
      values.push({ ...a, data: a.data.map((v, i) => Math.min(ACT_MAX, Math.max(-ACT_MAX, v + b.data[i]))) });
    } else if (node.op === 'down') {
      const x = values[node.src];
      const out: Map64 = { data: new Float64Array((n * x.h * x.w * x.c) / 4), n, h: x.h / 2, w: x.w / 2, c: x.c };
      for (let b = 0; b < n; b++)
        for (let y = 0; y < out.h; y++)
          for (let xx = 0; xx < out.w; xx++)
            for (let c = 0; c < x.c; c++) {
              const sum = at(x, b, 2 * y, 2 * xx, c) + at(x, b, 2 * y + 1, 2 * xx, c) + at(x, b, 2 * y, 2 * xx + 1, c) + at(x, b, 2 * y + 1, 2 * xx + 1, c);
              out.data[((b * out.h + y) * out.w + xx) * x.c + c] = Math.floor(sum / 4 + 0.5);
            }
      values.push(out);
    } else {
      const x = values[node.src];
      const out: Map64 = { data: new Float64Array(n * x.h * x.w * x.c * 4), n, h: 2 * x.h, w: 2 * x.w, c: x.c };
      for (let b = 0; b < n; b++)
        for (let y = 0; y < out.h; y++)
          for (let xx = 0; xx < out.w; xx++)
            for (let c = 0; c < x.c; c++) out.data[((b * out.h + y) * out.w + xx) * x.c + c] = at(x, b, y >> 1, xx >> 1, c);
      values.push(out);
    }
  }
  return values[values.length - 1].data;
}

// ---------------------------------------------------------------------------------------

interface EngineSpec {
  label: string;
  create(bundle: ModelBundle): Promise<IntegerEngine>;
}

const onnxSpec = (optimization: OnnxOptimization, threads = 1): EngineSpec => ({
  label: `onnx(${optimization}, ${threads} thread${threads > 1 ? 's' : ''})`,
  create: (bundle) => OnnxEngine.create(bundle, { optimization, threads }),
});

const ALL_ENGINES: EngineSpec[] = [onnxSpec('all'), onnxSpec('disabled'), onnxSpec('basic'), onnxSpec('all', 2)];
const FAST_ENGINES: EngineSpec[] = [onnxSpec('all'), onnxSpec('disabled')];

interface Case {
  features: Float32Array;
  n: number;
  step: number;
}

/** Runs every case on every engine, one engine at a time. */
async function runAll(bundle: ModelBundle, engines: EngineSpec[], cases: Case[]): Promise<Map<string, Float32Array[]>> {
  const out = new Map<string, Float32Array[]>();
  for (const spec of engines) {
    const engine = await spec.create(bundle);
    try {
      const results: Float32Array[] = [];
      for (const c of cases) results.push(await engine.run(c.features, c.n, c.step));
      out.set(spec.label, results);
    } finally {
      await engine.dispose();
    }
  }
  return out;
}

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`;
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) {
      count++;
      if (first < 0) first = i;
    }
  }
  return count === 0 ? undefined : `${count} of ${a.length} differ, first at ${first}: ${a[first]} vs ${b[first]}`;
}

function expectIntegers(label: string, values: Float32Array): void {
  const bad = values.findIndex((v) => !Number.isInteger(v) || Math.abs(v) >= EXACT_LIMIT);
  expect(bad, `${label}: value ${values[bad]} at ${bad} is not an integer below 2^24`).toBe(-1);
}

/** All engines agree bit for bit on every case; returns the common outputs. */
function expectAllEqual(results: Map<string, Float32Array[]>, cases: Case[]): Float32Array[] {
  const [[refLabel, ref], ...others] = [...results.entries()];
  cases.forEach((c, k) => {
    expectIntegers(`${refLabel} n=${c.n} step=${c.step}`, ref[k]);
    for (const [label, outs] of others) {
      expect(firstMismatch(outs[k], ref[k]), `${label} vs ${refLabel}, n=${c.n}, step=${c.step}`).toBeUndefined();
    }
  });
  return ref;
}

function makeCases(config: ModelConfig, batches: number[], steps: number[], seed: number, extremesOnly = false): Case[] {
  const cases: Case[] = [];
  for (const n of batches) for (const step of steps) cases.push({ features: randomFeatures(config, n, seed + 31 * n, extremesOnly), n, step });
  return cases;
}

describe('integer engines are bit-identical', () => {
  it('tiny model: ONNX Runtime (every optimisation level, 1 and 2 threads) and the float64 reference', async () => {
    const bundle = randomBundle(TINY, 11);
    const cases = makeCases(TINY, [1, 16], [1, 2, TINY.T], 5);
    const outputs = expectAllEqual(await runAll(bundle, ALL_ENGINES, cases), cases);
    cases.forEach((c, k) => {
      const reference = referenceRun(bundle, c.features, c.n, c.step);
      expect(firstMismatch(outputs[k], reference), `float64 reference, n=${c.n}, step=${c.step}`).toBeUndefined();
    });
    // The test means something only if outputs depend on the step and are not all clamped.
    expect(firstMismatch(outputs[2], outputs[0])).toBeDefined();
    expect(new Set(outputs[3]).size).toBeGreaterThan(100);
  });

  it('three-level model (widths 16/32/32, patch 16) at batch 1 and 16', async () => {
    const bundle = randomBundle(SMALL, 12);
    const cases = makeCases(SMALL, [1, 16], [1, 3, SMALL.T], 6);
    const outputs = expectAllEqual(await runAll(bundle, FAST_ENGINES, cases), cases);
    const reference = referenceRun(bundle, cases[0].features, cases[0].n, cases[0].step);
    expect(firstMismatch(outputs[0], reference), 'float64 reference').toBeUndefined();
  });

  for (const kind of ['max', 'alternating', 'random'] as const) {
    it(`weights at ±127, biases at ±2^20, features at ±127 (${kind})`, async () => {
      for (const config of [TINY, WIDEST]) {
        const bundle = extremeBundle(config, kind, 21);
        const cases: Case[] = makeCases(config, [1, 16], [1, config.T], 7, true);
        if (kind === 'max') cases.forEach((c) => c.features.fill(ACT_MAX));
        const outputs = expectAllEqual(await runAll(bundle, ALL_ENGINES, cases), cases);
        const stats = { maxAbsAcc: 0 };
        cases.forEach((c, k) => {
          const reference = referenceRun(bundle, c.features, c.n, c.step, stats);
          expect(firstMismatch(outputs[k], reference), `float64 reference, ${config.widths}, n=${c.n}, step=${c.step}`).toBeUndefined();
        });
        expect(stats.maxAbsAcc).toBeLessThan(EXACT_LIMIT);
        if (kind === 'max' && config === WIDEST) {
          // Every product at +127·127 plus the largest bias: the accumulator bound, nearly reached.
          const worst = 9 * 108 * WEIGHT_MAX * ACT_MAX + BIAS_MAX;
          expect(stats.maxAbsAcc).toBe(worst);
          expect(worst).toBeGreaterThan(0.99 * EXACT_LIMIT);
          expect(outputs[0].some((v) => v === worst)).toBe(true);
        }
      }
    });
  }

  it('a step out of range or features of the wrong size are refused', async () => {
    const bundle = randomBundle(TINY, 13);
    const engine = await OnnxEngine.create(bundle);
    const features = randomFeatures(TINY, 1, 1);
    await expect(engine.run(features, 1, 0)).rejects.toThrow(/step/);
    await expect(engine.run(features, 1, TINY.T + 1)).rejects.toThrow(/step/);
    await expect(engine.run(features, 2, 1)).rejects.toThrow(/features/);
    await engine.dispose();
  });
});

describe('ONNX export', () => {
  it('is deterministic and carries the weights in OIHW order', () => {
    const bundle = randomBundle(TINY, 14);
    const a = exportOnnx(bundle);
    const b = exportOnnx(bundle);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const w = Int8Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => i - 36);
    const oihw = hwioToOihw(w, 3, 2, 4);
    // OIHW[o][i][y][x] = HWIO[y][x][i][o]
    for (let o = 0; o < 4; o++) for (let i = 0; i < 2; i++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(oihw[((o * 2 + i) * 3 + y) * 3 + x]).toBe(w[((y * 3 + x) * 2 + i) * 4 + o]);
    // Roughly the float32 weights plus small per-node overhead.
    const weightCount = convNodes(bundle.nodes).reduce((s, n) => s + n.kernel * n.kernel * n.cin * n.cout, 0);
    expect(a.length).toBeGreaterThan(4 * weightCount);
    expect(a.length).toBeLessThan(4 * weightCount + 64 * 1024);
  });
});

describe('createEngine', () => {
  it('builds a CPU engine that reads a view into a larger buffer at its offset, and refuses an unknown device', async () => {
    const bundle = randomBundle(TINY, 15);
    const features = randomFeatures(TINY, 2, 9);
    const onnx = await createEngine(bundle, { threads: 1 });
    expect(onnx.name).toMatch(/^onnx/);
    // A view into a larger buffer (as the coder passes chunks of a batch) is read at its offset.
    const second = features.subarray(features.length / 2);
    expect(firstMismatch(await onnx.run(second, 1, 3), referenceRun(bundle, second.slice(), 1, 3))).toBeUndefined();
    await onnx.dispose();
    await expect(createEngine(bundle, { device: 'tpu' as 'cpu' })).rejects.toThrow(/unknown device/);
  });
});
