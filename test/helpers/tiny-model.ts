/**
 * A tiny random-weight model for tests: the real architecture and coder, small enough
 * that compressing a test image takes milliseconds. Its compression ratio means nothing;
 * its files round-trip like the shipped model's.
 */
import type { ModelConfig } from '../../src/model/architecture.ts';
import { bundleFromParams, saveBundle, type ModelBundle } from '../../src/model/bundle.ts';
import { initParams, paramLayout, seededNormal, view } from '../../src/model/params.ts';

export const TINY_CONFIG: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
/** The same with a per-pixel variance output. */
export const TINY_PIXEL_VARIANCE_CONFIG: ModelConfig = { ...TINY_CONFIG, variance: 'pixel' };

/** The tiny model with weights drawn from `seed`; different seeds give different model ids. */
export function tinyBundle(seed = 1, config = TINY_CONFIG): ModelBundle {
  return bundleFromParams(config, initParams(config, seed));
}

/** Writes the tiny model as a model folder (model.json, model.bin) and returns it. */
export function saveTinyModel(dir: string, seed = 1): ModelBundle {
  const bundle = tinyBundle(seed);
  saveBundle(dir, bundle);
  return bundle;
}

/** initParams plus random static and per-step biases (initParams leaves them at zero). */
export function randomParams(config: ModelConfig, seed: number): Float32Array {
  const params = initParams(config, seed);
  const normal = seededNormal(seed + 500);
  for (const spec of paramLayout(config).specs) {
    if (spec.name.endsWith('.b') || spec.name.endsWith('.t')) {
      const v = view(params, spec);
      for (let i = 0; i < v.length; i++) v[i] = 0.7 * normal();
    }
  }
  return params;
}
