// Stage: CLI. Atomic single-file writes for what the CLI itself produces (optimized .onnx, report.html, .dot, check --update).
// Contract: the file appears complete or not at all: temp file in the same directory, fsync, rename; failures are DspcError('E_IO').

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DspcError } from '../ir/errors.js';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DspcError('E_IO', `cannot write file (${code})`, { file });
  }
}
