import { it } from 'vitest';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { loadTarget } from '../../kernels/target.js';
import { compileGraph } from '../../src/backend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { readdirSync } from 'node:fs';
import { runArtifacts, sqnr } from './harness.js';
it('scratch', () => {
  const t = loadTarget('generic-dsp');
  for (const set of ['chains', 'zoo']) for (const m of readdirSync(`../shared/models/${set}`).filter((f) => !f.endsWith('.json'))) {
    if (set === 'zoo' && m !== 'tiny_cnn' && m !== 'resnet18') continue;
    const dir = `../shared/models/${set}/${m}`;
    const g = importOnnxFile(`${dir}/model.onnx`);
    const t0 = performance.now();
    try {
      for (const dtype of ['int8', 'int16'] as const) {
      const a = compileGraph(g, t, { dtype });
      const t1 = performance.now();
      const x = readTensorPb(`${dir}/test_data_set_0/input_0.pb`);
      const inputs = new Map([[g.inputs[0]!.name, x.tensor]]);
      const ref = interpret(g, inputs).get(g.outputs[0]!.name)!;
      const got = runArtifacts(JSON.parse(JSON.stringify(a.schedule)), a.paramsBin, inputs).get(g.outputs[0]!.name)!;
      console.log(m, dtype, (t1 - t0).toFixed(0), 'ms', (performance.now() - t1).toFixed(0), 'ms run; SQNR', sqnr(ref.data as Float32Array, got.data as Float32Array).toFixed(1));
      }
    } catch (e) { console.log(m, (e as Error).stack); }
  }
});
