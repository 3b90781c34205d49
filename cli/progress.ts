/**
 * A one-line progress bar on stderr for coding one image: percentage, a bar and the
 * estimated time left. 'auto' shows it only on a terminal and only once the image has
 * taken more than a moment; 'always' (--progress) shows it from the first step and on a
 * pipe too (one line per update), 'never' (-q) not at all.
 */
import type { CodingProgress } from '../src/codec-api.ts';

export type ProgressMode = 'auto' | 'always' | 'never';

/** How long an image codes before 'auto' shows a bar. */
const SHOW_AFTER_MS = 500;
/** Least time between two redraws (the final 100% is always drawn). */
const REDRAW_MS = 100;
const BAR_WIDTH = 24;
const LABEL_WIDTH = 32;

/** Seconds as m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The text of one progress line, `secondsLeft` its estimated time left (undefined: not known yet). */
export function progressLine(label: string, p: CodingProgress, secondsLeft: number | undefined): string {
  const fraction = p.stepsTotal > 0 ? Math.min(1, p.stepsDone / p.stepsTotal) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  const eta = fraction >= 1 ? 'done' : secondsLeft !== undefined ? `ETA ${clock(secondsLeft)}` : 'ETA ?';
  const name = label.length > LABEL_WIDTH ? `…${label.slice(-(LABEL_WIDTH - 1))}` : label;
  return `${name} ${String(Math.floor(fraction * 100)).padStart(3)}% [${bar}] ${eta}`;
}

export class ProgressBar {
  private readonly start = Date.now();
  /**
   * The first report's time and steps. The time left is estimated from the pace since then, not
   * since the start: what comes before the first report (loading ONNX Runtime and the model,
   * the first sample walks) is paid once and would make a long ETA of a short job.
   */
  private first?: { time: number; steps: number };
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly mode: ProgressMode,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true;
  }

  /** The callback for the codec's onProgress. */
  readonly update = (p: CodingProgress): void => {
    if (this.mode === 'never' || (this.mode === 'auto' && !this.tty)) return;
    const now = Date.now();
    this.first ??= { time: now, steps: p.stepsDone };
    if (this.mode === 'auto' && now - this.start < SHOW_AFTER_MS) return;
    const final = p.stepsDone >= p.stepsTotal;
    if (!final && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    const { time, steps } = this.first;
    const secondsLeft = p.stepsDone > steps ? ((now - time) / 1000 / (p.stepsDone - steps)) * (p.stepsTotal - p.stepsDone) : undefined;
    const line = progressLine(this.label, p, secondsLeft);
    this.stream.write(this.tty ? `\r\x1b[K${line}` : `${line}\n`);
  };

  /** Clears the bar from a terminal, so the next message starts on a clean line. */
  finish(): void {
    if (this.drawn && this.tty) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
