import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { VdmzipError } from '../../src/errors.ts';
import { exportCheckpoint, lastValidation, train, type Progress } from '../../src/model/train.ts';

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

function varianceKind(text: string): 'step' | 'pixel' {
  if (text !== 'step' && text !== 'pixel') throw new InvalidArgumentError("expected 'step' or 'pixel'");
  return text;
}

function stepSampling(text: string): 'uniform' | 'importance' {
  if (text !== 'uniform' && text !== 'importance') throw new InvalidArgumentError("expected 'uniform' or 'importance'");
  return text;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}

/** One status line: redrawn in place on a terminal, printed every `every` steps otherwise. */
function progressPrinter(every: number): (p: Progress) => void {
  const tty = process.stderr.isTTY;
  let lastVal = '';
  return (p) => {
    if (p.val) lastVal = ` | val ${p.val.bpd.toFixed(3)} bpd (prior ${p.val.prior.toFixed(3)}, diffusion ${p.val.diffusion.toFixed(3)}, recon ${p.val.reconstruction.toFixed(3)})`;
    const of = p.maxSteps !== undefined ? `/${p.maxSteps}` : '';
    const eta = p.etaSeconds !== undefined ? ` | ETA ${duration(p.etaSeconds)}` : '';
    const line = `step ${p.step}${of} | ${p.examplesPerSecond.toFixed(1)} ex/s${eta} | train ${p.runningBpd.toFixed(3)} bpd${lastVal}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (p.step % every === 0 || p.val) process.stderr.write(line + '\n');
  };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model on a folder of images (checkpoints, JSONL log and the exported model go to --out)')
    .requiredOption('--data <dir>', 'training images (PNG/PPM); a folder with train/ and val/ subfolders is split that way')
    .option('--val <dir>', 'validation images (default: <data>/val)')
    .requiredOption('--out <dir>', 'model folder: the bundle goes here, checkpoints and log in <out>/training')
    .option('--resume', 'continue the checkpoint in <out>/training')
    .option('--T <n>', 'diffusion steps (training and coding)', positiveInt, 64)
    .option('--patch <n>', 'patch side in pixels', positiveInt, 32)
    .option('--channels <n>', 'image channels', positiveInt, 3)
    .option('--widths <list>', 'U-net widths per level, full resolution first', widthList, [64, 96, 96])
    .option('--blocks <n>', 'residual blocks per level', positiveInt, 2)
    .option('--batch <n>', 'examples per step', positiveInt, 32)
    .option('--lr <x>', 'Adam learning rate', positiveNumber, 1e-3)
    .option('--warmup <n>', 'learning-rate warm-up steps', positiveInt, 200)
    .option('--ema <x>', 'EMA decay of the exported weights', positiveNumber, 0.999)
    .option('--workers <n>', 'worker threads (one tfjs-wasm instance each)', positiveInt, 2)
    .option('--steps <n>', 'stop at this total step count', positiveInt)
    .option('--hours <x>', 'stop after this many hours', positiveNumber)
    .option('--val-every <n>', 'validate every n steps', positiveInt, 250)
    .option('--val-patches <n>', 'validation patches', positiveInt, 512)
    .option('--checkpoint-minutes <x>', 'minutes between checkpoints', positiveNumber, 10)
    .option('--seed <n>', 'random seed', positiveInt, 1)
    .option('--variance <kind>', "reverse-step variance: 'pixel' (per step and per pixel, the default for new runs; on --resume it upgrades a per-step checkpoint) or 'step'", varianceKind)
    .option('--freeze <names>', "parameter tensors to hold fixed, comma-separated (e.g. 'gamma.ends': keep the learned noise schedule's endpoints)", (t: string) => t.split(',').map((n) => n.trim()))
    .option('--crop <n>', 'side of the training and validation crops (default: the patch side); larger crops teach the network context across patch borders, which the coder gives it', positiveInt)
    .option('--step-sampling <kind>', "how examples pick their diffusion step: 'importance' (more examples on the steps that carry the bits, weighted to stay unbiased; probabilities from each validation) or 'uniform'", stepSampling, 'importance')
    .option('--float', 'train the same architecture without quantisation, to measure what the integer constraint costs (cannot code)')
    .action(async (o) => {
      const split = existsSync(join(o.data, 'train'));
      const trainDir = split ? join(o.data, 'train') : o.data;
      const valDir = o.val ?? (split ? join(o.data, 'val') : undefined);
      if (valDir === undefined) throw new VdmzipError('USAGE', 'no validation images: pass --val DIR or use a --data folder with train/ and val/');
      const trainingDir = join(o.out, TRAINING_SUBDIR);
      const state = await train({
        trainDir,
        valDir,
        out: trainingDir,
        config: { channels: o.channels, patch: o.patch, T: o.T, widths: o.widths, blocks: o.blocks, variance: o.variance ?? 'pixel' },
        variance: o.variance,
        resume: Boolean(o.resume),
        precision: o.float ? 'float' : 'integer',
        batch: o.batch,
        lr: o.lr,
        warmupSteps: o.warmup,
        emaDecay: o.ema,
        workers: o.workers,
        maxSteps: o.steps,
        hours: o.hours,
        valEvery: o.valEvery,
        valPatches: o.valPatches,
        stepSampling: o.stepSampling,
        checkpointMinutes: o.checkpointMinutes,
        seed: o.seed,
        freeze: o.freeze,
        crop: o.crop,
        onProgress: progressPrinter(20),
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (state.meta.precision === 'float') {
        console.log(`trained to step ${state.meta.step} in float32 (comparison only; no model exported)`);
        return;
      }
      const bundle = exportCheckpoint(trainingDir, o.out, lastValidation(trainingDir)?.bpd);
      console.log(`trained to step ${state.meta.step}; model ${bundle.id.slice(0, 16)}… written to ${o.out}`);
    });
}
