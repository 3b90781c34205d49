// What must hold wherever vdmzip runs its network on a GPU (docs/gpu.md): the WebGPU provider's
// outputs equal the CPU provider's bit for bit, and files made on one device decode on the
// other, on the fixture photos and on images the bits-back chain codes. Also measures
// patch-steps/s at batch 1 to 1024, and times the chain and each effort level, GPU against CPU. Prints one line per check and a JSON report; exits 1 if any check fails.
//
//   npx tsx scripts/gpu-check.ts [--repo DIR] [--out FILE] [--test-device gpu|cpu] [--chain-photo FILE] [--quick]
//
// --test-device cpu runs the same checks with a second CPU engine in the GPU's place: a dry
// run of this script on a machine without a GPU. The GPU runner (scripts/build-gpu-runner.ts)
// bundles this file as gpu-check.mjs.

import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VdmzipCodec } from '../src/codec-api.ts';
import { compressImage, decompressImage, EFFORTS } from '../src/codec.ts';
import { codedBy, parseContainer } from '../src/format/container.ts';
import { cropImage, readImage, type Image } from '../src/image/index.ts';
import { ACT_MAX, inputChannels } from '../src/model/architecture.ts';
import { loadBundle, type ModelBundle } from '../src/model/bundle.ts';
import { GpuUnavailableError, OnnxEngine, type ComputeDevice } from '../src/model/engine-onnx.ts';
import { randomIntegers } from '../src/random.ts';

interface Options {
  repo: string;
  out?: string;
  testDevice: ComputeDevice;
  chainPhoto: string;
  quick: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { repo: process.cwd(), testDevice: 'gpu', chainPhoto: 'fixtures/chelsea.png', quick: false };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case '--repo':
        options.repo = value();
        break;
      case '--out':
        options.out = value();
        break;
      case '--test-device': {
        const device = value();
        if (device !== 'gpu' && device !== 'cpu') throw new Error(`--test-device takes gpu or cpu, not ${device}`);
        options.testDevice = device;
        break;
      }
      case '--chain-photo':
        options.chainPhoto = value();
        break;
      case '--quick':
        options.quick = true;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return options;
}

interface Check {
  what: string;
  ok: boolean;
  [detail: string]: unknown;
}

const seconds = (t0: number) => +((performance.now() - t0) / 1000).toFixed(3);
const samePixels = (a: Image, b: Image) => a.width === b.width && a.height === b.height && a.channels === b.channels && Buffer.from(a.data).equals(Buffer.from(b.data));
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Integer features in the coder's range, from a fixed seed. */
const randomFeatures = (count: number, seed: number) => randomIntegers(count, ACT_MAX, seed);

/** The device under test against the CPU provider, output for output, at batch 1, 16 and 256 and on one canvas as the chain uses. */
async function exactness(bundle: ModelBundle, test: OnnxEngine, cpu: OnnxEngine, checks: Check[]): Promise<void> {
  const { patch, T } = bundle.meta.config;
  const channels = inputChannels(bundle.meta.config);
  const cases: { n: number; size?: { height: number; width: number } }[] = [{ n: 1 }, { n: 16 }, { n: 256 }, { n: 1, size: { height: 3 * patch + 8, width: 5 * patch + 8 } }];
  for (const { n, size } of cases) {
    const { height, width } = size ?? { height: patch, width: patch };
    for (const step of [1, Math.ceil(T / 2), T]) {
      const features = randomFeatures(n * height * width * channels, 1000 * n + step + height);
      const t0 = performance.now();
      const expected = await cpu.run(features, n, step, size);
      const cpuSeconds = seconds(t0);
      const t1 = performance.now();
      const got = await test.run(features, n, step, size);
      const testSeconds = seconds(t1);
      let differing = 0;
      let maxAbsDiff = 0;
      for (let i = 0; i < expected.length; i++) {
        if (got[i] !== expected[i]) {
          differing++;
          maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - expected[i]));
        }
      }
      const shape = size ? `1 canvas ${width}×${height}` : `batch ${n}`;
      checks.push({ what: `network outputs, ${shape}, step ${step}`, ok: differing === 0 && got.length === expected.length, values: expected.length, differing, maxAbsDiff, cpuSeconds, testSeconds });
    }
  }
}

