// Finding a Python that has PyTorch, for the trainer (training/) and the tests that check it
// against the coder's engines.

import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../package-root.ts';

/** The repository folder that holds the `training` package (python3 -m training runs from here). */
export const TRAINER_ROOT = PACKAGE_ROOT;

/** How to get PyTorch, for the one-line error when none is found. */
export const TORCH_HINT = 'the trainer needs Python 3 with PyTorch: apt-get install python3-torch (Debian/Ubuntu) or pip install torch; set VDMZIP_PYTHON to choose the interpreter';

let cached: string | null | undefined;

/**
 * $VDMZIP_PYTHON if it is set, else the first of python3 and /usr/bin/python3 (Debian's
 * python3-torch lives in the system interpreter, which a pyenv or venv python3 on the PATH
 * hides), provided it imports torch; or null.
 */
export function findTorchPython(): string | null {
  if (cached !== undefined) return cached;
  const candidates = process.env.VDMZIP_PYTHON ? [process.env.VDMZIP_PYTHON] : ['python3', '/usr/bin/python3'];
  cached = candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
  return cached;
}
