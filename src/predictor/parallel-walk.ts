/**
 * The predictor's walk over a band (bandIntervals) in a worker thread, so that it runs on a
 * second core while the encoder's estimate runs the network on the first: at effort 2 the
 * estimate costs a few seconds an image, which the walk then hides. The worker runs this
 * module (src/workers.ts); where it cannot, the promise rejects and the caller walks the band
 * itself.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { workerTask, type WorkerReport } from '../workers.ts';
import { bandIntervals, PREDICTOR, PREDICTOR_FIRST_CHANNEL_CONTEXTS, type BandIntervals, type RowBand } from './predictive.ts';

/** Marks a worker started for this module's task (the bundle holds every module). */
const TASK = 'vdmzip:band-intervals';

type Task = { task: typeof TASK; samples: Uint8Array; band: Omit<RowBand, 'predictor'>; firstChannel: boolean };

/**
 * The band's intervals, worked out in a worker thread; `onProgress` as for bandIntervals. An
 * abort of `signal` stops the worker (and rejects).
 */
export function bandIntervalsInWorker(samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void, signal?: AbortSignal): Promise<BandIntervals> {
  if (band.predictor !== PREDICTOR && band.predictor !== PREDICTOR_FIRST_CHANNEL_CONTEXTS) return Promise.reject(new Error('a worker walks with the shipped predictors only'));
  const { predictor, ...geometry } = band;
  const task: Task = { task: TASK, samples, band: geometry, firstChannel: predictor === PREDICTOR_FIRST_CHANNEL_CONTEXTS };
  return workerTask<BandIntervals>(import.meta.url, task, { onProgress, signal });
}

async function runTask({ samples, band, firstChannel }: Task): Promise<void> {
  const port = parentPort!;
  const intervals = await bandIntervals(samples, { ...band, predictor: firstChannel ? PREDICTOR_FIRST_CHANNEL_CONTEXTS : PREDICTOR }, (done: number) => port.postMessage({ done } satisfies WorkerReport<BandIntervals>));
  port.postMessage({ result: intervals } satisfies WorkerReport<BandIntervals>, [intervals.starts.buffer as ArrayBuffer, intervals.frequencies.buffer as ArrayBuffer]);
}

if (!isMainThread && (workerData as Partial<Task> | undefined)?.task === TASK) await runTask(workerData as Task);
