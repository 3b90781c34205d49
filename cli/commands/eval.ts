import type { Command } from 'commander';
import { DEFAULT_MODEL_DIR, openEngineOrExplain } from '../../src/codec-api.ts';
import { imageElbo, summarise, type ElboBits } from '../../src/chain/elbo.ts';
import { VdmzipError } from '../../src/errors.ts';
import { listImageFiles } from '../../src/image/files.ts';
import { readImage } from '../../src/image/index.ts';
import { loadBundle } from '../../src/model/bundle.ts';
import type { DeviceChoice } from '../../src/model/engines.ts';
import { imageInputBound, readBoundedInput } from '../input.ts';
import { describeDevice, deviceOption, positiveInt } from '../options.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description("the model's negative ELBO in bits per dimension on images, computed as the coder codes them")
    .argument('<paths...>', 'images (PNG/PPM/PGM) or folders of them')
    .option('--model <dir>', 'model folder', DEFAULT_MODEL_DIR)
    .option('--threads <n>', 'ONNX Runtime threads', positiveInt, 1)
    .addOption(deviceOption())
    .option('--seed <n>', 'seed of the noise samples', positiveInt, 1)
    .option('--json', 'print one JSON object instead of a table')
    .option('-v, --verbose', 'say on stderr which device runs the network')
    .action(async (paths: string[], o: { model: string; threads: number; device: DeviceChoice; seed: number; json?: boolean; verbose?: boolean }) => {
      let bundle;
      try {
        bundle = loadBundle(o.model);
      } catch (error) {
        throw new VdmzipError('IO', `cannot load the model: ${(error as Error).message}`, { file: o.model });
      }
      const opened = await openEngineOrExplain(bundle, o.threads, o.device);
      const { engine } = opened;
      if (o.verbose) process.stderr.write(`${describeDevice({ ...opened, engine: engine.name })}\n`);
      const files = listImageFiles(paths);
      const results: ElboBits[] = [];
      const perImage: { file: string; dims: number; bpd: number }[] = [];
      try {
        for (const file of files) {
          let image;
          try {
            image = readImage(await readBoundedInput(file, imageInputBound));
          } catch (error) {
            throw error instanceof VdmzipError ? error.withFile(file) : error;
          }
          const started = performance.now();
          const r = await imageElbo(image, bundle, engine, { seed: o.seed });
          results.push(r);
          const bpd = (r.prior + r.diffusion + r.reconstruction) / r.dims;
          perImage.push({ file, dims: r.dims, bpd });
          if (!o.json) console.log(`${file}: ${bpd.toFixed(4)} bpd (${r.dims} dims, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        }
      } finally {
        await engine.dispose();
      }
      const s = summarise(results);
      if (o.json) {
        console.log(JSON.stringify({
          model: bundle.id,
          images: s.images,
          dims: s.dims,
          elbo_bpd: s.bpd,
          stderr_bpd: s.stderr,
          prior_bpd: s.prior,
          diffusion_bpd: s.diffusion,
          reconstruction_bpd: s.reconstruction,
          per_image: perImage,
        }));
      } else {
        console.log(`total: ${s.bpd.toFixed(4)} ± ${s.stderr.toFixed(4)} bpd over ${s.images} image(s), ${s.dims} dims (prior ${s.prior.toFixed(4)}, diffusion ${s.diffusion.toFixed(4)}, reconstruction ${s.reconstruction.toFixed(4)})`);
      }
    });
}
