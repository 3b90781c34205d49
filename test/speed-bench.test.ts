// `npm run bench:speed` end to end on one small image: a row with its times and ratios, the
// total, and the start-up medians.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/bench/speed-bench.ts';

const IMAGE = new URL('../fixtures/crops32/chelsea-00.png', import.meta.url).pathname;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('bench:speed', () => {
  it('times vdmzip (and JPEG-XL where installed) on each image and reports the start-up medians', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((text: string) => lines.push(text));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['-e', '1', '--threads', '2', IMAGE])).toBe(0);
    const out = lines.join('\n');
    expect(out).toMatch(/^# vdmzip speed: 1 image, effort 1, one process at a time, 2 threads each$/m);
    expect(out).toMatch(/^\| chelsea-00\.png \| 0\.00 \| \d+ \| \d+\.\d\d \| (\d+\.\d\d|–) \| (\d+\.\d\d|–) \| \d+\.\d\d \|/m);
    expect(out).toMatch(/^\| \*\*total\*\* \| /m);
    expect(out).toMatch(/Start-up \(median of 5\): `vdmzip --help` \d+\.\d\d s; decompressing a 32×32 file \d+\.\d\d s\./);
  }, 120_000);

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(main(['--threads', '0', IMAGE])).rejects.toThrow('--threads takes a positive integer');
  });
});