/** Patch-steps per second of each engine at several batches (as `npm run bench:model`, which needs tsx). */
async function throughput(bundle: ModelBundle, engines: OnnxEngine[], seconds: number): Promise<{ engine: string; batch: number; patchStepsPerSecond: number }[]> {
  const { patch, T } = bundle.meta.config;
  const channels = inputChannels(bundle.meta.config);
  const rows: { engine: string; batch: number; patchStepsPerSecond: number }[] = [];
  for (const engine of engines) {
    for (const n of [1, 16, 64, 256, 1024]) {
      const features = randomFeatures(n * patch * patch * channels, n);
      await engine.run(features, n, 1); // warm-up: shaders, buffers, kernel choice
      let runs = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) await engine.run(features, n, 1 + (runs++ % T));
      const row = { engine: engine.name, batch: n, patchStepsPerSecond: +((n * runs) / ((performance.now() - t0) / 1000)).toFixed(1) };
      console.log(`     ${row.engine} batch ${n}: ${row.patchStepsPerSecond} patch-steps/s`);
      rows.push(row);
    }
  }
  return rows;
}

function readFixture(path: string): Image {
  return readImage(readFileSync(path));
}

/** Compress on each device, decode on the other: both files equal, both decode to the input. */
async function crossDevice(name: string, image: Image, test: VdmzipCodec, cpu: VdmzipCodec, checks: Check[]): Promise<void> {
  let t0 = performance.now();
  const onTest = await test.compress(image);
  const testCompress = seconds(t0);
  t0 = performance.now();
  const onCpu = await cpu.compress(image);
  const cpuCompress = seconds(t0);
  t0 = performance.now();
  const testToCpu = await cpu.decompress(onTest);
  const cpuDecompress = seconds(t0);
  t0 = performance.now();
  const cpuToTest = await test.decompress(onCpu);
  const testDecompress = seconds(t0);
  const ok = sameBytes(onTest, onCpu) && samePixels(testToCpu, image) && samePixels(cpuToTest, image);
  checks.push({ what: `file ${name}: compressed on each device, decompressed on the other`, ok, bytes: onCpu.length, sameBytes: sameBytes(onTest, onCpu), testCompress, cpuCompress, testDecompress, cpuDecompress });
}

/** The chain forced over every row (no predictor rows): same file on both devices, decoded across; seconds per megapixel. */
async function chain(name: string, image: Image, bundle: ModelBundle, test: OnnxEngine, cpu: OnnxEngine, checks: Check[]): Promise<void> {
  const megapixels = (image.width * image.height) / 1e6;
  let t0 = performance.now();
  const onTest = await compressImage(image, bundle, test, { predictorRows: 0 });
  const testEncode = seconds(t0);
  t0 = performance.now();
  const onCpu = await compressImage(image, bundle, cpu, { predictorRows: 0 });
  const cpuEncode = seconds(t0);
  t0 = performance.now();
  const testToCpu = await decompressImage(onTest, bundle, cpu);
  const cpuDecode = seconds(t0);
  t0 = performance.now();
  const cpuToTest = await decompressImage(onCpu, bundle, test);
  const testDecode = seconds(t0);
  const ok = sameBytes(onTest, onCpu) && samePixels(testToCpu, image) && samePixels(cpuToTest, image);
  const perMp = (s: number) => +(s / megapixels).toFixed(2);
  checks.push({
    what: `chain over every row, ${name} ${image.width}×${image.height}: compressed on each device, decompressed on the other`,
    ok,
    bytes: onCpu.length,
    sameBytes: sameBytes(onTest, onCpu),
    secondsPerMegapixel: { testEncode: perMp(testEncode), cpuEncode: perMp(cpuEncode), testDecode: perMp(testDecode), cpuDecode: perMp(cpuDecode) },
  });
}

