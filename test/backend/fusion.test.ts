// Test: backend with the fusion passes: fused vs --no-fuse compiles of the shared chains models.
// Contract: fusion lowers the kernel count using only target kernels; where every merge is bit-exact both programs agree bit for bit.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activationKernelOps, loadTarget } from '../../kernels/target.js';
import { compileGraph } from '../../src/backend/index.js';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { optimizeGraph } from '../../src/passes/index.js';
import { runArtifacts } from './harness.js';

const CHAINS = new URL('../../../shared/models/chains/', import.meta.url).pathname;
const target = loadTarget('generic-dsp');

function both(model: string, exact = false) {
  const source = importOnnxFile(join(CHAINS, model, 'model.onnx'));
  const { graph } = optimizeGraph(source, { target: { name: target.id, activationKernels: activationKernelOps(target) }, verify: true });
  return { source, fused: compileGraph(graph, target, { unfused: source, exact }), unfused: compileGraph(source, target) };
}

describe('fused vs --no-fuse', () => {
  it('chain_6blocks_mixed: fewer kernels, kernel types a subset of the target list', () => {
    const { fused, unfused } = both('chain_6blocks_mixed');
    const r = fused.report;
    expect(r.kernels.before).toBe(unfused.report.kernels.after);
    expect(r.kernels.beforeByType).toEqual(unfused.report.kernels.byType);
    expect(r.kernels.after).toBeLessThan(r.kernels.before);
    expect(r.activations.after).toBeLessThan(r.activations.before);
    const listed = new Set(target.kernels.map((k) => k.name));
    for (const k of Object.keys(r.kernels.byType)) expect(listed.has(k)).toBe(true);
    expect(r.fusion.length).toBeGreaterThanOrEqual(5);
    for (const v of r.fusion) expect(v.accepted).toBe(v.bitExact || v.unfusedCloser === 0);
    // Folded epilogues are counted apart from chain merges.
    expect(r.activations.folded + r.activations.standalone).toBe(r.activations.after);
    expect(fused.schedule.fused).toBe(true);
    expect(unfused.schedule.fused).toBe(false);
  });

  it('--exact keeps only bit-exact merges', () => {
    const { fused } = both('chain_6blocks_mixed', true);
    for (const v of fused.report.fusion) expect(v.accepted).toBe(v.bitExact);
    const { fused: loose } = both('chain_6blocks_mixed');
    expect(fused.report.kernels.after).toBeGreaterThanOrEqual(loose.report.kernels.after);
  });

  it('every chains model: verdicts for every fused node, and bit-identical programs where all merges are bit-exact', () => {
    let identical = 0;
    for (const m of readdirSync(CHAINS).filter((f) => !f.endsWith('.json')).sort()) {
      const { source, fused, unfused } = both(m);
      for (const inv of fused.schedule.invocations) expect(target.kernels.some((k) => k.name === inv.kernel)).toBe(true);
      expect(fused.report.kernels.after).toBeLessThanOrEqual(fused.report.kernels.before);
      if (!fused.report.fusion.every((v) => v.bitExact)) continue;
      const inputs = new Map([[source.inputs[0]!.name, readTensorPb(join(CHAINS, m, 'test_data_set_0', 'input_0.pb')).tensor]]);
      const out = source.outputs[0]!.name;
      const a = runArtifacts(JSON.parse(JSON.stringify(fused.schedule)), fused.paramsBin, inputs).get(out)!;
      const b = runArtifacts(JSON.parse(JSON.stringify(unfused.schedule)), unfused.paramsBin, inputs).get(out)!;
      expect(Array.from(a.data as Float32Array), m).toEqual(Array.from(b.data as Float32Array));
      identical++;
    }
    expect(identical).toBeGreaterThanOrEqual(8);
  });
});
