// The trainer end to end on a tiny model: a few steps with frozen tensors and crops larger
// than the model's patch, through the worker pool, checkpoint and export.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../src/model/architecture.ts';
import { writeImage } from '../src/image/index.ts';
import { paramLayout, view } from '../src/model/params.ts';
import { exportCheckpoint, frozenMask, loadCheckpoint, train } from '../src/model/train.ts';

const CONFIG: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1, variance: 'pixel' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vdmzip-train-'));
  for (const split of ['train', 'val']) {
    mkdirSync(join(dir, 'data', split), { recursive: true });
    for (let k = 0; k < 2; k++) {
      const width = 40;
      const height = 36;
      const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * (7 + k) + (i >> 6) * 3) & 255);
      writeFileSync(join(dir, 'data', split, `${k}.ppm`), writeImage({ width, height, channels: 3, data }, 'pnm'));
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (out: string) => ({
  trainDir: join(dir, 'data', 'train'),
  valDir: join(dir, 'data', 'val'),
  out,
  config: CONFIG,
  resume: false,
  batch: 4,
  lr: 1e-2,
  warmupSteps: 1,
  emaDecay: 0.9,
  workers: 1,
  maxSteps: 3,
  valEvery: 100,
  valPatches: 8,
  checkpointMinutes: 100,
  seed: 3,
});

describe('train', () => {
  it('holds --freeze tensors fixed while the rest moves, trains on --crop crops, and exports a model with its own patch', async () => {
    const out = join(dir, 'run');
    await train({ ...options(out), maxSteps: 1 });
    const before = loadCheckpoint(out);
    await train({ ...options(out), resume: true, freeze: ['gamma.ends', 'skip'], crop: 16 });
    const after = loadCheckpoint(out);
    expect(after.meta.step).toBe(3);
    expect(after.meta.config).toEqual(CONFIG);

    const frozen = frozenMask(CONFIG, ['gamma.ends', 'skip']);
    const layout = paramLayout(CONFIG);
    expect(frozen.reduce((a, b) => a + b, 0)).toBe(layout.byName.get('gamma.ends')!.size + layout.byName.get('skip')!.size);
    let moved = 0;
    for (let i = 0; i < frozen.length; i++) {
      if (frozen[i]) expect(after.params[i], `parameter ${i}`).toBe(before.ema[i]);
      else if (after.params[i] !== before.params[i]) moved++;
    }
    expect(moved).toBeGreaterThan(frozen.length / 2);
    expect(Array.from(view(after.params, layout.byName.get('gamma.ends')!))).toEqual(Array.from(view(before.ema, layout.byName.get('gamma.ends')!)));

    const log = readFileSync(join(out, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; crop?: number; names?: string[] });
    expect(log.find((r) => r.kind === 'crop')?.crop).toBe(16);
    expect(log.find((r) => r.kind === 'freeze')?.names).toEqual(['gamma.ends', 'skip']);
    // Importance sampling (the default) takes its step probabilities from each validation.
    const sampling = log.filter((r) => r.kind === 'sampling') as unknown as { probabilities: number[] }[];
    expect(sampling.length).toBeGreaterThanOrEqual(2);
    for (const { probabilities } of sampling) {
      expect(probabilities.length).toBe(CONFIG.T);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(Math.min(...probabilities)).toBeGreaterThanOrEqual(0.25 / CONFIG.T - 1e-12);
    }

    const bundle = exportCheckpoint(out, join(dir, 'model'));
    expect(bundle.meta.config.patch).toBe(8);
  }, 60_000);

  it('refuses an unknown tensor name, a crop the network cannot halve, and a crop larger than every image', async () => {
    expect(() => frozenMask(CONFIG, ['gamma.nope'])).toThrow(/no parameter tensor named 'gamma.nope'/);
    await expect(train({ ...options(join(dir, 'bad')), crop: 9 })).rejects.toThrow(/--crop 9 is not a multiple of 2/);
    // The crop reaches the sampler: the images are 40×36, so 48×48 crops cannot be cut.
    await expect(train({ ...options(join(dir, 'too-big')), crop: 48 })).rejects.toThrow(/smaller than the 48×48 patch/);
  });
});
