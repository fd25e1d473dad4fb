// Tests (IR): the verifier rejects each kind of broken graph with a message naming the node, problem and stage.
// Contract: graphs are built valid, then broken by hand the way a buggy pass would break them.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DspcError, type DspcErrorCode } from '../../src/ir/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import { cloneGraph } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/infer.js';
import { verifyGraph } from '../../src/ir/verify.js';

/** x -> conv -> relu -> leaky -> out, with a PRelu-free chain so every check has a target. */
function base(): Graph {
  const b = new GraphBuilder('v');
  const x = b.input('x', 'float32', [1, 2, 4, 4]);
  b.floats('w', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]);
  const c = b.node('Conv', [x, 'w'], { kernel_shape: [1, 1] }, { name: 'conv' });
  const r = b.node('Relu', [c], {}, { name: 'relu' });
  const l = b.node('LeakyRelu', [r], { alpha: 0.5 }, { name: 'leaky' });
  b.output(l);
  return b.build();
}

function failure(g: Graph, opts?: { stage?: string; file?: string }): DspcError {
  try {
    verifyGraph(g, opts);
  } catch (e) {
    if (e instanceof DspcError) return e;
    throw e;
  }
  throw new Error('verifyGraph accepted a broken graph');
}

function expectFailure(g: Graph, code: DspcErrorCode, node: string | undefined, text: RegExp): void {
  const e = failure(g);
  expect(e.code).toBe(code);
  expect(e.node).toBe(node);
  if (node) expect(e.message).toContain(`node '${node}'`);
  expect(e.message).toMatch(text);
}

