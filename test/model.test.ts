// The model's invariants outside training: the accumulator bound is enforced, bundles
// round-trip with a content id, and the per-pixel variance factors are quantised and tabled as
// the coder uses them. (The trainer's own invariants: test/trainer.test.ts, test/loss.test.ts.)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArchitecture, VARIANCE_LOG2_MAX, VARIANCE_LOG2_MIN, VARIANCE_LOG2_SCALE, type ModelConfig } from '../src/model/architecture.ts';
import { BUNDLE_BIN, bundleFromParams, loadBundle, saveBundle } from '../src/model/bundle.ts';
import { stdFactorTable, varianceIndex } from '../src/model/denoiser.ts';
import { randomParams } from './helpers/tiny-model.ts';

const TINY: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };

describe('accumulator bound', () => {
  const config = (widths: number[]): ModelConfig => ({ channels: 3, patch: 8, T: 4, widths, blocks: 1 });
  it('refuses 3×3 convs with more than 108 input channels', () => {
    expect(() => buildArchitecture(config([109]))).toThrow(/2\^24/);
    expect(() => buildArchitecture(config([8, 109]))).toThrow(/2\^24/);
    expect(() => buildArchitecture(config([8, 16, 128]))).toThrow(/at most 108 input channels/);
  });
  it('accepts 108', () => {
    expect(() => buildArchitecture(config([108]))).not.toThrow();
    expect(() => buildArchitecture(config([64, 108]))).not.toThrow();
  });
});

describe('model bundle files', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('round-trips with the same id, weights and biases; a changed byte changes the id', () => {
    const params = randomParams(TINY, 5);
    const bundle = bundleFromParams(TINY, params, { step: 10, examples: 320, hours: 0.01 });
    const dir = mkdtempSync(join(tmpdir(), 'vdmzip-bundle-'));
    dirs.push(dir);
    saveBundle(dir, bundle);
    const loaded = loadBundle(dir);
    expect(loaded.id).toBe(bundle.id);
    expect(loaded.id).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.meta).toEqual(bundle.meta);
    expect(loaded.nodes).toEqual(bundle.nodes);
    expect([...loaded.weights.keys()]).toEqual([...bundle.weights.keys()]);
    for (const [name, w] of bundle.weights) expect(Buffer.from(loaded.weights.get(name)!.buffer).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), name).toBe(true);
    for (const [name, b] of bundle.biases) expect(Array.from(loaded.biases.get(name)!), name).toEqual(Array.from(b));

    // Another model's bundle has another id.
    expect(bundleFromParams(TINY, randomParams(TINY, 6)).id).not.toBe(bundle.id);

    const binPath = join(dir, BUNDLE_BIN);
    const bin = readFileSync(binPath);
    bin[17] ^= 1;
    writeFileSync(binPath, bin);
    const changed = loadBundle(dir);
    expect(changed.id).not.toBe(bundle.id);
    bin[17] ^= 1;
    writeFileSync(binPath, bin);
    expect(loadBundle(dir).id).toBe(bundle.id);
  });
});

describe('per-pixel variance factors', () => {
  it('the std factor table is 2^(j/16) from square roots and products, exact at whole powers of two', () => {
    const table = stdFactorTable();
    const lo = VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
    expect(table.length).toBe((VARIANCE_LOG2_MAX - VARIANCE_LOG2_MIN) * VARIANCE_LOG2_SCALE + 1);
    table.forEach((f, i) => {
      const j = lo + i;
      expect(Math.abs(f / 2 ** (j / (2 * VARIANCE_LOG2_SCALE)) - 1)).toBeLessThan(1e-15);
      if (j % (2 * VARIANCE_LOG2_SCALE) === 0) expect(f).toBe(2 ** (j / (2 * VARIANCE_LOG2_SCALE)));
      if (i > 0) expect(f).toBeGreaterThan(table[i - 1]);
    });
  });

  it('quantises log2 factors like the trainer: round half up to 1/8, clamped', () => {
    const at = (x: number) => varianceIndex(x) + VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE;
    expect(at(0)).toBe(0);
    expect(at(1 / 16)).toBe(1);
    expect(at(-1 / 16)).toBe(0);
    expect(at(0.3)).toBe(2);
    expect(at(-100)).toBe(VARIANCE_LOG2_MIN * VARIANCE_LOG2_SCALE);
    expect(at(100)).toBe(VARIANCE_LOG2_MAX * VARIANCE_LOG2_SCALE);
  });
});
