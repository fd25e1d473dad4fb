import { it } from 'vitest';
import { readdirSync } from 'node:fs';
import { compile } from '../../src/pipeline.js';
import { readTensorPb } from '../../src/frontend/index.js';
import { simulateDir } from '../../src/sim/index.js';
it('scratch', async () => {
  const set = process.env.SET ?? 'chains';
  const only = process.env.ONLY?.split(',');
  for (const m of readdirSync(`../shared/models/${set}`).filter((f) => !f.endsWith('.json'))) {
    if (only && !only.includes(m)) continue;
    const out = `/tmp/simscratch/${set}_${m}_${process.env.TARGET ?? 'generic-dsp'}`;
    const t0 = performance.now();
    try {
      await compile(`../shared/models/${set}/${m}/model.onnx`, { out, force: true, target: process.env.TARGET ?? 'generic-dsp', dtype: (process.env.DT ?? 'int8') as 'int8' });
      const t1 = performance.now();
      const s = simulateDir(out, { readTensor: readTensorPb });
      const t2 = performance.now();
      const r = s.report;
      const f = r.functional!;
      console.log(`${m.padEnd(32)} compile ${(t1 - t0).toFixed(0).padStart(6)}ms sim ${(t2 - t1).toFixed(0).padStart(5)}ms U ${r.cycles.unfused} F ${r.cycles.fused} I ${r.cycles.ideal} sp ${r.speedup?.toFixed(3)} ofI ${r.ofIdeal?.toFixed(3)} sqnr ${f.sqnrDb?.toFixed(1)} unf ${f.outputs[0]!.unfused?.sqnrDb.toFixed(1)} maxabs ${f.maxAbsError?.toExponential(2)} ident ${f.identical} bitexact ${f.allMergesBitExact} k ${r.counts.unfused?.kernels}->${r.counts.fused.kernels}`);
    } catch (e) { console.log(m, (e as Error).stack); }
  }
});
