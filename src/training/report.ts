/**
 * The training report: `<trainingDir>/report.svg`, drawn from `<trainingDir>/train-log.jsonl`
 * (the log `vdmzip train` writes, see train.ts). Three panels, top to bottom:
 *
 *  (a) −ELBO in bits per dimension over training hours: the validation total and its
 *      three terms (diffusion, reconstruction, prior), and the noisier training-window bpd;
 *  (b) the learned noise schedule γ(t) at t = i/T from the latest validation record, with
 *      the first record's γ dashed for comparison;
 *  (c) each noise level's share of the validation diffusion loss (latest `stepShare`), with
 *      the uniform share 1/T as a reference line.
 *
 * Run it by hand with `npx tsx src/training/report.ts DIR` (it prints the SVG's path).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeAtomically } from '../write-atomically.ts';
import { barChart, formatValue, lineChart, messagePanel, niceTicks, PALETTE, svgDocument, type Panel, type Series } from '../bench/svg.ts';

export const TRAIN_LOG = 'train-log.jsonl';
export const REPORT_SVG = 'report.svg';

interface Terms {
  step: number;
  examples: number;
  hours: number;
  bpd: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
}

export interface TrainRecord extends Terms {
  kind: 'train';
  lr?: number;
  examplesPerSecond?: number;
  gradNorm?: number;
}

export interface ValRecord extends Terms {
  kind: 'val';
  gamma: number[];
  stepShare?: number[];
}

export interface TrainingLog {
  train: TrainRecord[];
  val: ValRecord[];
  /** Lines that were not records (e.g. a half-written last line). */
  skipped: number;
}

function isTerms(r: Record<string, unknown>): boolean {
  return ['step', 'hours', 'bpd', 'prior', 'diffusion', 'reconstruction'].every((k) => typeof r[k] === 'number');
}

/**
 * Parses a training log. When the run was restarted (from scratch or from a checkpoint),
 * the records from the abandoned stretch are dropped: a record at step s removes earlier
 * records of its kind at steps ≥ s, and of the other kind at steps > s.
 */
/**
 * Events the trainers log besides terms (a run's start and settings, step probabilities, and
 * from older runs calibrations, upgrades, frozen tensors and crop sizes): not errors.
 */
const EVENT_KINDS = new Set(['calibrate', 'upgrade', 'freeze', 'crop', 'sampling', 'run']);

export function parseTrainingLog(text: string): TrainingLog {
  const log: TrainingLog = { train: [], val: [], skipped: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      log.skipped++;
      continue;
    }
    if (r !== null && typeof r === 'object' && EVENT_KINDS.has(r.kind as string)) continue;
    if (r === null || typeof r !== 'object' || !isTerms(r) || (r.kind !== 'train' && r.kind !== 'val')) {
      log.skipped++;
      continue;
    }
    if (r.kind === 'val' && !Array.isArray(r.gamma)) {
      log.skipped++;
      continue;
    }
    const step = r.step as number;
    if (r.kind === 'train') {
      log.train = log.train.filter((t) => t.step < step);
      log.val = log.val.filter((v) => v.step <= step);
      log.train.push(r as unknown as TrainRecord);
    } else {
      log.val = log.val.filter((v) => v.step < step);
      log.train = log.train.filter((t) => t.step <= step);
      log.val.push(r as unknown as ValRecord);
    }
  }
  return log;
}

const WIDTH = 820;

