import { type Command, Option } from 'commander';
import { VdmzipCodec } from '../../src/codec-api.ts';
import { imageOfFile } from '../../src/codec.ts';
import { bitsPerDim } from '../../src/format/container.ts';
import { VdmzipError } from '../../src/errors.ts';
import { IMAGE_FORMATS, SAMPLE_MAX, writePicture, type ImageFormat } from '../../src/image/index.ts';
import { IMAGE_FILE } from '../../src/image/files.ts';
import { describeImage, inputLabel, openOnFirstUse, planJobs, runJobs, type Job } from '../batch.ts';
import { aboutFile, STDOUT_NAME } from '../files.ts';
import { readBoundedInput, vdmzInputBound } from '../input.ts';
import { addFileOptions, describeDevice, type FileOptions } from '../options.ts';

type DecompressOptions = FileOptions & { format?: ImageFormat; test?: boolean };

const VDMZ_EXTENSION = /\.vdmz$/i;

/**
 * The default output name: X.vdmz → X when X ends in .png, .pbm, .pgm, .ppm, .pnm or .pam;
 * otherwise .png is appended to the name without its .vdmz (photo.vdmz → photo.png,
 * photo.bin → photo.bin.png), so the output never replaces the input.
 */
export function decompressedName(input: string): string {
  const stripped = input.replace(VDMZ_EXTENSION, '');
  return stripped !== input && IMAGE_FILE.test(stripped) ? stripped : `${stripped}.png`;
}

/** The format to write: --format, else the output's extension where it names one (PNG otherwise). */
export function outputFormat(output: string | undefined, format: ImageFormat | undefined): ImageFormat {
  const extension = output?.match(IMAGE_FILE)?.[1].toLowerCase();
  return format ?? (extension as ImageFormat | undefined) ?? 'png';
}

/**
 * The decoder's words for a payload that is not a well-formed rANS message ("payload is not
 * a valid rANS message (rANS message tail has an odd number of bytes)") in a user's: a file
 * without a payload length cannot tell damage from a cut.
 */
function inUserWords(error: unknown): never {
  if (error instanceof VdmzipError && error.code === 'CORRUPT' && /\brANS\b/.test(error.message)) {
    throw new VdmzipError('CORRUPT', 'the payload does not decode: the file is damaged or cut short', { file: error.file, cause: error });
  }
  throw error;
}

/** Jobs that decode and check their inputs and write nothing. */
function testJobs(files: string[], o: DecompressOptions): Job[] {
  if (o.output !== undefined || o.stdout) throw new VdmzipError('USAGE', '-t/--test writes nothing: it takes no -o or -c');
  if (files.length === 0) throw new VdmzipError('USAGE', 'no input files (use - to read standard input)');
  return files.map((input) => ({ input, output: null }));
}

export function register(program: Command): void {
  const command = program
    .command('decompress')
    .description('decompress .vdmz files to PNG or Netpbm (PBM, PGM, PPM, PAM)')
    .argument('[files...]', '.vdmz files; - reads standard input');
  addFileOptions(command, 'decompressed')
    .option('-t, --test', 'decode each file and check it, writing nothing (with -v, say what it holds)')
    .addOption(new Option('--format <format>', 'output format (default: by the output extension, PNG unless .pbm/.pgm/.ppm/.pnm/.pam; PNG on standard output)').choices(IMAGE_FORMATS))
    .addHelpText(
      'after',
      `
X.vdmz is written to X when X ends in .png, .pbm, .pgm, .ppm, .pnm or .pam, else to X.png
(a name without .vdmz gets .png appended); - (standard input) goes to standard output.
Netpbm output: .pgm/.ppm are PGM (P5) for grey and PPM (P6) for colour images, without
alpha; .pam is PAM (P7); .pbm is PBM (P4), black and white only; .pnm (or --format pnm) is
whichever of these the image needs (PBM for a picture that came from a 1-bit image).
Inputs are never deleted or changed (-k is the default and only behaviour), and an
existing output is never overwritten without -f. Outputs are written to a temporary
file and renamed into place, so an interrupted run leaves no partial file.
Exit status: 0 success; 1 if any input failed (the others are still decompressed); 2 usage.`,
    )
    .action(async (files: string[], o: DecompressOptions) => {
      const jobs = o.test ? testJobs(files, o) : planJobs(files, o, decompressedName);
      const codec = openOnFirstUse(async () => {
        return VdmzipCodec.open({ model: o.model, threads: o.threads, workers: o.workers, device: o.device, onDevice: o.verbose && !o.quiet ? (info) => process.stderr.write(`${describeDevice(info)}\n`) : undefined });
      });
      try {
        await runJobs(jobs, o, async (job, bar) => {
          const label = inputLabel(job.input);
          const input = await readBoundedInput(job.input, vdmzInputBound);
          // The header alone says whether the output format can hold the image: check before decoding.
          const header = await aboutFile(label, () => imageOfFile(input));
          // No format for -t, which writes nothing.
          const format = job.output === null ? undefined : outputFormat(job.output, o.format);
          const output = { file: job.output ?? STDOUT_NAME };
          if ((format === 'pgm' || format === 'ppm') && (header.channels === 2 || header.channels === 4)) {
            throw new VdmzipError('UNSUPPORTED_FORMAT', 'the image has an alpha channel, which PGM/PPM cannot hold; write PAM or PNG instead', output);
          }
          if (format === 'pbm' && (header.channels !== 1 || header.maxValue !== SAMPLE_MAX)) {
            throw new VdmzipError('UNSUPPORTED_FORMAT', 'PBM holds black and white only; write PGM, PPM, PAM or PNG instead', output);
          }
          if (format === 'png' && header.maxValue !== SAMPLE_MAX && header.maxValue !== 0xffff) {
            throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `the image's samples run to ${header.maxValue}, which PNG cannot hold without rescaling; write PGM/PPM/PAM instead`, output);
          }
          const coder = await codec.get();
          const picture = await aboutFile(label, () => coder.decompressPicture(input, bar.update)).catch(inUserWords);
          if (format === undefined) {
            const { length } = picture.metadata;
            const kept = length === 0 ? '' : `, ${length} metadata chunk${length > 1 ? 's' : ''}`;
            return { bytes: new Uint8Array(0), summary: `ok, ${describeImage(picture.image)}${kept}` };
          }
          // A stored PNG (checked as it was decoded) goes out as it came in: palette, bit depth and chunk order kept.
          const bytes = format === 'png' && picture.png !== undefined ? picture.png : writePicture(picture, format);
          const bpd = bitsPerDim(input.length, picture.image).toFixed(3);
          return { bytes, summary: `${describeImage(picture.image)}, ${input.length} → ${bytes.length} bytes, ${bpd} bpd` };
        });
      } finally {
        await codec.dispose();
      }
    });
}
