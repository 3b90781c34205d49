// Writes the golden fixtures that test/golden.test.ts checks (format and encoder stability):
//   fixtures/golden/model/       a tiny deterministic model bundle (random weights, seed 7),
//                                written only when missing (delete it to write it again)
//   fixtures/golden/image.png    a small deterministic RGB image (12×10)
//   fixtures/golden/image.vdmz   that image compressed with that model (default κ and choices, ONNX Runtime)
//   fixtures/golden/image-predictor-rows.vdmz   the same with GOLDEN_PREDICTOR_ROWS predictor rows under the chain
//   fixtures/golden/face-crop.vdmz, chelsea-crop.vdmz   crops of fixture photos (GOLDEN_PHOTO_CROPS), which the predictor codes alone
//   fixtures/golden/screenshot-crop.vdmz   a crop of a synthetic fixture, which the predictor codes with pixel matches
//   fixtures/golden/gradient-crop.vdmz, menu-crop.vdmz   crops of synthetic fixtures coded with the first channel's exact contexts (versions 13, 14)
//   fixtures/golden/bands-crop.vdmz   a crop of a fixture photo in GOLDEN_BANDS.bands bands (format version 6)
// One file per coder path: image.vdmz the predictor alone (format version 4),
// image-predictor-rows.vdmz the chain (format version 2); the crops pin the predictor's learning.
// fixtures/golden/version-9/ keeps the same five files as this script wrote them for coder
// parameters versions 9 and 10: this build no longer writes those versions, but must read them.
// Files from before 1.0 (other formats and coder parameters) are not readable, and none is kept.
//
// The files are committed; the test never regenerates them. Rerun this only when a change to
// the container or the coder is meant to change the bytes of image.vdmz (and say so
// in the commit): `npx tsx scripts/make-golden.ts`. docs/format.md specifies the format.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressImage, decompressImage } from '../src/codec.ts';
import { cropImage, readImage, writeImage, type Image } from '../src/image/index.ts';
import type { ModelConfig } from '../src/model/architecture.ts';
import { BUNDLE_JSON, bundleFromParams, loadBundle, saveBundle } from '../src/model/bundle.ts';
import { createEngine } from '../src/model/engines.ts';
import { initParams } from '../src/model/params.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
/** The golden files of coder parameters versions 9 and 10, which decoders keep reading. */
export const GOLDEN_VERSION_9_DIR = join(GOLDEN_DIR, 'version-9');
/** The golden .vdmz files, in both folders. */
export const GOLDEN_FILES = ['image.vdmz', 'image-predictor-rows.vdmz', 'face-crop.vdmz', 'chelsea-crop.vdmz', 'screenshot-crop.vdmz'] as const;
export const GOLDEN_CONFIG: ModelConfig = { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 };
export const GOLDEN_SEED = 7;
/** Predictor rows of image-predictor-rows.vdmz: the chain codes the top rows, the predictor the rest. */
export const GOLDEN_PREDICTOR_ROWS = 4;

/**
 * Crops of fixture images that the predictor codes alone, named by the golden file each gives:
 * face-crop (of a photo once a JPEG) has enough samples for the predictor's regressions,
 * histograms and exact contexts to shape its bytes, which the 12×10 image's do not;
 * chelsea-crop has more than 2^17 samples, so its exact tables take 2^18 slots;
 * screenshot-crop (text and a button edge on a flat ground, 187 colours) is coded with pixel
 * matches (coder parameters version 12, with its neighbourhood counts; 10 in version-9/);
 * gradient-crop (RGBA colour gradients) with the first channel's exact contexts (version 13)
 * and menu-crop (text on a blurred gradient) with both (version 14). Those two have no
 * version-9/ counterpart.
 */
