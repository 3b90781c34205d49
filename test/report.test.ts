import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainingLog, renderTrainingReport, writeTrainingReport } from '../src/training/report.ts';
import { checkWellFormed } from './bench-xml.ts';

const T = 8;

function gamma(shift: number): number[] {
  return Array.from({ length: T + 1 }, (_, i) => -13.3 + shift * Math.sin((Math.PI * i) / T) + (18.3 * i) / T);
}

function terms(step: number, bpd: number) {
  return { step, examples: step * 32, hours: step / 1000, bpd, prior: 0.001, diffusion: bpd - 0.051, reconstruction: 0.05 };
}

function syntheticLog(withShare: boolean): string {
  const lines: object[] = [];
  lines.push({ kind: 'val', ...terms(0, 12.5), gamma: gamma(0), ...(withShare ? { stepShare: Array(T).fill(1 / T) } : {}) });
  for (let step = 20; step <= 400; step += 20) {
    lines.push({ kind: 'train', ...terms(step, 3 + 6 / Math.sqrt(step) + 0.2 * Math.sin(step)), lr: 1e-3, examplesPerSecond: 12, gradNorm: 30 });
    if (step % 100 === 0) {
      const share = Array.from({ length: T }, (_, i) => (i + 1) / ((T * (T + 1)) / 2));
      lines.push({ kind: 'val', ...terms(step, 3 + 5 / Math.sqrt(step)), gamma: gamma(step / 400), ...(withShare ? { stepShare: share } : {}) });
    }
  }
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('training report', () => {
  it('writes report.svg beside the log and returns its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vdmzip-report-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'train-log.jsonl'), syntheticLog(true));
    const path = writeTrainingReport(dir);
    expect(path).toBe(join(dir, 'report.svg'));
    expect(existsSync(`${path}.tmp`)).toBe(false);
    const svg = readFileSync(path, 'utf8');
    checkWellFormed(svg);
    for (const name of ['train bpd', 'val total', 'val diffusion', 'val reconstruction', 'val prior', 'step 400', 'step 0', '1/T']) expect(svg).toContain(name);
    // The latest validation total is in the legend.
    expect(svg).toContain(`val total: ${(3 + 5 / Math.sqrt(400)).toFixed(2)}`);
    // (c) has one bar per step.
    expect(svg.match(/<rect [^>]*fill="#0072B2"><title>share, /g)).toHaveLength(T);
    // Panels: three titles.
    expect(svg).toContain('(a) ');
    expect(svg).toContain('(b) ');
    expect(svg).toContain('(c) ');
  });

  it('handles a log without stepShare, and one with no records yet', () => {
    const svg = renderTrainingReport(parseTrainingLog(syntheticLog(false)));
    checkWellFormed(svg);
    expect(svg).toContain('no per-step shares');
    const empty = renderTrainingReport(parseTrainingLog(''));
    checkWellFormed(empty);
    expect(empty).toContain('no training or validation records yet');
  });

  it('skips broken lines and drops records a restart abandoned', () => {
    const log = [
      { kind: 'val', ...terms(0, 12), gamma: gamma(0) },
      { kind: 'train', ...terms(20, 9) },
      { kind: 'train', ...terms(40, 8) },
      { kind: 'val', ...terms(40, 7.5), gamma: gamma(0) },
      { kind: 'train', ...terms(60, 7) },
      // Resumed from the checkpoint at step 40: step 60 is logged again.
      { kind: 'train', ...terms(60, 6.9) },
      { kind: 'train', ...terms(80, 6.5) },
    ].map((r) => JSON.stringify(r));
    const parsed = parseTrainingLog(`${log.join('\n')}\n{"kind":"train","step":100,"hou`);
    expect(parsed.skipped).toBe(1);
    expect(parsed.train.map((r) => [r.step, r.bpd])).toEqual([[20, 9], [40, 8], [60, 6.9], [80, 6.5]]);
    expect(parsed.val.map((r) => r.step)).toEqual([0, 40]);
    // A fresh run (validation at step 0 again) replaces everything before it.
    const fresh = parseTrainingLog(`${log.join('\n')}\n${JSON.stringify({ kind: 'val', ...terms(0, 11), gamma: gamma(0) })}\n`);
    expect(fresh.train).toEqual([]);
    expect(fresh.val.map((r) => r.bpd)).toEqual([11]);
  });
});
