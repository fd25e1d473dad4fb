// Tests (IR): golden files of the text printer; goldens are regenerated (UPDATE_GOLDEN=1 or missing), never edited.
// Contract: each case says why it exists; printing never depends on Map or attribute insertion order.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { formatFloat, printGraph } from '../../src/ir/print.js';
import { makeTensor } from '../../src/ir/tensor.js';

const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));

function golden(name: string, why: string, g: Graph): void {
  const text = `// why: ${why}\n${printGraph(g)}`;
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) fs.writeFileSync(file, text);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

function convRelu(order: 'ab' | 'ba'): Graph {
  const b = new GraphBuilder('conv_relu');
  const x = b.input('x', 'float32', [1, 2, 8, 8]);
  const consts = (): void => {
    b.floats('w', [4, 2, 3, 3], Array.from({ length: 72 }, (_, i) => i / 10));
    b.floats('b', [4], [0.5, -0.25, 0, 1e-8]);
  };
  if (order === 'ab') consts();
  else { b.floats('b', [4], [0.5, -0.25, 0, 1e-8]); b.floats('w', [4, 2, 3, 3], Array.from({ length: 72 }, (_, i) => i / 10)); }
  const attrs = order === 'ab'
    ? { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }
    : { strides: [1, 1], pads: [1, 1, 1, 1], kernel_shape: [3, 3] };
  const c = b.node('Conv', [x, 'w', 'b'], attrs, { name: 'conv1' });
  const r = b.node('Relu', [c], {}, { name: 'relu1' });
  b.output(r);
  return b.build();
}

describe('printGraph goldens', () => {
  it('conv_relu', () => {
    // why: the basic layout: header I/O, big initializer summarised, tiny one with values, sorted attrs, node names.
    golden('conv_relu', 'basic layout: I/O, initializer summaries and values, sorted attributes', convRelu('ab'));
  });

  it('floats', () => {
    // why: float attributes must print as the shortest text that reads back to the same float32; infinities and
    // values that are not float32 (a pass that forgot Math.fround) must be visible.
    const b = new GraphBuilder('floats');
    let v = b.input('x', 'float32', [3]);
    v = b.node('LeakyRelu', [v], { alpha: Math.fround(0.01) }, { name: 'leaky_f32' });
    v = b.node('LeakyRelu', [v], { alpha: 0.01 }, { name: 'leaky_f64' });
    v = b.node('Clip', [v], { min: 0, max: Infinity }, { name: 'clip_inf' });
    v = b.node('HardSigmoid', [v], { alpha: Math.fround(1 / 6), beta: 0.5 }, { name: 'hsig' });
    v = b.node('Selu', [v], {}, { name: 'selu_defaults' });
    b.output(v);
    golden('floats', 'float attributes: shortest float32 text, inf, and d-suffixed doubles', b.build());
  });

  it('multi_output_origin', () => {
    // why: multi-output nodes, provenance comments, int64 tiny constants and names that need quoting.
    const b = new GraphBuilder('multi');
    const x = b.input('in put', 'float32', [1, 6, 2, 2]);
    b.constant('slope', makeTensor('float32', [2, 1, 1], Float32Array.of(0.25, -1.5)));
    const [p, q] = b.nodeMulti('Split', [x], { axis: 1, split: [2, 4] }, { name: 'split', outputs: ['p', 'q'] });
    const pr = b.node('PRelu', [p!, 'slope'], {}, { name: 'fused', origin: ['relu_a', 'leaky_b'] });
    b.constant('idx', makeTensor('int64', [2], BigInt64Array.of(0n, 3n)));
    b.output(pr, q!);
    golden('multi_output_origin', 'multi-output nodes, origin, quoted names, int64 constants', b.build());
  });

  it('does not depend on insertion order of initializers or attributes', () => {
    expect(printGraph(convRelu('ba'))).toBe(printGraph(convRelu('ab')));
  });
});

describe('formatFloat', () => {
  it('round-trips every float32 it prints', () => {
    const values = [0.1, 1 / 3, 1e-45, 3.4028234663852886e38, -2.5, 1e-8, 123456.789].map(Math.fround);
    for (const v of values) expect(Math.fround(Number(formatFloat(v)))).toBe(v);
    expect(formatFloat(Math.fround(0.01))).toBe('0.01');
    expect(formatFloat(0.01)).toBe('0.01d');
    expect(formatFloat(-0)).toBe('-0');
    expect(formatFloat(Number.NaN)).toBe('nan');
  });
});
