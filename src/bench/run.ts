/**
 * `vdmzip bench`: vdmzip's file size and the model's −ELBO beside classic lossless codecs,
 * on the same images, in bits per dimension (8 · bytes / (W · H · C)).
 *
 * Every encoded file is decoded again and compared with the original pixels before its size
 * counts; a codec whose output does not round-trip is reported as a failure for that image
 * (and its total is then left out), never counted. Images run one at a time and codecs one
 * after another, so the timings are not disturbed by each other.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { VdmzipCodec, type DeviceInfo } from '../codec-api.ts';
import { codedHeader, DEFAULT_EFFORT, type Effort } from '../codec.ts';
import { imageElbo, summarise, type ElboBits } from '../chain/elbo.ts';
import { VdmzipError } from '../errors.ts';
import { listImageFiles, readImageFile } from '../image/files.ts';
import { encodePng, is16, readImage, readPicture, withoutMetadata, type Image } from '../image/index.ts';
import type { ModelBundle } from '../model/bundle.ts';
import type { IntegerEngine } from '../model/denoiser.ts';
import { createEngine, type ComputeDevice, type DeviceChoice } from '../model/engines.ts';
import { CLASSIC_CODEC_IDS, CLASSIC_CODECS, missingTools, runTool, toolVersion, type ClassicCodec } from './codecs.ts';

/** Columns of the bench: vdmzip's files, the model's −ELBO, and the classic codecs. */
export const BENCH_CODEC_IDS = ['vdmzip', 'elbo', ...CLASSIC_CODEC_IDS] as const;
export type BenchCodecId = (typeof BENCH_CODEC_IDS)[number];

export interface BenchOptions {
  /** Which columns to run (default: all). */
  codecs?: readonly BenchCodecId[];
  /** Model folder or bundle for 'vdmzip' and 'elbo' (default: the shipped model). */
  model?: string | ModelBundle;
  /** Where the network runs (default 'cpu'; see CodecOptions.device). */
  device?: DeviceChoice;
  /** How hard vdmzip's encoder tries (default DEFAULT_EFFORT; see Effort). */
  effort?: Effort;
  /** Threads for ONNX Runtime and for the classic tools that take a thread count (default 1). */
  threads?: number;
  /** Seed of the −ELBO's noise samples (default 1, as `vdmzip eval`). */
  elboSeed?: number;
  /** Called after each image (for progress lines). */
  onImage?: (image: ImageResult, index: number, total: number) => void;
}

export interface CodecInfo {
  id: BenchCodecId;
  label: string;
  /** What encodes, e.g. "cwebp -lossless -z 9 -exact". */
  encoder: string;
  /** What decodes for the round-trip check. */
  decoder: string;
  version?: string;
  debianPackage?: string;
  /** False when the tools are missing; `reason` says which. */
  available: boolean;
  reason?: string;
}

export type Measurement =
  | { ok: true; bytes: number; bpd: number; encodeSeconds: number; decodeSeconds: number }
  | { ok: false; error: string };

export interface ElboMeasurement {
  bpd: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
  seconds: number;
}

export interface ImageResult {
  file: string;
  set: string;
  width: number;
  height: number;
  channels: number;
  /** W · H · C */
  dims: number;
  codecs: Partial<Record<BenchCodecId, Measurement>>;
  /** vdmzip's file: how many bottom rows the classic predictor coded (0: the chain alone; height: no chain). */
  predictorRows?: number;
  elbo?: ElboMeasurement;
}

export interface CodecTotal {
  /** Images it round-tripped. */
  images: number;
  failures: number;
  bytes: number;
  /** 8 · Σ bytes / Σ dims over all images; null when any image failed. */
  bpd: number | null;
  encodeSeconds: number;
  decodeSeconds: number;
}

export interface Totals {
  images: number;
  dims: number;
  codecs: Partial<Record<BenchCodecId, CodecTotal>>;
  elbo?: { bpd: number; stderr: number; prior: number; diffusion: number; reconstruction: number; seconds: number };
  /** vdmzip's file bpd minus the −ELBO: the coder's overhead (when both ran and every file round-tripped). */
  overheadBpd?: number;
}

