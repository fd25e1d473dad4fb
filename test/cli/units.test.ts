// Unit tests of the CLI's pure parts: table layout, number formats, the expectation comparison, graph pictures, error text.
// Why: these format what users read and what CI gates on; each case pins one behaviour that would otherwise drift silently.

import { describe, expect, it } from 'vitest';
import { compareExpectation, expectationText, EXPECT_FORMAT, EXPECT_VERSION, parseExpectation } from '../../src/cli/check-expect.js';
import type { Expectation } from '../../src/cli/check-expect.js';
import { describeError } from '../../src/cli/common.js';
import { graphDot, graphSvg } from '../../src/cli/report/graph-svg.js';
import { fusionMarks } from '../../src/cli/report/marks.js';
import { esc, scriptJson } from '../../src/cli/report/html-util.js';
import { fmtBytes, fmtInt, renderTable, visibleLength } from '../../src/cli/term.js';
import { DspcError } from '../../src/ir/errors.js';
import { emptyGraph } from '../../src/ir/graph.js';
import type { Graph } from '../../src/ir/graph.js';

function base(): Expectation {
  return {
    format: EXPECT_FORMAT, version: EXPECT_VERSION, model: 'm.onnx', target: 'generic-dsp', dtype: 'int8',
    kernels: { total: 3, byType: { conv2d: 2, relu: 1 } }, activations: { source: 4, standalone: 1, folded: 2 }, cycles: { fused: 1000 },
  };
}

describe('terminal tables', () => {
  it('aligns columns by visible width, ignoring colour codes; numbers right-aligned', () => {
    const t = renderTable([{ header: 'k' }, { header: 'n', align: 'right' }], [['\x1b[33mrelu\x1b[39m', '5'], ['conv2d', '123']]);
    const lines = t.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['k         n', '------  ---', 'relu      5', 'conv2d  123']);
    expect(visibleLength('\x1b[1mab\x1b[22m')).toBe(2);
  });

  it('formats integers and bytes the same way everywhere', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(999)).toBe('999');
    expect(fmtBytes(1023)).toBe('1023 B');
    expect(fmtBytes(32768)).toBe('32.0 KiB');
    expect(fmtBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });
});

describe('error text', () => {
  it('a DspcError is its message on one line; an unexpected error says internal error', () => {
    expect(describeError(new DspcError('E_GRAPH', 'unsupported ops:\n  Foo (a, b)\n  Bar (c)', { file: 'm.onnx' }))).toBe('m.onnx: unsupported ops:; Foo (a, b); Bar (c)');
    expect(describeError(new TypeError('x is undefined'))).toMatch(/^internal error: x is undefined \(set DSPC_DEBUG=1/);
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/nope' });
    expect(describeError(enoent)).toBe('/nope: no such file or directory');
  });
});

describe('dspc check expectations', () => {
  it('equal counts pass; cycles within tolerance pass', () => {
    const a = base();
    a.cycles = { fused: 1009 };
    const o = compareExpectation(base(), a, 1);
    expect(o.ok).toBe(true);
    expect(o.cycles!.relative).toBeCloseTo(0.009, 12);
  });

  it('any count change fails, in either direction, and names the key; missing types count as 0', () => {
    const a = base();
    a.kernels = { total: 3, byType: { conv2d: 2, leaky_relu: 1 } };
    const o = compareExpectation(base(), a, 1);
    expect(o.ok).toBe(false);
    expect(o.differences).toEqual([
      { key: 'kernels.byType.leaky_relu', expected: null, actual: 1, kind: 'count' },
      { key: 'kernels.byType.relu', expected: 1, actual: null, kind: 'count' },
    ]);
  });

  it('cycles beyond the tolerance fail; without cycles in the file they are not compared', () => {
    const a = base();
    a.cycles = { fused: 1100 };
    expect(compareExpectation(base(), a, 5).differences.map((d) => d.key)).toEqual(['cycles.fused']);
    const noCycles = base();
    delete noCycles.cycles;
    expect(compareExpectation(noCycles, a, 0).ok).toBe(true);
  });

  it('--update output parses back to the same expectation, keys sorted', () => {
    const e = base();
    e.kernels.byType = { relu: 1, conv2d: 2 };
    const text = expectationText(e);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"conv2d"')).toBeLessThan(text.indexOf('"relu"'));
    expect(compareExpectation(parseExpectation(JSON.parse(text), 'f.json'), e, 0).ok).toBe(true);
  });

  it.each([
    [{}, /format/],
    [{ ...base(), version: 9 }, /version/],
    [{ ...base(), kernels: { total: -1, byType: {} } }, /kernels\.total/],
    [{ ...base(), kernels: { total: 1, byType: { relu: 1.5 } } }, /byType/],
    [{ ...base(), cycles: { fused: 0 } }, /cycles\.fused/],
  ])('rejects a malformed file naming the field (%#)', (json, msg) => {
    expect(() => parseExpectation(json, 'f.json')).toThrow(msg);
  });
});

/** x -> Conv(c) -> Relu(r1) -> LeakyRelu(r2) -> y, and the fused version with one Relu standing for both. */
function chainGraphs(): { before: Graph; after: Graph } {
  const before = emptyGraph('g');
  before.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] });
  before.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 2, 4, 4] });
  before.nodes.push({ name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], attrs: {} });
  before.nodes.push({ name: 'r1', op: 'Relu', inputs: ['a'], outputs: ['b'], attrs: {} });
  before.nodes.push({ name: 'r2', op: 'LeakyRelu', inputs: ['b'], outputs: ['y'], attrs: {} });
  const after = emptyGraph('g');
  after.inputs.push(...before.inputs);
  after.outputs.push(...before.outputs);
  after.nodes.push(before.nodes[0]!, { name: 'r2', op: 'Relu', inputs: ['a'], outputs: ['y'], attrs: {}, origin: ['r1', 'r2'] });
  return { before, after };
}

