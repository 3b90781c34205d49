/**
 * The predictor's walk over a band (bandIntervals) in a worker thread, so that it runs on a
 * second core while the encoder's estimate runs the network on the first: at effort 2 the
 * estimate costs a few seconds an image, which the walk then hides.
 *
 * The worker runs this same module (its own file: a module of the library, or the bundled
 * command, whose entry runs the command on the main thread only); under TypeScript sources the
 * worker first registers tsx, as the command does. A worker that cannot start or fails makes
 * the promise reject, and the caller walks the band itself.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { bandIntervals, PREDICTOR, type BandIntervals, type RowBand } from './predictive.ts';

/** Marks a worker started for this module's task (the bundle holds every module). */
const TASK = 'vdmzip:band-intervals';

type Task = { task: typeof TASK; samples: Uint8Array; band: Omit<RowBand, 'predictor'> };
type Report = { done: number } | BandIntervals;

/**
 * The band's intervals, worked out in a worker thread; `onProgress` as for bandIntervals. An
 * abort of `signal` stops the worker (and rejects), so that a caller that fails meanwhile
 * leaves no thread running.
 */
export function bandIntervalsInWorker(samples: Uint8Array, band: RowBand, onProgress?: (samplesDone: number) => void, signal?: AbortSignal): Promise<BandIntervals> {
  if (band.predictor !== PREDICTOR) return Promise.reject(new Error('a worker walks with the shipped predictor only'));
  const { predictor: _, ...geometry } = band;
  const task: Task = { task: TASK, samples, band: geometry };
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = startWorker(task);
    } catch (error) {
      reject(error as Error);
      return;
    }
    let settled = false;
    signal?.addEventListener('abort', () => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error('the walk was stopped'));
    });
    worker.on('message', (report: Report) => {
      if ('done' in report) onProgress?.(report.done);
      else {
        settled = true;
        resolve(report);
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the walk's worker stopped (exit code ${code})`));
    });
  });
}

function startWorker(task: Task): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL(self), { workerData: task });
  // TypeScript sources: register tsx in the worker before loading this module.
  const tsx = pathToFileURL(createRequire(self).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(boot, { eval: true, workerData: task });
}

async function runTask({ samples, band }: Task): Promise<void> {
  const port = parentPort!;
  const intervals = await bandIntervals(samples, { ...band, predictor: PREDICTOR }, (done: number) => port.postMessage({ done } satisfies Report));
  port.postMessage(intervals satisfies Report, [intervals.starts.buffer as ArrayBuffer, intervals.frequencies.buffer as ArrayBuffer]);
}

if (!isMainThread && (workerData as Partial<Task> | undefined)?.task === TASK) await runTask(workerData as Task);
