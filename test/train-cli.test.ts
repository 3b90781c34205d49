// `vdmzip train` without a Python that has PyTorch: one line that says how to get it.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));

it('vdmzip train without PyTorch exits 2 with one line naming the package to install, and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdmzip-train-cli-'));
  try {
    const out = join(dir, 'model');
    const run = spawnSync(process.execPath, [BIN, 'train', '--data', 'fixtures', '--val', 'fixtures', '--out', out], { encoding: 'utf8', env: { ...process.env, VDMZIP_PYTHON: '/bin/false' } });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^vdmzip: the trainer needs Python 3 with PyTorch: apt-get install python3-torch .*\n$/);
    expect(spawnSync('ls', [out]).status).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
