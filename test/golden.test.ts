// Format and encoder stability: a committed model, image and .vdmz files (written once by
// scripts/make-golden.ts, never regenerated here) must keep decoding to the same pixels, and
// compressing the images again must give the same bytes. If this test fails after a change that
// was meant to change the format or the encoder's output, rerun the script and say so in the
// commit; otherwise the change broke every file already written. One file per coder path:
// image.vdmz, the predictor alone (format version 4: the encoder's own choice for image.png,
// with this random-weight model, is to code every row by the predictor), and
// image-predictor-rows.vdmz, the chain over predictor rows (format version 2). face-crop.vdmz and
// chelsea-crop.vdmz, crops of fixture photos, pin the predictor's learning (regressions,
// histograms, exact contexts and the size of their tables), which a 12×10 image barely
// exercises. fixtures/golden/version-9/ holds the same five files as written for coder parameters
// versions 9 and 10, which this build reads but no longer writes: they must keep decoding.
// Files that vdmzip wrote before 1.0 are not read (test/container.test.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage, decompressImage } from '../src/codec.ts';
import { CODER_PARAMS_VERSION, MATCHES_PARAMS_VERSION, parseContainer } from '../src/format/container.ts';
import { readImage, type Image } from '../src/image/index.ts';
import { loadBundle, type ModelBundle } from '../src/model/bundle.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { createEngine } from '../src/model/engines.ts';
import { GOLDEN_BANDS, GOLDEN_FILES, GOLDEN_PREDICTOR_ROWS, GOLDEN_PHOTO_CROPS, GOLDEN_VERSION_9_DIR, type GoldenCropName, goldenBandsCrop, goldenPhotoCrop } from '../scripts/make-golden.ts';

const CROPS = Object.keys(GOLDEN_PHOTO_CROPS) as GoldenCropName[];
/** The coder parameters version of each crop's file where it is not CODER_PARAMS_VERSION. */
const CROP_VERSIONS: Partial<Record<GoldenCropName, number>> = { 'screenshot-crop.vdmz': MATCHES_PARAMS_VERSION, 'gradient-crop.vdmz': 13, 'menu-crop.vdmz': 14 };

const GOLDEN = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

function expectSamePixels(actual: Image, expected: Image, what: string): void {
  expect([actual.width, actual.height, actual.channels], what).toEqual([expected.width, expected.height, expected.channels]);
  const i = actual.data.findIndex((v, k) => v !== expected.data[k]);
  expect(i < 0 ? '' : `sample ${i}: ${actual.data[i]} ≠ ${expected.data[i]}`, what).toBe('');
}

