import { it } from 'vitest';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { loadTarget } from '../../kernels/target.js';
import { compileGraph, artifactFiles, writeArtifacts } from '../../src/backend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { simulateDir, loadProgram, runProgram, estimate } from '../../src/sim/index.js';
import { errorStats } from '../../src/sim/metrics.js';
it('scratch', () => {
  const t = loadTarget('generic-dsp');
  for (const m of (process.env.MODELS ?? 'chains/chain_relu_relu').split(',')) {
    const dir = `../shared/models/${m}`;
    const g = importOnnxFile(`${dir}/model.onnx`);
    const a = compileGraph(g, t, { dtype: 'int8' });
    const out = `/tmp/simscratch/${m.replace('/', '_')}`;
    writeArtifacts(out, artifactFiles(a), { force: true, modelId: a.schedule.modelId });
    const x = readTensorPb(`${dir}/test_data_set_0/input_0.pb`);
    const inputs = new Map([[g.inputs[0]!.name, x.tensor]]);
    const ref = interpret(g, inputs);
    const p = loadProgram(out);
    const prof = new Map<string, number>();
    const t0 = performance.now();
    const got = runProgram(p, inputs, { onInvocation: (inv, ms) => prof.set(inv.kernel, (prof.get(inv.kernel) ?? 0) + ms) });
    const ms = performance.now() - t0;
    const e = estimate(p);
    const o = g.outputs[0]!.name;
    console.log(m, 'run', ms.toFixed(0), 'ms', JSON.stringify([...prof].map(([k, v]) => [k, Math.round(v)])), 'sqnr', errorStats(ref.get(o)!.data as Float32Array, got.get(o)!.data as Float32Array).sqnrDb.toFixed(1), 'cycles', e.cycles, 'MACs', e.macs, 'util', e.utilisation.toFixed(3));
    const s = simulateDir(out, { readTensor: readTensorPb });
    console.log(JSON.stringify({ cycles: s.report.cycles, speedup: s.report.speedup, ofIdeal: s.report.ofIdeal, byKernel: s.report.byKernel, f: s.report.functional }));
  }
});
