import { it } from 'vitest';
import { importOnnxFile } from '../../src/frontend/onnx/import.js';
import { optimizeGraph, defaultPassTargetInfo } from '../../src/passes/index.js';
it('scratch', () => {
  for (const m of ['tiny_cnn','mobilenet_v2','mobilenet_v3_small','squeezenet1_1','shufflenet_v2_x0_5','resnet18']) {
    const g = importOnnxFile(`../shared/models/zoo/${m}/model.onnx`);
    const { report } = optimizeGraph(g, { target: defaultPassTargetInfo, verify: true });
    console.log(m, JSON.stringify({ ...report, chains: report.chains.length }));
  }
});