describe('golden fixture (fixtures/golden)', () => {
  let bundle: ModelBundle;
  let image: Image;
  let vdmz: Uint8Array;
  const engines = new Map<string, IntegerEngine>();

  beforeAll(async () => {
    bundle = loadBundle(join(GOLDEN, 'model'));
    image = readImage(new Uint8Array(readFileSync(join(GOLDEN, 'image.png'))));
    vdmz = new Uint8Array(readFileSync(join(GOLDEN, 'image.vdmz')));
    engines.set('onnx', await createEngine(bundle, { threads: 1 }));
    engines.set('onnx-unoptimised', await createEngine(bundle, { threads: 2, optimization: 'disabled' }));
  });

  afterAll(async () => {
    for (const engine of engines.values()) await engine.dispose();
  });

  it('the fixture is what the script describes: a 12×10 RGB image and the tiny T = 4 model', () => {
    expect([image.width, image.height, image.channels]).toEqual([12, 10, 3]);
    expect(bundle.meta.config).toEqual({ channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 });
  });

  const golden = (name: string) => new Uint8Array(readFileSync(join(GOLDEN, name)));

  it("the loaded model's id is the one recorded in the chain file's header (its first 8 bytes; none in format version 4)", () => {
    const { header } = parseContainer(vdmz);
    expect(vdmz[4]).toBe(4);
    expect([header.modelId, header.width, header.height, header.channels, header.steps, header.patchSize]).toEqual([undefined, 12, 10, 3, undefined, undefined]);
    const chain = golden('image-predictor-rows.vdmz');
    expect(chain[4]).toBe(2);
    expect(parseContainer(chain).header).toMatchObject({ modelId: bundle.id.slice(0, 16), steps: 4, patchSize: 8 });
  });

  for (const kind of ['onnx', 'onnx-unoptimised']) {
    for (const name of GOLDEN_FILES) {
      it(`version-9/${name}, written for coder parameters version 9 or 10, still decompresses to its image, pixel for pixel (${kind})`, async () => {
        const file = new Uint8Array(readFileSync(join(GOLDEN_VERSION_9_DIR, name)));
        expect(parseContainer(file).header.coder.version).toBe(name === 'screenshot-crop.vdmz' ? 10 : 9);
        const source = name in GOLDEN_PHOTO_CROPS ? goldenPhotoCrop(name as GoldenCropName) : image;
        expectSamePixels(await decompressImage(file, bundle, engines.get(kind)!), source, kind);
      });
    }

    it(`decompresses to image.png, pixel for pixel (${kind})`, async () => {
      expectSamePixels(await decompressImage(vdmz, bundle, engines.get(kind)!), image, kind);
    });

    it(`decompresses image-predictor-rows.vdmz to image.png, pixel for pixel (${kind})`, async () => {
      const file = golden('image-predictor-rows.vdmz');
      expect(parseContainer(file).header.coder.predictorRows).toBe(GOLDEN_PREDICTOR_ROWS);
      expectSamePixels(await decompressImage(file, bundle, engines.get(kind)!), image, kind);
    });

    for (const name of CROPS) {
      it(`${name} (format 4) decompresses to its crop, pixel for pixel (${kind})`, async () => {
        const file = golden(name);
        expect(file[4]).toBe(4);
        expect(parseContainer(file).header.coder.version).toBe(CROP_VERSIONS[name] ?? CODER_PARAMS_VERSION);
        expectSamePixels(await decompressImage(file, bundle, engines.get(kind)!), goldenPhotoCrop(name), kind);
      });
    }

    it(`${GOLDEN_BANDS.file} (format 6, ${GOLDEN_BANDS.bands} bands) decompresses to its crop, and compressing the crop again in as many bands gives it byte for byte (${kind})`, async () => {
      const file = golden(GOLDEN_BANDS.file);
      expect(file[4]).toBe(6);
      expect(parseContainer(file).bands).toHaveLength(GOLDEN_BANDS.bands);
      expectSamePixels(await decompressImage(file, bundle, engines.get(kind)!, { workers: 1 }), goldenBandsCrop(), kind);
      expect(Buffer.from(await compressImage(goldenBandsCrop(), bundle, engines.get(kind)!, { bands: GOLDEN_BANDS.bands, workers: 1 })).equals(Buffer.from(file))).toBe(true);
    });

    for (const [name, predictorRows] of [['image.vdmz', undefined], ['image-predictor-rows.vdmz', GOLDEN_PREDICTOR_ROWS], ...CROPS.map((crop) => [crop, undefined] as const)] as const) {
      it(`compressing its image again gives ${name} byte for byte (${kind})`, async () => {
        const file = golden(name);
        const source = name in GOLDEN_PHOTO_CROPS ? goldenPhotoCrop(name as GoldenCropName) : image;
        const bytes = await compressImage(source, bundle, engines.get(kind)!, { predictorRows });
        if (!Buffer.from(bytes).equals(Buffer.from(file))) {
          const first = bytes.findIndex((b, i) => b !== file[i]);
          expect.fail(
            `the encoder's output changed: ${bytes.length} bytes vs ${file.length}, first difference at byte ${first}; coder params now ${JSON.stringify(parseContainer(bytes).header.coder)}, golden ${JSON.stringify(parseContainer(file).header.coder)}`,
          );
        }
      });
    }
  }
});