export const GOLDEN_PHOTO_CROPS = {
  'face-crop.vdmz': { photo: 'face.ppm', x: 400, y: 300, width: 48, height: 48 },
  'chelsea-crop.vdmz': { photo: 'chelsea.png', x: 100, y: 60, width: 256, height: 192 },
  'screenshot-crop.vdmz': { photo: 'synthetic/shell-exit.png', x: 150, y: 200, width: 96, height: 64 },
  'gradient-crop.vdmz': { photo: 'synthetic/color-space.png', x: 150, y: 40, width: 96, height: 64 },
  'menu-crop.vdmz': { photo: 'synthetic/shell-appmenu-classic.png', x: 60, y: 40, width: 96, height: 64 },
} as const;
export type GoldenCropName = keyof typeof GOLDEN_PHOTO_CROPS;

/** A banded file (format version 6): a crop of a fixture photo, cut into this many bands. */
export const GOLDEN_BANDS = { file: 'bands-crop.vdmz', photo: 'chelsea.png', x: 200, y: 100, width: 64, height: 48, bands: 3 } as const;

export function goldenBandsCrop(): Image {
  const { photo, x, y, width, height } = GOLDEN_BANDS;
  return cropImage(readImage(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${photo}`, import.meta.url))))), x, y, width, height);
}

export function goldenPhotoCrop(name: GoldenCropName): Image {
  const { photo, x, y, width, height } = GOLDEN_PHOTO_CROPS[name];
  return cropImage(readImage(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${photo}`, import.meta.url))))), x, y, width, height);
}

/** 12×10 RGB: gradients, a hard edge, a few extreme values; spans 2×2 patches, both partial. */
export function goldenImage(): Image {
  const width = 12;
  const height = 10;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = (y * width + x) * 3;
      data[k] = (x * 21 + y * 3) & 255;
      data[k + 1] = x < 6 ? 255 - y * 25 : y * 25;
      data[k + 2] = (x + y) % 4 === 0 ? 0 : (x * y * 7 + 40) & 255;
    }
  }
  return { width, height, channels: 3, data };
}

async function main(): Promise<void> {
  const modelDir = join(GOLDEN_DIR, 'model');
  // The committed .vdmz files name the model by its id (the SHA-256 of model.json and
  // model.bin), so an existing model is kept: a newer bundle writer that adds a field to
  // model.json would give it another id.
  if (!existsSync(join(modelDir, BUNDLE_JSON))) {
    mkdirSync(modelDir, { recursive: true });
    saveBundle(modelDir, bundleFromParams(GOLDEN_CONFIG, initParams(GOLDEN_CONFIG, GOLDEN_SEED)));
  }
  // Compress with the bundle as read back from disk, exactly as the test will.
  const bundle = loadBundle(modelDir);
  const image = goldenImage();
  writeFileSync(join(GOLDEN_DIR, 'image.png'), writeImage(image, 'png'));
  const engine = await createEngine(bundle, { threads: 1 });
  try {
    console.log(`model ${bundle.id}`);
    const cases = [
      ['image.vdmz', image, undefined],
      ['image-predictor-rows.vdmz', image, GOLDEN_PREDICTOR_ROWS],
      ...Object.keys(GOLDEN_PHOTO_CROPS).map((name) => [name, goldenPhotoCrop(name as GoldenCropName), undefined] as const),
    ] as const;
    for (const [name, source, predictorRows, bands] of [...cases.map(([n, i, r]) => [n, i, r, undefined] as const), [GOLDEN_BANDS.file, goldenBandsCrop(), undefined, GOLDEN_BANDS.bands] as const]) {
      const bytes = await compressImage(source, bundle, engine, { predictorRows, bands });
      const decoded = await decompressImage(bytes, bundle, engine);
      if (!decoded.data.every((v, i) => v === source.data[i])) throw new Error(`${name} does not round-trip`);
      writeFileSync(join(GOLDEN_DIR, name), bytes);
      console.log(`${name}: ${bytes.length} bytes`);
    }
  } finally {
    await engine.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
