// Runs jobs of the PyTorch trainer's cross-check (python3 -m training.check) for the tests that
// hold the trainer to the coder's engines.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { ModelConfig } from '../src/model/architecture.ts';
import { networkDescription } from '../src/training/network-description.ts';
import { findTorchPython, TRAINER_ROOT } from '../src/training/python.ts';

export const python = findTorchPython();
// CI installs python3-torch, so there these tests must run; elsewhere they are skipped.
if (python === null && process.env.CI) throw new Error('CI must have PyTorch (python3-torch) for the trainer tests');
export const describeTorch = python === null ? describe.skip : describe;

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function readFloats(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Runs one `python3 -m training.check` job on a fresh folder holding the given files; returns the folder. */
export function runCheck(config: ModelConfig, params: Float32Array, job: object, files: Record<string, ArrayBufferView>): string {
  const folder = mkdtempSync(join(tmpdir(), 'vdmzip-check-'));
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'network.json'), JSON.stringify(networkDescription(config)));
  writeFileSync(join(folder, 'params.bin'), bytes(params));
  writeFileSync(join(folder, 'job.json'), JSON.stringify(job));
  for (const [file, data] of Object.entries(files)) writeFileSync(join(folder, file), bytes(data));
  const run = spawnSync(python!, ['-m', 'training.check', folder], { cwd: TRAINER_ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return folder;
}

export interface LossTerms {
  prior: number;
  diffusion: number;
  reconstruction: number;
  priorEach: number[];
  diffusionEach: number[];
  reconstructionEach: number[];
  loss: number;
  gradNorm: number;
}

/** The trainer's −ELBO terms (nats) for a batch: NHWC pixels, steps 1..T, noise, and importance weights (default T). */
export function trainerLoss(config: ModelConfig, params: Float32Array, batch: { pixels: Float32Array; steps: Int32Array; eps: Float32Array; eps0: Float32Array; weights?: Float32Array }): { terms: LossTerms; folder: string } {
  const shape = [batch.steps.length, config.patch, config.patch, config.channels];
  const files: Record<string, ArrayBufferView> = { 'pixels.bin': batch.pixels, 'steps.bin': batch.steps, 'eps.bin': batch.eps, 'eps0.bin': batch.eps0 };
  if (batch.weights) files['weights.bin'] = batch.weights;
  const folder = runCheck(config, params, { kind: 'loss', shape }, files);
  return { terms: JSON.parse(readFileSync(join(folder, 'terms.json'), 'utf8')) as LossTerms, folder };
}
