// Front-end acceptance on the shared models: every zoo, chains and conformance model imports, infers and verifies;
// the op histogram matches each manifest except for what import folds away by design (listed per model, with why).

import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../src/frontend/index.js';
import { cases, histogram, importOptions, type Case } from './helpers.js';

/** Op types import never keeps: Constant nodes become initializers, Identity on an initializer is read through. */
const ALWAYS_FOLDED = ['Constant'];

/**
 * Per-model histogram changes on top of ALWAYS_FOLDED, each one deliberate:
 * - Identity: the exporter re-creates de-duplicated initializers (all-zero conv biases) with Identity nodes on them;
 *   import lets consumers read the initializer directly.
 * - shufflenet: the channel shuffle's Shape/Gather/Div/Mul shape arithmetic and the chunk's Slice-end arithmetic
 *   (Add) are static and fold into Reshape shapes and Slice bounds; the final ReduceMean over H,W (keepdims=0) is
 *   GlobalAveragePool + Reshape in the IR.
 * - conformance test_Linear_no_bias: its Transpose acts on the weight initializer and folds into a constant.
 * - conformance test_Softmax (opset 6, coerced-2D at axis 1 of a 2-D input) is last-axis, so it stays one Softmax.
 */
const ADJUST: Readonly<Record<string, Record<string, number>>> = {
  mobilenet_v3_small: { Identity: -5 },
  squeezenet1_1: { Identity: -18 },
  shufflenet_v2_x0_5: { Shape: -13, Gather: -13, Div: -13, Mul: -26, Add: -13, ReduceMean: -1, GlobalAveragePool: 1, Reshape: 1 },
  'pytorch-converted/test_Linear_no_bias': { Transpose: -1 },
};

function expectedHistogram(c: Case): Record<string, number> {
  const h: Record<string, number> = { ...c.manifest.ops };
  for (const op of ALWAYS_FOLDED) delete h[op];
  for (const [op, d] of Object.entries(ADJUST[c.name] ?? {})) h[op] = (h[op] ?? 0) + d;
  for (const op of Object.keys(h)) if (h[op] === 0) delete h[op];
  return h;
}

describe.each(['zoo', 'chains'] as const)('%s models import and match the manifest', (set) => {
  it.each(cases(set).map((c) => [c.name, c]))('%s', (_name, c) => {
    const g = importOnnxFile(c.model);
    expect(histogram(g)).toEqual(expectedHistogram(c));
    expect(g.inputs.map((i) => i.name)).toEqual(['input']);
    expect(g.outputs.map((o) => o.name)).toEqual(['output']);
    // No op that exists only to be folded survives.
    expect(g.nodes.filter((n) => ['Constant', 'Shape', 'Gather', 'Cast'].includes(n.op))).toEqual([]);
  });
});

describe('conformance models import', () => {
  it.each(cases('conformance').map((c) => [c.name, c]))('%s', (_name, c) => {
    const g = importOnnxFile(c.model, importOptions(c));
    expect(histogram(g)).toEqual(expectedHistogram(c));
  });
});