function lossPanel(log: TrainingLog): Panel {
  const frame = { title: '(a) −ELBO in bits per dimension: validation set by term, and training batches', xLabel: 'training time (hours)', yLabel: 'bits per dimension', width: WIDTH, height: 380 };
  if (log.val.length === 0 && log.train.length === 0) return messagePanel(frame, 'no training or validation records yet');
  const pts = (records: Terms[], key: keyof Terms) => records.map((r) => [r.hours, r[key]] as const);
  const series: Series[] = [
    { name: 'train bpd (window)', points: pts(log.train, 'bpd'), color: '#999999', strokeWidth: 1.2, markers: false },
    { name: 'val total', points: pts(log.val, 'bpd'), color: PALETTE[6], strokeWidth: 2.5 },
    { name: 'val diffusion', points: pts(log.val, 'diffusion'), color: PALETTE[0] },
    { name: 'val reconstruction', points: pts(log.val, 'reconstruction'), color: PALETTE[1] },
    { name: 'val prior', points: pts(log.val, 'prior'), color: PALETTE[2] },
  ];
  // The first minutes (bpd ≈ 12 at initialisation) would flatten everything that matters
  // afterwards, so the y axis stops a little above the later values, and says so.
  const all = series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const maxHours = Math.max(0, ...[...log.train, ...log.val].map((r) => r.hours));
  const later = [...log.val.slice(1).map((r) => r.bpd), ...log.train.filter((r) => r.hours >= 0.25 * maxHours).map((r) => r.bpd)].filter(Number.isFinite);
  const top = Math.max(...all);
  const nice = (y: number) => niceTicks(0, y, 5, true).ticks.at(-1)!;
  const cut = later.length > 0 ? nice(Math.max(...later) * 1.15) : Infinity;
  const yRange: [number, number] = [0, cut < top ? cut : nice(top * 1.02)];
  const note = cut < top ? `y axis cut at ${formatValue(cut)} bpd; the first value was ${formatValue(top)}` : undefined;
  const last = log.val.at(-1);
  const status = last ? `latest validation: step ${last.step}, ${formatValue(last.examples)} examples, ${formatValue(last.hours)} h, ${formatValue(last.bpd)} bpd` : 'no validation record yet';
  return lineChart({ ...frame, series, yRange, note: note ? `${status}; ${note}` : status, id: 'loss' });
}

function gammaPanel(log: TrainingLog): Panel {
  const frame = { title: '(b) learned noise schedule γ(t)', xLabel: 't = i / T', yLabel: 'γ = log σ² / α²', width: WIDTH, height: 320 };
  const first = log.val[0];
  const last = log.val.at(-1);
  if (!first || !last) return messagePanel(frame, 'no validation record yet');
  const curve = (gamma: number[]) => gamma.map((g, i) => [i / (gamma.length - 1), g] as const);
  const series: Series[] = [{ name: `step ${last.step}`, points: curve(last.gamma), color: PALETTE[0], markers: false }];
  if (first !== last) series.push({ name: `step ${first.step}`, points: curve(first.gamma), color: '#888888', dashed: true, markers: false });
  const T = last.gamma.length - 1;
  const note = `T = ${T}; γ(0) = ${formatValue(last.gamma[0])}, γ(1) = ${formatValue(last.gamma[T])}`;
  return lineChart({ ...frame, series, xRange: [0, 1], note, legendValues: false, id: 'gamma' });
}

function sharePanel(log: TrainingLog): Panel {
  const frame = { title: '(c) share of the diffusion loss by noise level', xLabel: 'step i (noise level; 1 = least noise)', yLabel: 'share of diffusion bits', width: WIDTH, height: 320 };
  const last = [...log.val].reverse().find((v) => Array.isArray(v.stepShare) && v.stepShare.length > 0);
  if (!last?.stepShare) return messagePanel(frame, 'no per-step shares in the log (stepShare) yet');
  const share = last.stepShare;
  const T = share.length;
  return barChart({
    ...frame,
    note: `validation record at step ${last.step}; the dashed line is the uniform share 1/T`,
    groups: share.map((_, i) => String(i + 1)),
    series: [{ name: 'share', values: share.map((v) => (Number.isFinite(v) ? v : null)), color: PALETTE[0] }],
    labelEvery: T > 16 ? Math.ceil(T / 16) : 1,
    valueLabels: T <= 16,
    references: [{ y: 1 / T, label: `1/T = ${formatValue(1 / T)}` }],
    legend: false,
  });
}

/** The report for a parsed log, as one SVG document. */
export function renderTrainingReport(log: TrainingLog): string {
  return svgDocument([lossPanel(log), gammaPanel(log), sharePanel(log)], 'vdmzip training report');
}

/**
 * Reads `<trainingDir>/train-log.jsonl`, writes `<trainingDir>/report.svg` (atomically,
 * through a temporary file) and returns the SVG's path.
 */
export function writeTrainingReport(trainingDir: string): string {
  const log = parseTrainingLog(readFileSync(join(trainingDir, TRAIN_LOG), 'utf8'));
  const path = join(trainingDir, REPORT_SVG);
  writeAtomically(path, renderTrainingReport(log));
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: tsx src/training/report.ts TRAINING_DIR');
    process.exit(2);
  }
  console.log(writeTrainingReport(dir));
}