export interface BenchResult {
  format: 'vdmzip-bench';
  version: 1;
  date: string;
  host: { node: string; platform: string; cpu: string; cpus: number };
  threads: number;
  model?: { id: string; source: string; engine: string; steps: number; patch: number; device: ComputeDevice; engineSettings: string };
  /** The columns, in table order (available or not). */
  codecs: CodecInfo[];
  sets: { name: string; files: string[]; totals: Totals }[];
  images: ImageResult[];
  totals: Totals;
}

/** bpd = 8 · bytes / dims. */
export function bitsPerDim(bytes: number, dims: number): number {
  return (8 * bytes) / dims;
}

/** Both images hold the same pixels (compared as RGBA: grey may come back as R = G = B, opaque alpha as 255). */
export function samePixels(a: Image, b: Image): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  if (a.channels === b.channels) return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.length).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.length));
  const pixels = a.width * a.height;
  for (let p = 0; p < pixels; p++) {
    const pa = rgba(a, p);
    const pb = rgba(b, p);
    if (pa[0] !== pb[0] || pa[1] !== pb[1] || pa[2] !== pb[2] || pa[3] !== pb[3]) return false;
  }
  return true;
}

function rgba(image: Image, p: number): [number, number, number, number] {
  const d = image.data;
  const i = p * image.channels;
  switch (image.channels) {
    case 1:
      return [d[i], d[i], d[i], 255];
    case 2:
      return [d[i], d[i], d[i], d[i + 1]];
    case 3:
      return [d[i], d[i + 1], d[i + 2], 255];
    default:
      return [d[i], d[i + 1], d[i + 2], d[i + 3]];
  }
}

/**
 * Groups the command-line paths into image sets: each folder is a set (named by the folder),
 * and the loose files together form one set named after their common folder.
 */
export function imageSets(paths: string[]): { name: string; files: string[] }[] {
  const sets: { name: string; files: string[] }[] = [];
  const loose: string[] = [];
  for (const path of paths) {
    const files = listImageFiles([path]);
    if (files.length === 1 && files[0] === path) loose.push(path);
    else sets.push({ name: basename(resolve(path)), files });
  }
  if (loose.length > 0) {
    const dirs = new Set(loose.map((f) => dirname(resolve(f))));
    const name = dirs.size === 1 ? `${basename([...dirs][0])}${loose.length === 1 ? `/${basename(loose[0])}` : ''}` : 'images';
    sets.push({ name, files: loose });
  }
  // Names must be unique: they label the chart's groups and the JSON.
  const seen = new Map<string, number>();
  for (const s of sets) {
    const k = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, k);
    if (k > 1) s.name = `${s.name} (${k})`;
  }
  return sets;
}

function describeClassic(codec: ClassicCodec, threads: number): Omit<CodecInfo, 'available'> {
  const encoder = codec.encode('IN.png', `OUT.${codec.extension}`, threads).filter((a) => a !== 'IN.png' && a !== `OUT.${codec.extension}` && a !== '-o' && a !== '-out' && a !== '-quiet' && a !== '--quiet');
  const decoder = codec.decode ? codec.decode('IN', 'OUT.png', threads).filter((a) => a !== 'IN' && a !== 'OUT.png' && a !== '-o' && a !== '-png' && a !== '-quiet' && a !== '--quiet').join(' ') : "vdmzip's PNG reader (in-process)";
  return { id: codec.id, label: codec.label, encoder: encoder.join(' '), decoder, debianPackage: codec.debianPackage };
}

function emptyTotal(): CodecTotal {
  return { images: 0, failures: 0, bytes: 0, bpd: 0, encodeSeconds: 0, decodeSeconds: 0 };
}

function totals(images: ImageResult[], ids: BenchCodecId[], elboBits: Map<ImageResult, ElboBits>): Totals {
  const dims = images.reduce((a, r) => a + r.dims, 0);
  const result: Totals = { images: images.length, dims, codecs: {} };
  for (const id of ids) {
    if (id === 'elbo') continue;
    const t = emptyTotal();
    for (const image of images) {
      const m = image.codecs[id];
      if (!m) continue;
      if (!m.ok) {
        t.failures++;
        continue;
      }
      t.images++;
      t.bytes += m.bytes;
      t.encodeSeconds += m.encodeSeconds;
      t.decodeSeconds += m.decodeSeconds;
    }
    t.bpd = t.failures === 0 && t.images === images.length && dims > 0 ? bitsPerDim(t.bytes, dims) : null;
    result.codecs[id] = t;
  }
  const bits = images.map((r) => elboBits.get(r)).filter((b): b is ElboBits => b !== undefined);
  if (bits.length > 0 && bits.length === images.length) {
    const s = summarise(bits);
    const seconds = images.reduce((a, r) => a + (r.elbo?.seconds ?? 0), 0);
    result.elbo = { bpd: s.bpd, stderr: s.stderr, prior: s.prior, diffusion: s.diffusion, reconstruction: s.reconstruction, seconds };
    const file = result.codecs.vdmzip?.bpd;
    if (typeof file === 'number') result.overheadBpd = file - s.bpd;
  }
  return result;
}

