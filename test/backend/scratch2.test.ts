import { it } from 'vitest';
import { loadTarget } from '../../kernels/target.js';
import { compileGraph, loadCalibrationDir } from '../../src/backend/index.js';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { readdirSync } from 'node:fs';
import { runArtifacts, sqnr } from './harness.js';
it('scratch2', () => {
  const t = loadTarget('generic-dsp');
  for (const set of ['chains', 'zoo']) for (const m of readdirSync(`../shared/models/${set}`).filter((f) => !f.endsWith('.json'))) {
    if (set === 'zoo' && !['tiny_cnn', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x0_5'].includes(m)) continue;
    const dir = `../shared/models/${set}/${m}`;
    const g = importOnnxFile(`${dir}/model.onnx`);
    const x = readTensorPb(`${dir}/test_data_set_0/input_0.pb`);
    const inputs = new Map([[g.inputs[0]!.name, x.tensor]]);
    const ref = interpret(g, inputs).get(g.outputs[0]!.name)!;
    const row = [m];
    for (const calib of [false, true]) for (const dtype of ['int8', 'int16'] as const) {
      const t0 = performance.now();
      try {
      const a = compileGraph(g, t, { dtype, ...(calib ? { calibration: loadCalibrationDir(`${dir}/test_data_set_0`, g) } : {}) });
      const t1 = performance.now();
      const got = runArtifacts(JSON.parse(JSON.stringify(a.schedule)), a.paramsBin, inputs).get(g.outputs[0]!.name)!;
      row.push(`${calib ? 'cal' : 'rnd'}-${dtype} ${sqnr(ref.data as Float32Array, got.data as Float32Array).toFixed(1)}dB ${(t1 - t0).toFixed(0)}ms`);
      } catch (e) { row.push((e as Error).message); }
    }
    console.log(row.join(' | '));
  }
});
