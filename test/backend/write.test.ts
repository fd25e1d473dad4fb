// Test: backend artifact writer. All-or-nothing directory replacement and the other-model guard.
// Contract: a failure mid-write leaves the previous directory intact and no temp files; another model's output needs force.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { existingModelId, writeArtifacts } from '../../src/backend/index.js';
import { DspcError } from '../../src/ir/errors.js';

const files = (id: string, extra = '') => ({
  'schedule.json': JSON.stringify({ modelId: id }),
  'report.json': JSON.stringify({ modelId: id, extra }),
  'params.bin': new Uint8Array([1, 2, 3]),
});

function fresh(): { parent: string; out: string } {
  const parent = mkdtempSync(join(tmpdir(), 'dspc-write-'));
  return { parent, out: join(parent, 'out') };
}

describe('writeArtifacts', () => {
  it('writes every file and replaces an earlier output of the same model', () => {
    const { parent, out } = fresh();
    writeArtifacts(out, files('m1', 'first'), { force: false, modelId: 'm1' });
    expect(readdirSync(out).sort()).toEqual(['params.bin', 'report.json', 'schedule.json']);
    writeArtifacts(out, { ...files('m1', 'second'), 'params.h': '/* h */' }, { force: false, modelId: 'm1' });
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).extra).toBe('second');
    expect(readdirSync(parent)).toEqual(['out']);
    expect(existingModelId(out)).toBe('m1');
  });

  it("refuses another model's directory or a foreign non-empty directory without force", () => {
    const { out } = fresh();
    writeArtifacts(out, files('m1'), { force: false, modelId: 'm1' });
    expect(() => writeArtifacts(out, files('m2'), { force: false, modelId: 'm2' })).toThrow(/another model \('m1'\).*--force/);
    expect(existingModelId(out)).toBe('m1');
    writeArtifacts(out, files('m2'), { force: true, modelId: 'm2' });
    expect(existingModelId(out)).toBe('m2');
    const { out: foreign } = fresh();
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const e = (() => { try { writeArtifacts(foreign, files('m1'), { force: false, modelId: 'm1' }); } catch (x) { return x as DspcError; } return null; })();
    expect(e?.code).toBe('E_IO');
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('leaves the previous directory intact and no temp directory when writing fails midway', () => {
    const { parent, out } = fresh();
    writeArtifacts(out, files('m1', 'old'), { force: false, modelId: 'm1' });
    const bad: Record<string, Uint8Array | string> = { 'a.json': '{}' };
    Object.defineProperty(bad, 'b.json', { enumerable: true, get: () => { throw new Error('disk on fire'); } });
    expect(() => writeArtifacts(out, bad, { force: false, modelId: 'm1' })).toThrow(/disk on fire/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).extra).toBe('old');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('removes temp directories left by a killed writer', () => {
    const { parent, out } = fresh();
    const stale = join(parent, '.out.tmp-999999999-deadbeef');
    mkdirSync(stale);
    writeFileSync(join(stale, 'params.bin'), 'partial');
    writeArtifacts(out, files('m1'), { force: false, modelId: 'm1' });
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('rejects file names that would escape the directory', () => {
    const { out } = fresh();
    expect(() => writeArtifacts(out, { '../x': 'y' }, { force: false, modelId: 'm' })).toThrow(/invalid artifact file name/);
  });
});
