import { basename } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BENCH_CODEC_IDS, renderChart, renderMarkdown, runBench, type BenchCodecId, type ImageResult } from '../../src/bench/index.ts';
import { VdmzipError } from '../../src/errors.ts';
import type { DeviceChoice } from '../../src/model/engines.ts';
import { writeAtomically } from '../../src/write-atomically.ts';
import { deviceOption, effortOption, modelDir, positiveInt } from '../options.ts';
import type { Effort } from '../../src/codec.ts';

interface BenchCliOptions {
  json?: string;
  report?: string;
  chart?: string;
  codecs?: BenchCodecId[];
  model?: string;
  device: DeviceChoice;
  threads: number;
  effort: Effort;
  vdmzip: boolean;
  quiet?: boolean;
}

function codecList(text: string): BenchCodecId[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('expected a comma-separated list of codecs');
  for (const id of ids) {
    if (!(BENCH_CODEC_IDS as readonly string[]).includes(id)) throw new InvalidArgumentError(`unknown codec ${id} (expected ${BENCH_CODEC_IDS.join(', ')})`);
  }
  return ids as BenchCodecId[];
}

/** Writes through a temporary file, so an interrupted run leaves no half-written output. */
function writeOutput(path: string, text: string): void {
  try {
    writeAtomically(path, text);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    throw new VdmzipError('IO', `cannot write: ${code ?? (error as Error).message}`, { file: path, cause: error });
  }
}

function progressLine(r: ImageResult, index: number, total: number): string {
  const parts = Object.entries(r.codecs).map(([id, m]) => `${id} ${m?.ok ? m.bpd.toFixed(3) : 'FAIL'}`);
  if (r.elbo) parts.splice(Object.keys(r.codecs).includes('vdmzip') ? 1 : 0, 0, `elbo ${r.elbo.bpd.toFixed(3)}`);
  return `[${index + 1}/${total}] ${basename(r.file)} ${r.width}×${r.height}×${r.channels}: ${parts.join(', ')}`;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description("compare vdmzip's bits per dimension with PNG, WebP, JPEG-XL and AVIF (lossless) on the same images")
    .argument('<paths...>', 'images (PNG/PPM/PGM) or folders of them; each folder is one image set')
    .option('--json <file>', 'write all measurements as one JSON object')
    .option('--report <file>', 'write the Markdown report (it is also printed)')
    .option('--chart <file>', 'write an SVG bar chart of total bpd per codec and image set')
    .addOption(new Option('--codecs <list>', `comma-separated columns to run (default all: ${BENCH_CODEC_IDS.join(',')})`).argParser(codecList))
    .option('--model <dir>', 'model folder (default: the shipped model)')
    .addOption(deviceOption())
    .addOption(effortOption())
    .addOption(new Option('--threads <n>', 'threads for ONNX Runtime, cjxl/djxl, avifenc/avifdec and cwebp').argParser(positiveInt).default(1))
    .option('--no-vdmzip', 'classic codecs only (no model needed): leaves out vdmzip and −ELBO')
    .option('-q, --quiet', 'no progress lines on stderr')
    .addHelpText(
      'after',
      `
Codecs: vdmzip (compress, then decompress and compare every pixel), elbo (the model's
−ELBO, no file), png (optipng -o7), webp (cwebp -lossless -z 9), jxl-e7 / jxl-e9 (cjxl -d 0
-e 7|9), avif (avifenc --lossless). Classic tools come from the Debian packages optipng,
webp, libjxl-tools and libavif-bin; a codec whose tools are missing is reported as not run.
Each output is decoded and compared with the original before its size counts.
bpd = 8 · bytes / (W · H · C). See docs/bench.md.`,
    )
    .action(async (paths: string[], o: BenchCliOptions) => {
      let codecs: BenchCodecId[] = o.codecs ?? [...BENCH_CODEC_IDS];
      if (!o.vdmzip) codecs = codecs.filter((id) => id !== 'vdmzip' && id !== 'elbo');
      if (codecs.length === 0) throw new VdmzipError('USAGE', 'no codecs left to run');
      const needsModel = codecs.includes('vdmzip') || codecs.includes('elbo');
      let model: string | undefined;
      try {
        model = needsModel ? modelDir(o) : undefined;
      } catch (error) {
        if (error instanceof VdmzipError) throw new VdmzipError(error.code, `${error.message}, or --no-vdmzip for the classic codecs only`, { file: error.file, cause: error });
        throw error;
      }
      const result = await runBench(paths, {
        codecs,
        model,
        device: o.device,
        threads: o.threads,
        effort: o.effort,
        onImage: o.quiet ? undefined : (r, i, n) => process.stderr.write(`${progressLine(r, i, n)}\n`),
      });
      const markdown = renderMarkdown(result);
      if (o.json) writeOutput(o.json, `${JSON.stringify(result, null, 2)}\n`);
      if (o.report) writeOutput(o.report, markdown);
      if (o.chart) writeOutput(o.chart, renderChart(result));
      process.stdout.write(markdown);
    });
}
