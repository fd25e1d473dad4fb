// Tests (passes): the Work copy's bookkeeping that the passes rely on but do not show in printed IR.
// Contract: initializers live exactly as long as some node reads them; dropped values leave the value table.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { optimizeGraph } from '../../src/passes/index.js';
import { Work } from '../../src/passes/work.js';
import { CTX, input, mismatch, out } from './helpers.js';

const SHAPE = [1, 2, 2, 2];
const X = input(SHAPE, [-3, -1, -0.5, 0, 0.5, 1, 3, 7]);

/** Optimizes with and without per-pass verification; both must agree with the original and verify. */
function optimized(g: Graph): Graph {
  const shared = optimizeGraph(g, { ...CTX, verify: false }).graph;
  const verified = optimizeGraph(g, CTX).graph;
  for (const r of [shared, verified]) {
    verifyGraph(r, { stage: 'work test' });
    expect(mismatch(out(g, X), out(r, X), 0, 0)).toBeNull();
  }
  expect([...shared.initializers.keys()].sort()).toEqual([...verified.initializers.keys()].sort());
  return shared;
}

describe('initializer lifetimes (reader counts kept by every edit)', () => {
  // why: a fused PRelu gets a new slope tensor; the old ones must go unless another node still reads them
  it('a fused PRelu chain deletes the slopes nobody reads and keeps the one an Add still reads', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', SHAPE);
    b.floats('s1', [2, 1, 1], [0.25, 0.5]);
    b.floats('s2', [2, 1, 1], [0.5, 2]);
    const p1 = b.node('PRelu', [x, 's1'], {}, { name: 'p1' });
    b.output(b.node('PRelu', [p1, 's2'], {}, { name: 'p2' }), b.node('Add', [x, 's2'], {}, { name: 'a' }));
    const r = optimized(b.build());
    expect(r.nodes.map((n) => n.op)).toEqual(['PRelu', 'Add']);
    expect(r.initializers.has('s1')).toBe(false);
    expect(r.values.has('s1')).toBe(false);
    expect(r.initializers.has('s2')).toBe(true);
  });

  // why: removing an Identity on an initializer moves its readers onto the initializer; they must be counted there,
  // or a later fusion would leave the initializer behind (count below zero) or delete it while read (count zero)
  // (two Identities in a row: the second is removed while the first one's rename is still pending)
  it.each([
    ['only the fused PRelu reads it: deleted', false, 1],
    ['an Add reads it too: kept', true, 1],
    ['through two Identities, only the fused PRelu reads it: deleted', false, 2],
    ['through two Identities, an Add reads it too: kept', true, 2],
  ])('an initializer reached through a removed Identity, %s', (_, alsoAdd, copies) => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', SHAPE);
    b.floats('s', [2, 1, 1], [0.25, 0.5]);
    let id = 's';
    for (let k = 0; k < copies; k++) id = b.node('Identity', [id], {}, { name: `copy${k}` });
    const p = b.node('PRelu', [x, id], {}, { name: 'p' });
    const l = b.node('LeakyRelu', [p], { alpha: 0.5 }, { name: 'l' });
    if (alsoAdd) b.output(l, b.node('Add', [x, id], {}, { name: 'a' }));
    else b.output(l);
    const r = optimized(b.build());
    expect(r.nodes.map((n) => n.op)).toEqual(alsoAdd ? ['PRelu', 'Add'] : ['PRelu']);
    expect(r.initializers.has('s')).toBe(alsoAdd);
  });
});

describe('Work edits', () => {
  function relus(): Graph {
    const b = new GraphBuilder('g');
    const r1 = b.node('Relu', [b.input('x', 'float32', SHAPE)], {}, { name: 'r1' });
    b.output(b.node('Relu', [r1], {}, { name: 'r2' }));
    return b.build();
  }

  // why: a value is dropped only after its producer is taken out; dropping it under a live producer is a pass bug
  it('dropping a value whose producer is still live is refused', () => {
    const work = new Work(relus());
    expect(() => work.drop(work.slots[0]!.outputs[0]!, 0)).toThrow(/dropped while its producer is live/);
  });

  // why: dropped names are logged, not hashed, until asked; a name produced again must come back into the table
  it('a dropped value produced again is back in the value table; a dropped one is not', () => {
    const g = relus();
    const [r1, r2] = g.nodes as [Node, Node];
    const again = new Work(g);
    again.remove(1);
    again.remove(0);
    again.drop(r1.outputs[0]!, 0);
    again.place(0, { ...r1, name: 'r1_again', op: 'LeakyRelu', attrs: { alpha: 0.5 } });
    again.place(1, r2);
    const f = again.finish();
    verifyGraph(f, { stage: 'work test' });
    expect(f.values.has(r1.outputs[0]!)).toBe(true);
    expect(f.nodes.map((n) => n.name)).toEqual(['r1_again', 'r2']);

    const gone = new Work(g);
    gone.remove(1);
    gone.remove(0);
    gone.drop(r1.outputs[0]!, 0);
    gone.place(1, { ...r2, inputs: ['x'] });
    const h = gone.finish();
    verifyGraph(h, { stage: 'work test' });
    expect(h.values.has(r1.outputs[0]!)).toBe(false);
    expect(h.nodes.map((n) => n.name)).toEqual(['r2']);
    expect(g.values.has(r1.outputs[0]!)).toBe(true); // the source graph keeps its own table
  });
});

