// Coder parameters versions 13 and 14: exact contexts for the first channel (docs/format.md
// §7.10), which the encoder takes where they make the file smaller (§11).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compress, decompress } from '../src/codec-api.ts';
import { hasFirstChannelContexts, parseContainer } from '../src/format/container.ts';
import { cropImage, type Image } from '../src/image/image.ts';
import { readImage } from '../src/image/index.ts';
import { bandIntervals, PREDICTOR, PREDICTOR_FIRST_CHANNEL_CONTEXTS, sampleBits, type RowBand } from '../src/predictor/predictive.ts';
import { bandIntervalsInWorker } from '../src/predictor/parallel-walk.ts';

const fixture = (name: string) => readImage(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)))));

/** A rendered picture: a colour ramp with a hard diagonal edge, as diagrams and UI gradients are. */
function ramp(width: number, height: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x > y;
      data.set([Math.round((x * 255) / width), inside ? Math.round((y * 200) / height) : 30, inside ? 240 - ((x + y) >> 2) : 90], (y * width + x) * 3);
    }
  }
  return { width, height, channels: 3, data };
}

const versionOf = (file: Uint8Array) => parseContainer(file).header.coder.version;
const sameSamples = (a: Image, b: Image) => Buffer.from(a.data).equals(Buffer.from(b.data));
const sum = (bits: Float64Array) => bits.reduce((a, b) => a + b, 0);

describe('exact contexts for the first channel (versions 13 and 14)', () => {
  it('code a rendered ramp in far fewer bits than version 11, and a photo about as well', () => {
    const bits = (image: Image, predictor = PREDICTOR) => sum(sampleBits(image.data, { width: image.width, channels: 3, coded: 3, top: 0, bottom: image.height, predictor }));
    const drawn = ramp(96, 64);
    expect(bits(drawn, PREDICTOR_FIRST_CHANNEL_CONTEXTS)).toBeLessThan(0.95 * bits(drawn));
    const photo = cropImage(fixture('chelsea.png'), 100, 60, 96, 64);
    expect(Math.abs(bits(photo, PREDICTOR_FIRST_CHANNEL_CONTEXTS) / bits(photo) - 1)).toBeLessThan(0.02);
  });

  it('are what the encoder writes where they pay: small pictures coded both ways, large ones by a sample of rows', async () => {
    for (const [image, expected] of [
      [ramp(96, 64), true],
      [cropImage(fixture('chelsea.png'), 100, 60, 96, 64), false],
      [ramp(320, 240), true],
      [cropImage(fixture('chelsea.png'), 0, 0, 320, 240), false],
    ] as const) {
      const file = await compress(image, { effort: 1 });
      expect(hasFirstChannelContexts(versionOf(file))).toBe(expected);
      expect(sameSamples(await decompress(file), image)).toBe(true);
    }
  });

  it('with pixel matches (version 14) round-trip too', async () => {
    const crop = cropImage(fixture('synthetic/shell-appmenu-classic.png'), 60, 40, 200, 200);
    const file = await compress(crop, { effort: 1 });
    expect(versionOf(file)).toBe(14);
    expect(sameSamples(await decompress(file), crop)).toBe(true);
  });

  it("walk in a worker thread as on this one (the encoder's walk beside the estimate)", async () => {
    const image = ramp(64, 40);
    const band: RowBand = { width: 64, channels: 3, coded: 3, top: 0, bottom: 40, predictor: PREDICTOR_FIRST_CHANNEL_CONTEXTS };
    const [inWorker, here] = [await bandIntervalsInWorker(image.data, band), await bandIntervals(image.data, band)];
    expect(Buffer.from(inWorker.frequencies.buffer).equals(Buffer.from(here.frequencies.buffer))).toBe(true);
    expect(Buffer.from(inWorker.starts.buffer).equals(Buffer.from(here.starts.buffer))).toBe(true);
  });
});