describe("docs/format.md Appendix B's predictor-only files", () => {
  const A = [10, 20, 30];
  const B = [200, 100, 50];
  // Each image, the file this build writes (coder parameters version 11 or 12), and the file of version 9 or 10.
  const vectors: Array<[Image, string, string]> = [
    [
      { width: 3, height: 2, channels: 3, data: Uint8Array.of(10, 20, 30, 12, 22, 33, 15, 25, 35, 11, 21, 31, 13, 24, 34, 200, 100, 50) },
      '56444d5a04030203080b2dd00fe8961f00f5d17a45ea4bb776f22536b473d8',
      '56444d5a0403020308092dd00fe8961f00f5d17a45ea4bb776f22536b473d8',
    ],
    [
      { width: 4, height: 3, channels: 1, data: Uint8Array.of(0, 16, 32, 48, 8, 24, 40, 56, 16, 32, 48, 64) },
      '56444d5a04040301080d6e62003b3722046530e19e5330ada4',
      '56444d5a04040301080991d4064fdb000065304720a300113b41eb',
    ],
    [
      { width: 2, height: 2, channels: 4, data: Uint8Array.of(1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255, 10, 11, 12, 255) },
      '56444d5a04020204080b0da9ff33ec0000694b9e7726961e71',
      '56444d5a0402020408090da9ff33ec0000694b9e7726961e71',
    ],
    [
      { width: 6, height: 3, channels: 3, data: Uint8Array.from([A, A, B, B, A, A, A, A, B, B, A, A, A, B, B, B, B, A].flat()) },
      '56444d5a04060303080ccedc0fc5c92500ba18e53f8bc0971c000e5471',
      '56444d5a04060303080a0813102dd6fe04cf022c33363ecf1c00c3976f',
    ],
    [
      { width: 8, height: 2, channels: 1, data: Uint8Array.of(0, 0, 255, 255, 0, 0, 255, 255, 0, 255, 255, 0, 0, 255, 255, 0) },
      '56444d5a04080201080cf7f103f8f8680ebb772512f168',
      '56444d5a04080201080a028f0b3bfccb014e41a8394155',
    ],
  ];
  const spec = readFileSync(fileURLToPath(new URL('../docs/format.md', import.meta.url)), 'utf8');
  const none = undefined as unknown as IntegerEngine;

  it('are in the document, decode to their images (both versions), and the newer ones are what the encoder writes', async () => {
    // The grey ramp as version 11 wrote it, before version 13 coded it smaller.
    const grey11 = '56444d5a04040301080b91d4064fdb000065304720a300113b41eb';
    expect(spec).toContain(`\`${grey11}\``);
    expectSamePixels(await decompressImage(Uint8Array.from(Buffer.from(grey11, 'hex')), undefined, none), vectors[1][0], grey11);
    expect(parseContainer(Uint8Array.from(Buffer.from(vectors[1][1], 'hex'))).header.coder.version).toBe(13);
    for (const [image, hex, version9Hex] of vectors) {
      for (const file of [hex, version9Hex]) {
        expect(spec).toContain(`\`${file}\``);
        expectSamePixels(await decompressImage(Uint8Array.from(Buffer.from(file, 'hex')), undefined, none), image, file);
      }
      expect(Buffer.from(await compressImage(image, undefined, none, { effort: 1 })).toString('hex')).toBe(hex);
    }
  });

  it('the banded files (format 6) are in the document, decode to their images, and are what the encoder writes in as many bands', async () => {
    const banded: Array<[Image, number, string]> = [
      [vectors[0][0], 2, '56444d5a0603020308f5d18eb9f689030f021756444d5a04030103080b860f1019631a01439a1804670556444d5a04030103080bcc4c10550de001cf64a3cef669102d700d'],
      [vectors[1][0], 3, '56444d5a06040301086530df467f5c1daf03151556444d5a04040101080bfb8800ea536e00fc62d09056444d5a04040101080b4d590f17f9210cff9b0dee56444d5a04040101080ba4db118220ee08f4e372ee'],
    ];
    for (const [image, bands, hex] of banded) {
      expect(spec).toContain(`\`${hex}\``);
      expectSamePixels(await decompressImage(Uint8Array.from(Buffer.from(hex, 'hex')), undefined, none, { workers: 1 }), image, hex);
      expect(Buffer.from(await compressImage(image, undefined, none, { effort: 1, bands, workers: 1 })).toString('hex')).toBe(hex);
    }
  });
});
