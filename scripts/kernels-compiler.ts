// How the predictor's WebAssembly kernels are compiled (scripts/build-kernels.ts writes them;
// test/kernels.test.ts checks the committed ones against a fresh compile).
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const SOURCE = fileURLToPath(new URL('../src/kernels/assembly/index.ts', import.meta.url));

/**
 * The kernels' binary: their memory imported (each instance gets its own), the stub runtime
 * (a bump allocator: nothing is freed or collected inside), no assertions, no abort import (a
 * failure traps), SIMD.
 */
export async function compileKernels(): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const args = [SOURCE, '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--use', 'abort=', '--enable', 'simd', '-o', 'kernels.wasm'];
  const { error, stderr } = await asc.main(args, {
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) binary = contents as Uint8Array;
    },
  });
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  if (!binary) throw new Error('asc wrote no binary');
  return binary;
}
