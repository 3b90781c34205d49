import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { VdmzipError } from '../../src/errors.ts';
import { exportCheckpoint, lastValidation, train } from '../../src/training/train.ts';

const TRAINING_SUBDIR = 'training';

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function widthList(text: string): number[] {
  const widths = text.split(',').map((w) => positiveInt(w.trim()));
  if (widths.length === 0) throw new InvalidArgumentError('expected comma-separated widths');
  return widths;
}

function stepSampling(text: string): 'uniform' | 'importance' {
  if (text !== 'uniform' && text !== 'importance') throw new InvalidArgumentError("expected 'uniform' or 'importance'");
  return text;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model on folders of images with the PyTorch trainer (checkpoints and JSONL log in <out>/training, the exported model in <out>)')
    .requiredOption('--data <dir...>', 'training images (PNG/PPM); a folder with train/ and val/ subfolders is split that way; several folders train together')
    .option('--val <dir>', 'validation images (default: <data>/val of the first --data)')
    .requiredOption('--out <dir>', 'model folder: the bundle goes here, checkpoints and log in <out>/training')
    .option('--resume', 'continue the checkpoint in <out>/training')
    .option('--T <n>', 'diffusion steps (training and coding) of a new run', positiveInt, 64)
    .option('--patch <n>', 'patch side in pixels of a new run', positiveInt, 32)
    .option('--channels <n>', 'image channels of a new run', positiveInt, 3)
    .option('--widths <list>', 'U-net widths per level of a new run, full resolution first', widthList, [64, 96, 96])
    .option('--blocks <n>', 'residual blocks per level of a new run', positiveInt, 2)
    .option('--float', 'a new run of the same architecture without quantisation, to measure what the integer constraint costs (cannot code)')
    .option('--seed <n>', 'random seed (initial weights, batches)', positiveInt, 1)
    .option('--device <name>', "PyTorch device: 'cuda' or 'cpu' (default: cuda when there is one)")
    .option('--threads <n>', 'CPU threads for PyTorch', positiveInt)
    .option('--batch <n>', 'examples per step', positiveInt, 32)
    .option('--lr <x>', 'Adam learning rate', positiveNumber, 1e-3)
    .option('--warmup <n>', 'learning-rate warm-up steps', positiveInt, 200)
    .option('--ema <x>', 'EMA decay of the exported weights', positiveNumber, 0.999)
    .option('--steps <n>', 'stop at this total step count', positiveInt)
    .option('--hours <x>', 'stop after this many hours', positiveNumber)
    .option('--val-every <n>', 'validate every n steps', positiveInt, 250)
    .option('--val-patches <n>', 'validation patches', positiveInt, 512)
    .option('--checkpoint-minutes <x>', 'minutes between checkpoints', positiveNumber, 10)
    .option('--freeze <names>', "parameter tensors to hold fixed, comma-separated (resuming, 'gamma.logits,gamma.ends' holds the noise schedule, whose learning misleads)")
    .option('--crop <n>', 'side of the training and validation crops (default: the patch side); larger crops teach the network context across patch borders, which the coder gives it', positiveInt)
    .option('--step-sampling <kind>', "how examples pick their diffusion step: 'importance' (more examples on the steps that carry the bits, weighted to stay unbiased) or 'uniform'", stepSampling, 'importance')
    .action(async (o) => {
      const data = o.data as string[];
      const trainDirs = data.map((d) => (existsSync(join(d, 'train')) ? join(d, 'train') : d));
      const valDir = o.val ?? (existsSync(join(data[0], 'val')) ? join(data[0], 'val') : undefined);
      if (valDir === undefined) throw new VdmzipError('USAGE', 'no validation images: pass --val DIR or use a --data folder with train/ and val/');
      const trainingDir = join(o.out, TRAINING_SUBDIR);
      const passed: [string, unknown][] = [
        ['--device', o.device], ['--threads', o.threads], ['--batch', o.batch], ['--lr', o.lr], ['--warmup', o.warmup], ['--ema', o.ema],
        ['--steps', o.steps], ['--hours', o.hours], ['--val-every', o.valEvery], ['--val-patches', o.valPatches],
        ['--checkpoint-minutes', o.checkpointMinutes], ['--freeze', o.freeze], ['--crop', o.crop], ['--step-sampling', o.stepSampling],
      ];
      const state = await train({
        trainDirs,
        valDir,
        out: trainingDir,
        config: { channels: o.channels, patch: o.patch, T: o.T, widths: o.widths, blocks: o.blocks, variance: 'pixel' },
        precision: o.float ? 'float' : 'integer',
        resume: Boolean(o.resume),
        seed: o.seed,
        trainerArgs: passed.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [k, String(v)]),
      });
      if (state.meta.precision === 'float') {
        console.log(`trained to step ${state.meta.step} in float32 (comparison only; no model exported)`);
        return;
      }
      const bundle = exportCheckpoint(trainingDir, o.out, lastValidation(trainingDir)?.bpd);
      console.log(`trained to step ${state.meta.step}; model ${bundle.id.slice(0, 16)}… written to ${o.out}`);
    });
}
