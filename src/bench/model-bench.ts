// Model throughput on the shipped model size (random weights): coding-path inference with
// ONNX Runtime (CPU, and WebGPU where an adapter answers) at several batch sizes. Prints a
// Markdown table. (The trainer logs its own examples/s: docs/training.md.)
//
//   npm run bench:model [-- --quick]     (--smoke: a tiny model, to check the script runs)
//
// Numbers depend on what else runs on the machine: run it on an idle one.

import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ACT_MAX, inputChannels, type ModelConfig } from '../model/architecture.ts';
import { bundleFromParams, type ModelBundle } from '../model/bundle.ts';
import type { IntegerEngine } from '../model/denoiser.ts';
import { GpuUnavailableError, OnnxEngine, type OnnxOptimization } from '../model/engine-onnx.ts';
import { interpret } from '../model/interpret.ts';
import { initParams } from '../model/params.ts';
import { randomIntegers } from '../random.ts';

export const SHIPPED_CONFIG: ModelConfig = { channels: 3, patch: 32, T: 64, widths: [64, 96, 96], blocks: 2 };

/** Multiply-accumulates of one forward pass on one patch. */
export function macsPerPatch(bundle: ModelBundle): number {
  let macs = 0;
  interpret(bundle.nodes, bundle.meta.config.patch, {
    conv: (node, side) => {
      macs += node.kernel * node.kernel * node.cin * node.cout * side * side;
      return side;
    },
    add: (a) => a,
    down: (side) => side / 2,
    up: (side) => side * 2,
  });
  return macs;
}

/** Runs `fn` once to warm up, then until `minSeconds` have passed and at least `minRuns` runs; seconds per run (median). */
async function timeIt(fn: () => Promise<unknown> | unknown, minSeconds: number, minRuns: number): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= 50) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function randomFeatures(config: ModelConfig, n: number): Float32Array {
  return randomIntegers(n * config.patch * config.patch * inputChannels(config), ACT_MAX, 12345);
}

const formatMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3));

interface Row {
  what: string;
  batch: number;
  secondsPerRun: number;
  perSecond: number;
  unit: string;
  gflops?: number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const minSeconds = quick ? 0.5 : 2;
  const minRuns = quick ? 2 : 3;
  const config: ModelConfig = process.argv.includes('--smoke') ? { channels: 3, patch: 8, T: 4, widths: [8, 16], blocks: 1 } : SHIPPED_CONFIG;
  const bundle = bundleFromParams(config, initParams(config, 1));
  const macs = macsPerPatch(bundle);
  const batches = [1, 16, 64];
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    console.error(`  ${r.what} batch ${r.batch}: ${r.perSecond.toFixed(1)} ${r.unit}`);
  };

  console.error(`model ${JSON.stringify(config)}: ${(2 * macs / 1e9).toFixed(3)} GFLOP per patch-step`);

  const onnxLevels: OnnxOptimization[] = ['all', 'basic', 'disabled'];
  const engines: { what: string; create: () => Promise<IntegerEngine>; batches: number[] }[] = [
    ...onnxLevels.map((optimization) => ({ what: `ONNX Runtime CPU, 1 thread, opt=${optimization}`, create: () => OnnxEngine.create(bundle, { threads: 1, optimization }), batches })),
  ];
  // The GPU is measured where a WebGPU adapter answers (and computes exactly); its batches go
  // past where it peaked on an H200 (256), to show the fall after it.
  let gpu: OnnxEngine | undefined;
  let noGpu: string | undefined;
  try {
    gpu = await OnnxEngine.create(bundle, { device: 'gpu' });
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    noGpu = error.reason;
    console.error(`  ONNX Runtime WebGPU: not measured, ${noGpu}`);
  }
  if (gpu) {
    const opened = gpu;
    engines.splice(1, 0, { what: 'ONNX Runtime WebGPU (NCHW)', create: async () => opened, batches: [1, 16, 64, 256, 1024] });
  }
  for (const { what, create, batches } of engines) {
    const engine = await create();
    for (const n of batches) {
      const features = randomFeatures(config, n);
      let step = 0;
      const seconds = await timeIt(() => engine.run(features, n, 1 + (step++ % config.T)), minSeconds, minRuns);
      log({ what, batch: n, secondsPerRun: seconds, perSecond: n / seconds, unit: 'patch-steps/s', gflops: (2 * macs * n) / seconds / 1e9 });
    }
    await engine.dispose();
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`### Model throughput (${config.widths.join('/')} widths, patch ${config.patch}, T ${config.T}; ${(2 * macs / 1e9).toFixed(3)} GFLOP per patch-step)\n`);
  console.log(`${cpu}, ${availableParallelism()} logical CPUs, load average at the end ${load}; Node ${process.version}.\n`);
  console.log('| engine | batch | ms per call | throughput | GFLOP/s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.what} | ${r.batch} | ${formatMs(r.secondsPerRun * 1000)} | ${r.perSecond.toFixed(1)} ${r.unit} | ${r.gflops?.toFixed(1) ?? ''} |`);
  if (noGpu !== undefined) console.log(`\nWebGPU not measured: no WebGPU adapter here (${noGpu}).`);
  console.log('\nGFLOP/s counts 2 FLOP per multiply-accumulate of the convolutions.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
