/**
 * The predictor's walk over a band (bandIntervals) in a worker thread, so that it runs on a
 * second core while the encoder's estimate runs the network on the first: at effort 2 the
 * estimate costs a few seconds an image, which the walk then hides. The worker (src/worker.ts)
 * runs intervalsTaskResult; where it cannot, the promise rejects and the caller walks the band
 * itself.
 */
import { workerTask, type WorkerResult } from '../workers.ts';
import { bandIntervals, PREDICTOR, PREDICTOR_FIRST_CHANNEL_CONTEXTS, type BandIntervals, type RowBand } from './predictive.ts';

/** Names this module's worker task (src/worker.ts). */
export const INTERVALS_TASK = 'vdmzip:band-intervals';

export type IntervalsTask = { task: typeof INTERVALS_TASK; samples: Uint8Array; band: Omit<RowBand, 'predictor'>; firstChannel: boolean };

/**
 * The band's intervals, worked out in a worker thread; `onProgress` as for bandIntervals. An
 * abort of `signal` stops the worker (and rejects).
 */
export function bandIntervalsInWorker(samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void, signal?: AbortSignal): Promise<BandIntervals> {
  if (band.predictor !== PREDICTOR && band.predictor !== PREDICTOR_FIRST_CHANNEL_CONTEXTS) return Promise.reject(new Error('a worker walks with the shipped predictors only'));
  const { predictor, ...geometry } = band;
  const task: IntervalsTask = { task: INTERVALS_TASK, samples, band: geometry, firstChannel: predictor === PREDICTOR_FIRST_CHANNEL_CONTEXTS };
  return workerTask<BandIntervals>(task, { onProgress, signal });
}

/** The intervals task's work in a worker thread, and the buffers its result hands over. */
export async function intervalsTaskResult({ samples, band, firstChannel }: IntervalsTask, onProgress: (done: number) => void): Promise<WorkerResult<BandIntervals>> {
  const intervals = await bandIntervals(samples, { ...band, predictor: firstChannel ? PREDICTOR_FIRST_CHANNEL_CONTEXTS : PREDICTOR }, onProgress);
  return { result: intervals, transfer: [intervals.starts.buffer as ArrayBuffer, intervals.frequencies.buffer as ArrayBuffer] };
}
