/**
 * The module every worker thread runs (src/workers.ts starts them): it does the one task in its
 * `workerData` — a band of a banded file coded or decoded (codec.ts), or a band's intervals
 * walked beside the encoder's estimate (predictor/parallel-walk.ts) — and posts its progress,
 * then its result, to the thread that started it. Loaded anywhere but in a worker it does
 * nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BandTask } from './codec.ts';
import type { IntervalsTask } from './predictor/parallel-walk.ts';
import type { WorkerReport, WorkerResult } from './workers.ts';

/** The task's work; each task's module is loaded when a worker is given that task. */
async function run(task: BandTask | IntervalsTask, onProgress: (done: number) => void): Promise<WorkerResult<unknown>> {
  const { INTERVALS_TASK, intervalsTaskResult } = await import('./predictor/parallel-walk.ts');
  if (task.task === INTERVALS_TASK) return intervalsTaskResult(task, onProgress);
  const { BAND_TASKS, bandTaskResult } = await import('./codec.ts');
  if (BAND_TASKS.includes(task.task)) return bandTaskResult(task, onProgress);
  throw new Error(`a worker was given an unknown task (${String((task as { task?: unknown }).task)})`);
}

const port = parentPort;
if (port) {
  const { result, transfer } = await run(workerData as BandTask | IntervalsTask, (done) => port.postMessage({ done } satisfies WorkerReport<unknown>));
  port.postMessage({ result } satisfies WorkerReport<unknown>, transfer);
}
