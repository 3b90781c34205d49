import { type Command, Option } from 'commander';
import { VdmzipCodec } from '../../src/codec-api.ts';
import type { Effort } from '../../src/codec.ts';
import { bitsPerDim } from '../../src/format/container.ts';
import { readPicture, withoutMetadata } from '../../src/image/index.ts';
import { describeImage, inputLabel, openOnFirstUse, planJobs, runJobs } from '../batch.ts';
import { aboutFile } from '../files.ts';
import { imageInputBound, readBoundedInput } from '../input.ts';
import { addFileOptions, describeDevice, effortOption, positiveInt, positiveNumber, type FileOptions } from '../options.ts';

type CompressOptions = FileOptions & { verify?: boolean; grid?: number; effort: Effort; strip?: boolean; bands?: number };

/** The default output name: the input with .vdmz appended. */
export function compressedName(input: string): string {
  return `${input}.vdmz`;
}

export function register(program: Command): void {
  const command = program
    .command('compress')
    .description('compress PNG or Netpbm (PBM, PGM, PPM, PAM) images to .vdmz')
    .argument('[files...]', 'images to compress; - reads standard input');
  addFileOptions(command, 'compressed')
    .addOption(effortOption())
    .option('--verify', 'decode each file after encoding and compare every pixel (about twice the time)')
    .option('--strip', 'leave out PNG metadata (colour profile, EXIF, text, resolution, time), which is kept by default')
    .addOption(new Option('--bands <n>', 'cut the image into N bands of rows coded apart, so that N threads code and decode it, at a small cost in bytes (default: 1 band per 2 megapixels)').argParser(positiveInt))
    .addOption(new Option('--grid <kappa>', "advanced: latent grid width κ, as a fraction of each step's std for every chunk but the opening one, whose grids the encoder picks per file (default 1.25)").argParser(positiveNumber))
    .addHelpText(
      'after',
      `
IMAGE is written to IMAGE.vdmz beside it; - (standard input) goes to standard output.
16-bit samples and PNG metadata are kept (--strip drops the metadata).
Inputs are never deleted or changed (-k is the default and only behaviour), and an
existing output is never overwritten without -f. Outputs are written to a temporary
file and renamed into place, so an interrupted run leaves no partial file.
Exit status: 0 success; 1 if any input failed (the others are still compressed); 2 usage.`,
    )
    .action(async (files: string[], o: CompressOptions) => {
      const jobs = planJobs(files, o, compressedName);
      const codec = openOnFirstUse(async () => {
        return VdmzipCodec.open({ model: o.model, threads: o.threads, workers: o.workers, bands: o.bands, effort: o.effort, gridFactor: o.grid, verify: o.verify, device: o.device, onDevice: o.verbose && !o.quiet ? (info) => process.stderr.write(`${describeDevice(info)}\n`) : undefined });
      });
      try {
        await runJobs(jobs, o, async (job, bar) => {
          const label = inputLabel(job.input);
          const input = await readBoundedInput(job.input, imageInputBound);
          const read = await aboutFile(label, () => readPicture(input));
          const picture = o.strip ? withoutMetadata(read) : read;
          const { image } = picture;
          const coder = await codec.get();
          const bytes = await aboutFile(label, () => coder.compress(picture, bar.update));
          const bpd = bitsPerDim(bytes.length, image).toFixed(3);
          return { bytes, summary: `${describeImage(image)}, ${input.length} → ${bytes.length} bytes, ${bpd} bpd${o.verify ? ', verified' : ''}` };
        });
      } finally {
        await codec.dispose();
      }
    });
}
