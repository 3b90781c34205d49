/**
 * Options shared by compress and decompress, in the habits of gzip, xz and zstd, and the
 * model folder they open.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MODEL_DIR, type DeviceInfo } from '../src/codec-api.ts';
import { DEFAULT_EFFORT, EFFORTS, type Effort } from '../src/codec.ts';
import { VdmzipError } from '../src/errors.ts';
import { BUNDLE_JSON } from '../src/model/bundle.ts';
import { DEVICE_CHOICES, type DeviceChoice } from '../src/model/engines.ts';
import type { ProgressMode } from './progress.ts';

export interface FileOptions {
  stdout?: boolean;
  output?: string;
  keep?: boolean;
  force?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  progress?: boolean;
  threads: number;
  workers?: number;
  device: DeviceChoice;
  model?: string;
}

export function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function positiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Adds the options every file command takes; `what` is "compressed" or "decompressed". */
export function addFileOptions(command: Command, what: string): Command {
  return command
    .option('-c, --stdout', `write the ${what} data to standard output (one input)`)
    .option('-o, --output <file>', 'write to FILE (one input)')
    .option('-k, --keep', 'keep the input files: the default and only behaviour, inputs are never deleted')
    .option('-f, --force', 'overwrite existing output files; write binary data to a terminal')
    .option('-q, --quiet', 'print nothing but errors (no progress bar)')
    .option('-v, --verbose', 'print, for each file, its sizes, bits per dimension and seconds taken')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .addOption(new Option('--threads <n>', 'ONNX Runtime threads').argParser(positiveInt).default(1))
    .addOption(new Option('--workers <n>', 'threads that code the bands of a large image (over 4 megapixels) side by side (default: every core)').argParser(positiveInt))
    .addOption(deviceOption())
    .option('--model <dir>', 'model folder (default: the shipped model)');
}

/** -e/--effort: how hard the encoder tries (Effort in src/codec.ts). */
export function effortOption(): Option {
  return new Option('-e, --effort <level>', 'how hard the encoder tries: 1 the predictor alone (fastest, no network), 2 the chain where sample crops say it pays, 3 the chain always tried (slow without a GPU)')
    .choices(EFFORTS.map(String))
    .argParser(effortLevel)
    .default(DEFAULT_EFFORT);
}

function effortLevel(text: string): Effort {
  const level = EFFORTS.find((e) => String(e) === text.trim());
  if (level === undefined) throw new InvalidArgumentError(`expected one of ${EFFORTS.join(', ')}`);
  return level;
}

/** --device: where the network runs. */
export function deviceOption(): Option {
  return new Option('--device <device>', 'where the network runs: the GPU (WebGPU over Vulkan) if one answers, else the CPU (auto); gpu fails without one; files are identical either way')
    .choices([...DEVICE_CHOICES])
    .default('auto');
}

/** What -v says about the device: "device: gpu, onnx-webgpu(batch=256)", and why auto took the CPU. */
export function describeDevice(info: DeviceInfo): string {
  return `device: ${info.device}, ${info.engine}${info.gpuUnavailable === undefined ? '' : `; GPU not used: ${info.gpuUnavailable}`}`;
}

/** The progress mode the options ask for. */
export function progressMode(o: FileOptions): ProgressMode {
  if (o.quiet) return 'never';
  return o.progress ? 'always' : 'auto';
}

/**
 * The model folder to open: --model, or the shipped model, which must be there (the
 * package ships it; a checkout gets it once training is done).
 */
export function modelDir(o: { model?: string }, shipped = DEFAULT_MODEL_DIR): string {
  if (o.model !== undefined) return o.model;
  if (!existsSync(join(shipped, BUNDLE_JSON))) {
    throw new VdmzipError('IO', `no model at ${shipped}: the shipped model is missing; pass --model DIR`);
  }
  return shipped;
}