describe('verifyGraph', () => {
  it('accepts a valid graph', () => {
    expect(() => verifyGraph(base())).not.toThrow();
  });

  it('rejects a cycle, naming a node on it', () => {
    const g = base();
    g.nodes[1]!.inputs[0] = 'leaky'; // relu now reads leaky, which reads relu
    const e = failure(g);
    expect(e.code).toBe('E_GRAPH');
    expect(e.message).toMatch(/cycle: (relu -> leaky -> relu|leaky -> relu -> leaky)/);
    expect(['relu', 'leaky']).toContain(e.node);
  });

  it('rejects nodes out of topological order (no cycle)', () => {
    const g = base();
    [g.nodes[1], g.nodes[2]] = [g.nodes[2]!, g.nodes[1]!];
    expectFailure(g, 'E_GRAPH', 'leaky', /input 'relu' is produced later by node 'relu'/);
  });

  it('rejects an undefined input', () => {
    const g = base();
    g.nodes[2]!.inputs[0] = 'ghost';
    expectFailure(g, 'E_GRAPH', 'leaky', /input 'ghost' is not defined/);
  });

  it('rejects a value defined twice', () => {
    const g = base();
    g.nodes[2]!.outputs[0] = 'relu';
    expectFailure(g, 'E_GRAPH', 'leaky', /output 'relu' is already defined by node 'relu'/);
  });

  it('rejects a node output shadowing a graph input', () => {
    const g = base();
    g.nodes[1]!.outputs[0] = 'x';
    expectFailure(g, 'E_GRAPH', 'relu', /output 'x' is already defined by a graph input/);
  });

  it('rejects duplicate node names', () => {
    const g = base();
    g.nodes[2]!.name = 'relu';
    expectFailure(g, 'E_GRAPH', 'relu', /node name is not unique/);
  });

  it('rejects a stored shape that disagrees with inference', () => {
    const g = base();
    g.values.set('relu', { name: 'relu', dtype: 'float32', shape: [1, 3, 4, 5] });
    expectFailure(g, 'E_GRAPH', 'relu', /output 'relu' is stored as float32\[1,3,4,5\] but its inputs give float32\[1,3,4,4\]/);
  });

  it('rejects inconsistent input shapes (a pass swapped a weight)', () => {
    const g = base();
    g.initializers.set('w', { dtype: 'float32', dims: [3, 5, 1, 1], data: new Float32Array(15) });
    g.values.set('w', { name: 'w', dtype: 'float32', shape: [3, 5, 1, 1] });
    expectFailure(g, 'E_GRAPH', 'conv', /needs 5 input channels, input has 2/);
  });

  it('rejects an attribute of the wrong type', () => {
    const g = base();
    g.nodes[2]!.attrs.alpha = [0.5];
    expectFailure(g, 'E_ATTR', 'leaky', /attribute 'alpha' must be float/);
  });

  it('rejects an invalid attribute value (non-finite slope)', () => {
    const g = base();
    g.nodes[2]!.attrs.alpha = Infinity;
    expectFailure(g, 'E_ATTR', 'leaky', /alpha.*finite/);
  });

  it('rejects unknown attributes and missing required ones', () => {
    const g = base();
    g.nodes[1]!.attrs.alpha = 1;
    expectFailure(g, 'E_ATTR', 'relu', /Relu has no attribute 'alpha'/);
    const h = base();
    delete h.nodes[0]!.attrs.kernel_shape;
    expectFailure(h, 'E_ATTR', 'conv', /required attribute 'kernel_shape' missing/);
  });

  it('rejects unknown ops and wrong arity', () => {
    const g = base();
    g.nodes[1]!.op = 'Frobnicate';
    expectFailure(g, 'E_UNSUPPORTED', 'relu', /unknown op type 'Frobnicate'/);
    const h = base();
    h.nodes[1]!.inputs.push('x');
    expectFailure(h, 'E_GRAPH', 'relu', /Relu takes 1 inputs, got 2/);
  });

  it('rejects an undefined graph output and stale type entries', () => {
    const g = base();
    g.outputs.push({ name: 'nowhere', dtype: 'float32', shape: [1] });
    expectFailure(g, 'E_GRAPH', undefined, /graph output 'nowhere' is not defined/);
    const h = base();
    h.values.set('stale', { name: 'stale', dtype: 'float32', shape: [1] });
    expectFailure(h, 'E_GRAPH', undefined, /value 'stale' has a stored type but no definition/);
  });

  it('rejects tensors beyond 2^31 elements before anything is allocated', () => {
    const b = new GraphBuilder('huge');
    const x = b.input('x', 'float32', [65536, 65536]);
    b.output(b.node('Reshape', [x], { shape: [65536, 65536, 1] }, { name: 'big' }));
    expect(() => b.build()).toThrow(/node 'big': Reshape: output \[65536,65536,1\] has 4294967296 elements/);
  });

  it('names the stage and file in order', () => {
    const g = base();
    g.nodes[2]!.inputs[0] = 'ghost';
    const e = failure(g, { stage: 'fuse-activations', file: 'm.onnx' });
    expect(e.message).toBe("m.onnx: after pass 'fuse-activations': node 'leaky': input 'ghost' is not defined");
    expect(e.stage).toBe('fuse-activations');
  });

  it('inferShapes repairs what a pass left stale, so verify passes again', () => {
    const g = cloneGraph(base());
    g.nodes.splice(2, 1); // remove leaky; relu becomes the output
    g.outputs = [{ name: 'relu', dtype: 'float32', shape: [1, 3, 4, 4] }];
    expect(() => verifyGraph(g)).toThrow(/value 'leaky' has a stored type but no definition/);
    inferShapes(g);
    expect(() => verifyGraph(g)).not.toThrow();
  });

  it('finds a long cycle without overflowing the stack', () => {
    const b = new GraphBuilder('long');
    let v = b.input('x', 'float32', [4]);
    for (let i = 0; i < 50000; i++) v = b.node('Relu', [v]); // far deeper than the JS call stack
    b.output(v);
    const g = b.build();
    g.nodes[0]!.inputs[0] = v;
    expect(failure(g).message).toMatch(/cycle/);
  });
});
