// Tests (end to end): a Sub model compiles for every preset onto the sub kernel and the simulator's bit-accurate run
// stays within quantization error of the float reference (int8 and int16).
// Contract: the model is crafted in memory (x - y with y broadcast over H, W, then Relu) and written to a temp file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetNames } from '../../kernels/target.js';
import { compile } from '../../src/pipeline.js';
import { buildModel } from '../frontend/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dspc-sub-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = path.join(tmp, 'sub.onnx');
fs.writeFileSync(model, buildModel({
  inputs: [{ name: 'x', dims: [1, 8, 6, 6] }, { name: 'y', dims: [1, 8, 1, 1] }],
  outputs: [{ name: 'z' }],
  nodes: [
    { op: 'Sub', name: 'sub', inputs: ['x', 'y'], outputs: ['d'] },
    { op: 'Relu', name: 'relu', inputs: ['d'], outputs: ['z'] },
  ],
}));

describe('Sub end to end', () => {
  for (const target of presetNames()) {
    for (const dtype of ['int8', 'int16'] as const) {
      it(`${target}, ${dtype}: lowered to sub, simulated within quantization error`, async () => {
        const r = await compile(model, { target, dtype, simulate: true, fuse: false });
        const subs = r.artifacts.schedule.invocations.filter((i) => i.kernel === 'sub');
        expect(subs.length).toBe(1);
        const out = r.simulation!.functional!.outputs[0]!.fused!;
        // the output spans about [0, 8] (random inputs in [-4, 4]): 8/255 per int8 step, 8/32767 per int16 step
        expect(out.maxAbsError).toBeLessThan(dtype === 'int8' ? 0.1 : 0.002);
        expect(out.sqnrDb).toBeGreaterThan(dtype === 'int8' ? 30 : 60);
      });
    }
  }
});
