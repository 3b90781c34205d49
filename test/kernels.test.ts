// The committed WebAssembly kernels (src/kernels/wasm.ts) are what their sources in
// src/kernels/assembly/ compile to: a change to the sources without `npm run build:kernels`
// (or a binary edited by hand) fails here.
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../scripts/kernels-compiler.ts';
import { KERNELS_WASM } from '../src/kernels/wasm.ts';

describe('the predictor kernels', () => {
  it('are the compiled sources, byte for byte', async () => {
    const compiled = Buffer.from(await compileKernels()).toString('base64');
    expect(compiled === KERNELS_WASM, 'src/kernels/wasm.ts is stale: run npm run build:kernels').toBe(true);
  });
});
