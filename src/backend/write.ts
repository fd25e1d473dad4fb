// Stage: backend emission. Writes an artifact directory atomically: temp directory next to the target, then rename into place.
// Contract: a failed or killed write leaves the previous directory intact or absent, never mixed; another model's output is kept unless force.

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DspcError } from '../ir/errors.js';

export interface WriteOptions {
  /** Overwrite a directory that holds another model's output (or files dspc did not write). */
  force: boolean;
  /** Identity written into report.json/schedule.json; an existing directory with the same id is replaced freely. */
  modelId: string;
}

/** Files that carry the model marker, checked in this order. */
const MARKER_FILES = ['schedule.json', 'report.json'];

/** The modelId recorded in an existing output directory, null when the directory has no dspc marker. */
export function existingModelId(dir: string): string | null {
  for (const f of MARKER_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    try {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { modelId?: unknown };
      if (typeof j.modelId === 'string') return j.modelId;
    } catch {
      // A damaged marker file is not proof of anything: treat like a foreign directory.
    }
  }
  return null;
}

function checkTarget(dir: string, opts: WriteOptions): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new DspcError('E_IO', 'output path exists and is not a directory', { file: dir });
  if (opts.force || readdirSync(dir).length === 0) return;
  const id = existingModelId(dir);
  if (id === null) {
    throw new DspcError('E_IO', 'output directory is not empty and holds no dspc output; use --force to replace it', { file: dir });
  }
  if (id !== opts.modelId) {
    throw new DspcError('E_IO', `output directory holds the output of another model ('${id}'); use --force to replace it`, { file: dir });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temp/backup siblings left by killed writes of the same directory (their process is gone). */
function removeStale(parent: string, base: string): void {
  const re = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)-[0-9a-f]+$`);
  for (const e of readdirSync(parent)) {
    const m = re.exec(e);
    if (m && !pidAlive(Number(m[2]))) rmSync(join(parent, e), { recursive: true, force: true });
  }
}

function writeDurable(path: string, data: Uint8Array | string): void {
  writeFileSync(path, data);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write every file into `.<dir>.tmp-<pid>-<rand>` beside `dir`, then swap it in with renames. Between the two
 * renames of a replacement the old directory sits in `.<dir>.old-...` (removed afterwards, or by the next write).
 */
export function writeArtifacts(dir: string, files: Record<string, Uint8Array | string>, opts: WriteOptions): void {
  const target = resolve(dir);
  const parent = dirname(target);
  const base = basename(target);
  for (const name of Object.keys(files)) {
    if (name.includes('/') || name.includes('\\') || name === '' || name.startsWith('.')) {
      throw new DspcError('E_IO', `invalid artifact file name '${name}'`, { file: target });
    }
  }
  checkTarget(target, opts);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${base}.tmp-${tag}`);
  const old = join(parent, `.${base}.old-${tag}`);
  try {
    mkdirSync(parent, { recursive: true });
    removeStale(parent, base);
    mkdirSync(tmp);
    for (const name of Object.keys(files).sort()) writeDurable(join(tmp, name), files[name]!);
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    if (e instanceof DspcError) throw e;
    throw new DspcError('E_IO', `cannot write output: ${(e as Error).message}`, { file: target });
  }
  rmSync(old, { recursive: true, force: true });
}