describe('graph pictures', () => {
  it('SVG: one g.op per node, edges drawn, chain members and the fused node marked in the same colour', () => {
    const { before, after } = chainGraphs();
    const marks = fusionMarks(after, [{ nodes: ['r1', 'r2'], result: 'Relu' }], new Map([['r2', 'c']]));
    const svgB = graphSvg(before, { id: 'b', marks: marks.before });
    const svgA = graphSvg(after, { id: 'a', marks: marks.after });
    expect(svgB.match(/<g class="node op/g)).toHaveLength(3);
    expect(svgA.match(/<g class="node op/g)).toHaveLength(2);
    expect(svgB.match(/class="edge"/g)).toHaveLength(4); // x->c, c->r1, r1->r2, r2->y (the weight w is an initializer, not drawn)
    expect(svgB.match(/data-chain="0"/g)).toHaveLength(2);
    expect(svgA).toMatch(/<g class="node op mark-folded" data-name="r2" data-chain="0">/);
    expect(marks.after.get('r2')!.note).toMatch(/from r1 \+ r2, applied in the epilogue of c/);
  });

  it('a graph above the drawing limit becomes a note carrying its node count', () => {
    const { before } = chainGraphs();
    expect(graphSvg(before, { id: 'b', maxNodes: 2 })).toBe(
      '<p class="note" id="b-skipped" data-op-nodes="3">Graph of 3 nodes not drawn (limit 2); see the tables and the --dot output.</p>');
  });

  it('dot: quotes and escapes every id and label; two graphs become clusters', () => {
    const { before, after } = chainGraphs();
    before.nodes[1]!.name = 'we"ird\\name';
    const dot = graphDot([{ title: 'before', graph: before, marks: new Map() }, { title: 'after', graph: after, marks: new Map() }]);
    expect(dot).toContain('"g0/n:we\\"ird\\\\name" [label="Relu\\nwe\\"ird\\\\name"]');
    expect(dot.match(/subgraph cluster_/g)).toHaveLength(2);
  });

  it('HTML escaping and script-safe JSON', () => {
    expect(esc('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(scriptJson({ s: '</script><!--' })).not.toMatch(/<\/script|<!--/);
  });
});