function errorText(error: unknown): string {
  if (error instanceof VdmzipError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Encodes with `codec`, decodes, compares; a failure is returned, not thrown. */
export async function measureClassic(codec: ClassicCodec, image: Image, inputPng: string, work: string, threads: number): Promise<Measurement> {
  const encoded = join(work, `encoded.${codec.extension}`);
  const decodedPng = join(work, `decoded-${codec.id}.png`);
  rmSync(encoded, { force: true });
  rmSync(decodedPng, { force: true });
  try {
    const enc = await runTool(codec.encode(inputPng, encoded, threads));
    const bytes = statSync(encoded).size;
    let decoded: Image;
    let decodeSeconds: number;
    if (codec.decode) {
      const dec = await runTool(codec.decode(encoded, decodedPng, threads));
      decodeSeconds = dec.seconds;
      decoded = readImage(readFileSync(decodedPng));
    } else {
      const file = readFileSync(encoded);
      const started = performance.now();
      decoded = readImage(file);
      decodeSeconds = (performance.now() - started) / 1000;
    }
    if (!samePixels(image, decoded)) return { ok: false, error: `decoded ${decoded.width}×${decoded.height}×${decoded.channels} image differs from the original` };
    return { ok: true, bytes, bpd: bitsPerDim(bytes, image.width * image.height * image.channels), encodeSeconds: enc.seconds, decodeSeconds };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}

/**
 * Runs the bench on `paths` (images, or folders of them: see imageSets). Codecs whose
 * tools are missing are listed as unavailable and skipped; per-image failures are recorded,
 * not thrown. Throws VdmzipError for unreadable inputs or an unloadable model.
 */
export async function runBench(paths: string[], options: BenchOptions = {}): Promise<BenchResult> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new VdmzipError('INVALID_ARGUMENT', `threads must be a positive integer, got ${String(threads)}`);
  const wanted = options.codecs ?? BENCH_CODEC_IDS;
  for (const id of wanted) if (!BENCH_CODEC_IDS.includes(id)) throw new VdmzipError('INVALID_ARGUMENT', `unknown codec ${String(id)} (expected ${BENCH_CODEC_IDS.join(', ')})`);
  const ids = BENCH_CODEC_IDS.filter((id) => wanted.includes(id));
  const sets = imageSets(paths);
  // Read every image first, so a bad input fails before minutes of work.
  const inputs = sets.flatMap((set) => set.files.map((file) => {
    try {
      // Without metadata, but with the input PNG, which the encoder stores whole where coding makes a larger file.
      const picture = withoutMetadata(readPicture(readImageFile(file)));
      const { image } = picture;
      if (is16(image)) throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `samples up to ${image.maxValue}: the bench compares 8-bit images`);
      return { file, set: set.name, image, picture };
    } catch (error) {
      if (error instanceof VdmzipError) throw error.withFile(file);
      const { code } = error as NodeJS.ErrnoException;
      if (code) throw new VdmzipError('IO', (error as Error).message, { file, cause: error });
      throw error;
    }
  }));

  const useModel = ids.includes('vdmzip') || ids.includes('elbo');
  let codec: VdmzipCodec | undefined;
  let deviceInfo: DeviceInfo | undefined;
  let elboEngine: IntegerEngine | undefined;
  const work = mkdtempSync(join(tmpdir(), 'vdmzip-bench-'));
  try {
    if (useModel) {
      codec = await VdmzipCodec.open({ model: options.model, threads, device: options.device, effort: options.effort });
      deviceInfo = await codec.deviceInfo();
      if (ids.includes('elbo')) elboEngine = await createEngine(codec.bundle, { threads, device: deviceInfo.device });
    }
    const infos: CodecInfo[] = [];
    const classic: ClassicCodec[] = [];
    for (const id of ids) {
      if (id === 'vdmzip') infos.push({ id, label: 'vdmzip', encoder: `VdmzipCodec.compress, effort ${options.effort ?? DEFAULT_EFFORT}, engine onnx`, decoder: 'VdmzipCodec.decompress, every pixel compared', available: true });
      else if (id === 'elbo') infos.push({ id, label: '−ELBO', encoder: `imageElbo, seed ${options.elboSeed ?? 1}, every step evaluated`, decoder: 'no file: the bound a vdmzip file approaches', available: true });
      else {
        const c = CLASSIC_CODECS.find((x) => x.id === id)!;
        const missing = missingTools(c);
        const info: CodecInfo = { ...describeClassic(c, threads), available: missing.length === 0 };
        if (missing.length > 0) info.reason = `${missing.join(', ')} not found on PATH (apt-get install ${c.debianPackage})`;
        else {
          info.version = await toolVersion(c);
          classic.push(c);
        }
        infos.push(info);
      }
    }

    const images: ImageResult[] = [];
    const elboBits = new Map<ImageResult, ElboBits>();
    const inputPng = join(work, 'input.png');
    for (const [index, { file, set, image, picture }] of inputs.entries()) {
      const dims = image.width * image.height * image.channels;
      const result: ImageResult = { file, set, width: image.width, height: image.height, channels: image.channels, dims, codecs: {} };
      if (classic.length > 0) writeFileSync(inputPng, encodePng(image));
      for (const id of ids) {
        if (id === 'vdmzip' && codec) {
          try {
            let started = performance.now();
            const bytes = await codec.compress(picture);
            const encodeSeconds = (performance.now() - started) / 1000;
            started = performance.now();
            const decoded = await codec.decompress(bytes);
            const decodeSeconds = (performance.now() - started) / 1000;
            result.codecs.vdmzip = samePixels(image, decoded)
              ? { ok: true, bytes: bytes.length, bpd: bitsPerDim(bytes.length, dims), encodeSeconds, decodeSeconds }
              : { ok: false, error: 'the file does not decode to the input' };
            // A stored PNG codes no rows with the chain, as if the predictor coded them all.
            result.predictorRows = codedHeader(bytes)?.coder.predictorRows ?? image.height;
          } catch (error) {
            result.codecs.vdmzip = { ok: false, error: errorText(error) };
          }
        } else if (id === 'elbo' && codec && elboEngine) {
          const started = performance.now();
          const bits = await imageElbo(image, codec.bundle, elboEngine, { seed: options.elboSeed });
          const seconds = (performance.now() - started) / 1000;
          elboBits.set(result, bits);
          result.elbo = { bpd: (bits.prior + bits.diffusion + bits.reconstruction) / bits.dims, prior: bits.prior / bits.dims, diffusion: bits.diffusion / bits.dims, reconstruction: bits.reconstruction / bits.dims, seconds };
        } else {
          const c = classic.find((x) => x.id === id);
          if (c) result.codecs[c.id] = await measureClassic(c, image, inputPng, work, threads);
        }
      }
      images.push(result);
      options.onImage?.(result, index, inputs.length);
    }

    const available = infos.filter((i) => i.available).map((i) => i.id);
    const cpuList = cpus();
    return {
      format: 'vdmzip-bench',
      version: 1,
      date: new Date().toISOString(),
      host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpuList[0]?.model ?? 'unknown', cpus: cpuList.length },
      threads,
      model: codec ? { id: codec.bundle.id, source: typeof options.model === 'string' ? options.model : options.model ? 'bundle' : 'shipped', engine: 'onnx', steps: codec.bundle.meta.config.T, patch: codec.bundle.meta.config.patch, device: deviceInfo!.device, engineSettings: deviceInfo!.engine } : undefined,
      codecs: infos,
      sets: sets.map((s) => {
        const members = images.filter((r) => r.set === s.name);
        return { name: s.name, files: s.files, totals: totals(members, available, elboBits) };
      }),
      images,
      totals: totals(images, available, elboBits),
    };
  } finally {
    await codec?.dispose();
    await elboEngine?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
