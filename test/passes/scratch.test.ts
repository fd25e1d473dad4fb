import { it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { optimizeGraph } from '../../src/passes/index.js';
import { printGraph } from '../../src/ir/print.js';
import { CTX } from './helpers.js';
it('scratch', () => {
  const g = new GraphBuilder('pair');
  let v = g.input('x', 'float32', [1,3,4,4]);
  v = g.node('PRelu', [v, g.floats('as', [3,1,1], [0,1.401298464324817e-45,-1.401298464324817e-45])], {}, { name: 'a' });
  v = g.node('MaxPool', [v], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'm0' });
  v = g.node('PRelu', [v, g.floats('bs', [3,1,1], [-1.401298464324817e-45,0,0])], {}, { name: 'b' });
  g.output(v);
  const gr = g.build();
  const { graph, report } = optimizeGraph(gr, CTX);
  console.log(JSON.stringify(report), printGraph(graph));
});
