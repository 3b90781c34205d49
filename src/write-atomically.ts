// Writing a file through a temporary one and a rename, so that a reader, or a run that is
// interrupted, sees the old file or the new one and never half of one.

import { renameSync, writeFileSync } from 'node:fs';

export function writeAtomically(path: string, data: Uint8Array | string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
