// Tests of the per-kernel accuracy report: every invocation compared with float on the reference input.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/pipeline.js';
import { MODELS } from '../cli/helpers.js';

describe('report.json accuracy', () => {
  it('one entry per invocation, in program order; the output kernel matches the functional SQNR', async () => {
    const res = await compile(path.join(MODELS, 'zoo/tiny_cnn/model.onnx'), { simulate: true, accuracy: true });
    const acc = res.artifacts.report.accuracy!;
    const invs = res.artifacts.schedule.invocations;
    expect(acc.input).toBe('default');
    expect(acc.kernels.map((k) => k.index)).toEqual(invs.map((i) => i.index));
    expect(acc.kernels.map((k) => k.kernel)).toEqual(invs.map((i) => i.kernel));
    const last = acc.kernels[acc.kernels.length - 1]!;
    expect(last.value).toBe(res.artifacts.schedule.outputs[0]!.name);
    expect(last.sqnrDb).toBeCloseTo(res.simulation!.functional!.sqnrDb!, 9);
    for (const k of acc.kernels) expect(k.sqnrDb === null || k.sqnrDb > 10).toBe(true);
  });

  it('is off unless asked, and follows a given input', async () => {
    const model = path.join(MODELS, 'chains/chain_relu_relu/model.onnx');
    expect((await compile(model, { simulate: true })).artifacts.report.accuracy).toBeUndefined();
    const input = path.join(MODELS, 'chains/chain_relu_relu/test_data_set_0/input_0.pb');
    const res = await compile(model, { accuracy: true, inputs: [input] });
    expect(res.artifacts.report.accuracy!.input).toBe('given');
    expect(res.artifacts.report.accuracy!.kernels.length).toBe(res.artifacts.schedule.invocations.length);
  });
});
