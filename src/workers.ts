/**
 * Work in worker threads: a worker runs a module of the library (its own file: a module of
 * dist/src, or the bundled command, whose entry runs the command on the main thread only), and
 * that module, seeing `workerData` of its own task, does the task and posts `{ done }` reports
 * and then `{ result }`. Under TypeScript sources the worker first registers tsx, as the
 * command does. A worker that cannot start or fails makes the task's promise reject; callers
 * then do the work on their own thread.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** What a worker posts: progress (a count of its task's units), then its result. */
export type WorkerReport<R> = { done: number } | { result: R };

/** Threads a coder may keep busy by default: every core Node reports. */
export function defaultWorkers(): number {
  return availableParallelism();
}

function startWorker(moduleUrl: string, workerData: unknown, transferList?: TransferListItem[]): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), { workerData, transferList });
  // TypeScript sources: register tsx in the worker before loading the module.
  const tsx = pathToFileURL(createRequire(moduleUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

/**
 * Runs one task in a worker running `moduleUrl` and resolves with its result; `onProgress`
 * gets each `done` report. An abort of `signal` stops the worker (and rejects), so that a
 * caller that fails meanwhile leaves no thread running.
 */
export function workerTask<R>(moduleUrl: string, task: unknown, options: { onProgress?: (done: number) => void; signal?: AbortSignal; transfer?: TransferListItem[] } = {}): Promise<R> {
  const { onProgress, signal, transfer } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('the task was stopped'));
      return;
    }
    let worker: Worker;
    try {
      worker = startWorker(moduleUrl, task, transfer);
    } catch (error) {
      reject(error as Error);
      return;
    }
    let settled = false;
    const stop = () => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error('the task was stopped'));
    };
    signal?.addEventListener('abort', stop, { once: true });
    const settle = () => {
      settled = true;
      signal?.removeEventListener('abort', stop);
    };
    worker.on('message', (report: WorkerReport<R>) => {
      if ('done' in report) onProgress?.(report.done);
      else {
        settle();
        resolve(report.result);
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (settled) return;
      settle();
      reject(error);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settle();
      reject(new Error(`a worker stopped (exit code ${code})`));
    });
  });
}

/**
 * `run(item, index)` for every item, at most `limit` at a time, the results in the items'
 * order. The first failure rejects, and no item starts after it.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await run(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
