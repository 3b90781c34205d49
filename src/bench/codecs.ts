/**
 * The classic lossless codecs `vdmzip bench` compares against, run as the Debian command-line
 * tools (packages optipng, webp, libjxl-tools, libavif-bin). Each one encodes a plain PNG
 * that the bench writes, and its output is decoded again (by the format's own decoder) and
 * compared with the original pixels before its size counts.
 *
 * There is no WebAssembly fallback: a codec whose tools are not on PATH is reported as
 * unavailable (with the package that provides them) and left out of the tables.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CLASSIC_CODEC_IDS = ['png', 'webp', 'jxl-e7', 'jxl-e9', 'avif'] as const;
export type ClassicCodecId = (typeof CLASSIC_CODEC_IDS)[number];

export interface ClassicCodec {
  id: ClassicCodecId;
  /** Column heading. */
  label: string;
  /** Debian package that provides the tools. */
  debianPackage: string;
  /** Executables it needs on PATH. */
  tools: string[];
  /** File name extension of the encoded file. */
  extension: string;
  /** argv of the encoder (first element the program). */
  encode(input: string, output: string, threads: number): string[];
  /** argv of the decoder writing a PNG, or undefined to decode the PNG in-process. */
  decode?(input: string, outputPng: string, threads: number): string[];
  /** argv that prints the tool's version; the first line with a digit is kept. */
  version: string[];
}

export const CLASSIC_CODECS: readonly ClassicCodec[] = [
  {
    id: 'png',
    label: 'optipng -o7',
    debianPackage: 'optipng',
    tools: ['optipng'],
    extension: 'png',
    encode: (input, output) => ['optipng', '-quiet', '-o7', '-strip', 'all', '-out', output, input],
    version: ['optipng', '--version'],
  },
  {
    id: 'webp',
    label: 'WebP -z 9',
    debianPackage: 'webp',
    tools: ['cwebp', 'dwebp'],
    extension: 'webp',
    encode: (input, output, threads) => ['cwebp', '-quiet', '-lossless', '-z', '9', '-exact', ...(threads > 1 ? ['-mt'] : []), input, '-o', output],
    decode: (input, output) => ['dwebp', '-quiet', input, '-o', output],
    version: ['cwebp', '-version'],
  },
  {
    id: 'jxl-e7',
    label: 'JPEG-XL -e 7',
    debianPackage: 'libjxl-tools',
    tools: ['cjxl', 'djxl'],
    extension: 'jxl',
    encode: (input, output, threads) => ['cjxl', input, output, '-d', '0', '-e', '7', `--num_threads=${threads}`, '--quiet'],
    decode: (input, output, threads) => ['djxl', input, output, `--num_threads=${threads}`, '--quiet'],
    version: ['cjxl', '--version'],
  },
  {
    id: 'jxl-e9',
    label: 'JPEG-XL -e 9',
    debianPackage: 'libjxl-tools',
    tools: ['cjxl', 'djxl'],
    extension: 'jxl',
    encode: (input, output, threads) => ['cjxl', input, output, '-d', '0', '-e', '9', `--num_threads=${threads}`, '--quiet'],
    decode: (input, output, threads) => ['djxl', input, output, `--num_threads=${threads}`, '--quiet'],
    version: ['cjxl', '--version'],
  },
  {
    id: 'avif',
    label: 'AVIF lossless',
    debianPackage: 'libavif-bin',
    tools: ['avifenc', 'avifdec'],
    extension: 'avif',
    encode: (input, output, threads) => ['avifenc', '--lossless', '--jobs', String(threads), input, output],
    decode: (input, output, threads) => ['avifdec', '--jobs', String(threads), input, output],
    version: ['avifenc', '--version'],
  },
];

/** The full path of `program` on PATH, or undefined. */
export function findExecutable(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tools of `codec` that are missing from PATH. */
export function missingTools(codec: ClassicCodec): string[] {
  return codec.tools.filter((t) => findExecutable(t) === undefined);
}

export interface RunResult {
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Runs argv; rejects with the tool's last stderr line when it exits non-zero. */
export function runTool(argv: string[], timeoutMs = 600_000): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      const seconds = (performance.now() - started) / 1000;
      if (error) {
        const lastLine = `${stderr}\n${stdout}`.trim().split('\n').filter(Boolean).at(-1);
        reject(new Error(`${argv[0]} failed (${error.code ?? error.signal ?? 'error'}): ${lastLine ?? error.message}`));
        return;
      }
      resolve({ seconds, stdout, stderr });
    });
  });
}

/** The tool's version line (e.g. "cjxl v0.7.0 …"), or undefined when it cannot be read. */
export async function toolVersion(codec: ClassicCodec): Promise<string | undefined> {
  let text: string;
  try {
    const r = await runTool(codec.version, 10_000);
    text = `${r.stdout}\n${r.stderr}`;
  } catch (error) {
    // Some tools print their version and exit non-zero; keep whatever they said.
    text = (error as Error).message;
  }
  const line = text.split('\n').map((s) => s.trim()).find((s) => /\d/.test(s));
  if (!line) return undefined;
  // Keep the version number itself: "OptiPNG version 0.7.7" → "0.7.7".
  const version = /v?(\d+\.\d+(\.\d+)?)/.exec(line);
  return version ? version[1] : line;
}
