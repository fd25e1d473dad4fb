// Tests (CLI report): a recognised elementwise pattern is shown with what it replaced in the compile result and HTML report.
// Why: optimize --json, compile --json and the HTML report are where users see what recognition did.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/frontend/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { compile } from '../../src/pipeline.js';
import { buildReportInput } from '../../src/cli/report/build.js';
import { renderReportHtml } from '../../src/cli/report/html.js';
import { tmpDir } from './helpers.js';

describe('recognised patterns in the compile report', () => {
  it('Conv then x*HardSigmoid(x): one HardSwish kernel, listed with the nodes it replaced', async () => {
    const b = new GraphBuilder('hs_demo');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const c = b.node('Conv', [x, b.floats('w', [2, 2, 1, 1], [1, 0.5, -0.25, 1]), b.floats('bias', [2], [0.1, -0.2])], { kernel_shape: [1, 1] }, { name: 'conv' });
    b.output(b.node('Mul', [c, b.node('HardSigmoid', [c], { alpha: 1 / 6, beta: 0.5 }, { name: 'hs' })], {}, { name: 'mul' }));
    const file = path.join(tmpDir('patterns'), 'hs.onnx');
    fs.writeFileSync(file, exportOnnx(b.build()));
    const res = await compile(file, { simulate: true, functional: false });
    expect(res.passReport.patterns).toEqual([{ nodes: ['hs', 'mul'], pattern: 'x*HardSigmoid(x)', result: 'HardSwish' }]);
    expect(res.artifacts.schedule.invocations.map((i) => i.kernel)).toEqual(['conv2d', 'hardswish']);
    const table = buildReportInput(res).tables.find((t) => t.title === 'Activations written as elementwise ops')!;
    expect(table.rows).toEqual([['1', 'x*HardSigmoid(x)', 'hs (HardSigmoid) → mul (Mul)', 'HardSwish']]);
    expect(renderReportHtml(buildReportInput(res))).toContain('hs (HardSigmoid) → mul (Mul)');
  });
});
