// Training data: RGB photos held in memory, from which random square patches are cut.

import { readFileSync } from 'node:fs';
import { VdmzipError } from '../errors.ts';
import { listImageFiles } from '../image/files.ts';
import { readImage, type Image } from '../image/index.ts';

/** Loads every PNG/PNM in a folder (sorted by name, for reproducibility). */
export function loadImageFolder(dir: string, channels: number): Image[] {
  return listImageFiles([dir]).map((path) => {
    let image: Image;
    try {
      image = readImage(readFileSync(path));
    } catch (error) {
      throw error instanceof VdmzipError ? error.withFile(path) : error;
    }
    if (image.channels !== channels) throw new VdmzipError('INVALID_ARGUMENT', `has ${image.channels} channels, the model expects ${channels}`, { file: path });
    return image;
  });
}

/**
 * Cuts `count` random patch×patch crops (uniform over all valid positions of all images,
 * so large photos are sampled in proportion to their area), each flipped left-right with
 * probability ½. Returns the pixels as float32 [count, patch, patch, channels].
 */
export function samplePatches(images: Image[], patch: number, count: number, random: () => number, flip = true): Float32Array {
  const positions = images.map((im) => Math.max(0, im.width - patch + 1) * Math.max(0, im.height - patch + 1));
  const total = positions.reduce((a, b) => a + b, 0);
  if (total === 0) throw new VdmzipError('INVALID_ARGUMENT', `every image is smaller than the ${patch}×${patch} patch`);
  const c = images[0].channels;
  const out = new Float32Array(count * patch * patch * c);
  let o = 0;
  for (let k = 0; k < count; k++) {
    let r = Math.floor(random() * total);
    let i = 0;
    while (r >= positions[i]) r -= positions[i++];
    const im = images[i];
    const across = im.width - patch + 1;
    const x0 = r % across;
    const y0 = Math.floor(r / across);
    const mirrored = flip && random() < 0.5;
    for (let y = 0; y < patch; y++) {
      for (let x = 0; x < patch; x++) {
        const sx = x0 + (mirrored ? patch - 1 - x : x);
        const base = ((y0 + y) * im.width + sx) * c;
        for (let ch = 0; ch < c; ch++) out[o++] = im.data[base + ch];
      }
    }
  }
  return out;
}
