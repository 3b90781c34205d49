/**
 * Work in worker threads: every worker runs src/worker.ts (dist/src/worker.js, or beside the
 * bundled command its own bundle, vdmzip-worker.mjs), which does the task in its `workerData`
 * and posts `{ done }` reports and then `{ result }`. Under TypeScript sources the worker first
 * registers tsx, as the command does. A worker that cannot start or fails makes the task's
 * promise reject; callers then do the work on their own thread. node:worker_threads is
 * imported when a worker starts, not with this module: a command that starts none (a small
 * file's decode) does not pay for loading it.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TransferListItem, Worker } from 'node:worker_threads';

/** A task for a worker: `task` names the work (src/worker.ts dispatches on it). */
export interface WorkerTaskData {
  task: string;
}

/** What a worker posts: progress (a count of its task's units), then its result. */
export type WorkerReport<R> = { done: number } | { result: R };

/** A task's result as a worker posts it, with the buffers it hands over rather than copies. */
export interface WorkerResult<R> {
  result: R;
  transfer: TransferListItem[];
}

/** The query a bundle's modules see on their import.meta.url (scripts/build-gpu-runner.ts sets it): the bundle's URL with it. */
export const BUNDLE_QUERY = '?bundled';
/** The worker threads' entry, bundled beside a bundled command under this name. */
export const WORKER_BUNDLE = 'vdmzip-worker.mjs';

/** The module a worker runs: src/worker.ts beside this module (.ts under tsx, .js in dist/src), or in a bundle the worker bundle beside it. */
const WORKER_MODULE = new URL(import.meta.url).search === BUNDLE_QUERY ? new URL(`./${WORKER_BUNDLE}`, import.meta.url).href : new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/** Threads a coder may keep busy by default: every core Node reports. */
export function defaultWorkers(): number {
  return availableParallelism();
}

async function startWorker(workerData: WorkerTaskData, transferList?: TransferListItem[]): Promise<Worker> {
  const { Worker } = await import('node:worker_threads');
  if (!WORKER_MODULE.endsWith('.ts')) return new Worker(new URL(WORKER_MODULE), { workerData, transferList });
  // TypeScript sources: register tsx in the worker before loading the module.
  const tsx = pathToFileURL(createRequire(WORKER_MODULE).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_MODULE)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

/**
 * Runs `task` in a worker thread and resolves with its result; `onProgress` gets each `done`
 * report. An abort of `signal` stops the worker (and rejects), so that a caller that fails
 * meanwhile leaves no thread running.
 */
export async function workerTask<R>(task: WorkerTaskData, options: { onProgress?: (done: number) => void; signal?: AbortSignal; transfer?: TransferListItem[] } = {}): Promise<R> {
  const { onProgress, signal, transfer } = options;
  if (signal?.aborted) throw new Error('the task was stopped');
  const worker = await startWorker(task, transfer);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      void worker.terminate();
      reject(new Error('the task was stopped'));
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
