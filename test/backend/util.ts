// Test helper: backend. Small graphs for backend tests: a conv followed by an activation chain, and its hand-fused twin.
// Contract: deterministic weights from a seeded PRNG; fused twins carry origin lists as the fusion pass writes them.

import { GraphBuilder } from '../../src/ir/builder.js';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import { mulberry32 } from '../../src/quant/index.js';

export interface ActSpec {
  op: string;
  attrs?: Record<string, AttrValue>;
  /** PRelu slopes, one per channel. */
  slopes?: number[];
}

function randoms(n: number, seed: number, scale = 1): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** input [1,C,H,W] -> Conv 3x3 -> activations -> output. `fusedAs` replaces the chain by one node with origin. */
export function convChain(chain: ActSpec[], opts: { channels?: number; fusedAs?: ActSpec; name?: string } = {}): Graph {
  const c = opts.channels ?? 4;
  const b = new GraphBuilder(opts.name ?? 'conv_chain');
  const x = b.input('x', 'float32', [1, 3, 8, 8]);
  const w = b.floats('w', [c, 3, 3, 3], randoms(c * 27, 7, 0.5));
  const bias = b.floats('b', [c], randoms(c, 8, 0.1));
  let v = b.node('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  const acts = opts.fusedAs ? [opts.fusedAs] : chain;
  acts.forEach((a, i) => {
    const name = opts.fusedAs ? 'fused' : `act${i}`;
    const ins = [v];
    if (a.slopes) ins.push(b.floats(`${name}_slope`, [c, 1, 1], a.slopes));
    const origin = opts.fusedAs ? chain.map((_, k) => `act${k}`) : undefined;
    v = b.node(a.op, ins, a.attrs ?? {}, { name, ...(origin ? { origin } : {}), outputs: [i === acts.length - 1 ? 'y' : `${name}_out`] });
  });
  b.output(v);
  return b.build();
}