/** Each effort level on both devices: the same file, and the seconds per megapixel it costs (the README's table). */
async function efforts(name: string, image: Image, bundle: ModelBundle, test: OnnxEngine, cpu: OnnxEngine, checks: Check[]): Promise<void> {
  const megapixels = (image.width * image.height) / 1e6;
  for (const effort of EFFORTS) {
    let t0 = performance.now();
    const onTest = await compressImage(image, bundle, test, { effort });
    const testEncode = seconds(t0);
    t0 = performance.now();
    const onCpu = await compressImage(image, bundle, cpu, { effort });
    const cpuEncode = seconds(t0);
    const perMp = (s: number) => +(s / megapixels).toFixed(2);
    const coder = codedBy(image.height, parseContainer(onCpu).header.coder.predictorRows);
    checks.push({ what: `effort ${effort}, ${name}: the same file on each device`, ok: sameBytes(onTest, onCpu), bytes: onCpu.length, coder, secondsPerMegapixel: { testEncode: perMp(testEncode), cpuEncode: perMp(cpuEncode) } });
  }
}

export async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const repo = resolve(options.repo);
  const bundle = loadBundle(join(repo, 'models/default'));
  const threads = availableParallelism();
  const checks: Check[] = [];
  const report = (check: Check) => {
    const { what, ok, ...details } = check;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what} ${JSON.stringify(details)}`);
  };
  const started = performance.now();
  let speeds: Awaited<ReturnType<typeof throughput>> = [];

  let testEngine: OnnxEngine;
  try {
    testEngine = await OnnxEngine.create(bundle, { device: options.testDevice, threads: options.testDevice === 'cpu' ? threads : 1 });
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    console.log(`FAIL ${error.message}: nothing else can be checked`);
    return 1;
  }
  const cpuEngine = await OnnxEngine.create(bundle, { device: 'cpu', threads });
  console.log(`device under test: ${testEngine.name}; CPU reference: ${cpuEngine.name}; model ${bundle.id.slice(0, 16)}…`);
  try {
    await exactness(bundle, testEngine, cpuEngine, checks);
    checks.forEach(report);
    speeds = await throughput(bundle, [testEngine, cpuEngine], options.quick ? 0.3 : 1.5);

    const photos = options.quick ? ['fixtures/chelsea.png'] : ['fixtures/astronaut.png', 'fixtures/chelsea.png', 'fixtures/coffee.png', 'fixtures/motorcycle_left.png', 'fixtures/face.ppm'];
    const test = await VdmzipCodec.open({ model: bundle, device: options.testDevice, threads: options.testDevice === 'cpu' ? threads : 1 });
    const cpu = await VdmzipCodec.open({ model: bundle, device: 'cpu', threads });
    try {
      for (const photo of photos) {
        const before = checks.length;
        await crossDevice(basename(photo), readFixture(join(repo, photo)), test, cpu, checks);
        checks.slice(before).forEach(report);
      }
    } finally {
      await test.dispose();
      await cpu.dispose();
    }

    // A crop the chain codes, then one full-size photo for seconds per megapixel.
    const astronaut = readFixture(join(repo, 'fixtures/astronaut.png'));
    const chainImages: [string, Image][] = [['astronaut crop', cropImage(astronaut, 192, 64, 96, 64)]];
    if (!options.quick) chainImages.push([basename(options.chainPhoto), readFixture(resolve(repo, options.chainPhoto))]);
    for (const [name, image] of chainImages) {
      const before = checks.length;
      await chain(name, image, bundle, testEngine, cpuEngine, checks);
      checks.slice(before).forEach(report);
    }
    if (!options.quick) {
      const before = checks.length;
      await efforts(basename(options.chainPhoto), readFixture(resolve(repo, options.chainPhoto)), bundle, testEngine, cpuEngine, checks);
      checks.slice(before).forEach(report);
    }
  } finally {
    await testEngine.dispose();
    await cpuEngine.dispose();
  }

  const failed = checks.filter((c) => !c.ok).length;
  const summary = { testDevice: testEngine.name, cpu: cpuEngine.name, cpuThreads: threads, model: bundle.id, seconds: seconds(started), passed: checks.length - failed, failed, checks, throughput: speeds };
  if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 1)}\n`);
  console.log(`${failed === 0 ? 'all' : `${failed} of`} ${checks.length} checks ${failed === 0 ? 'passed' : 'FAILED'} in ${summary.seconds} s`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
