import { it } from 'vitest';
import { optimizeGraph } from '../../src/passes/index.js';
import { printGraph } from '../../src/ir/print.js';
import { chainGraph, CTX } from './helpers.js';
it('scratch', () => {
  const steps = [{"op":"Clip","attrs":{"min":-2.802596928649634e-45,"max":0}},{"op":"Clip","attrs":{"max":-1.401298464324817e-45}},{"op":"PRelu","slope":{"dims":[1],"values":[1.401298464324817e-45]}},{"op":"Clip","attrs":{"min":0,"max":Number.NEGATIVE_INFINITY}},{"op":"PRelu","slope":{"dims":[4],"values":[0,1,0,-0.00009999999747378752]}},{"op":"LeakyRelu","attrs":{"alpha":1}}];
  const g = chainGraph([1,3,2,4], steps);
  const { graph, report } = optimizeGraph(g, CTX);
  console.log(JSON.stringify(report), printGraph(graph));
});
import { Work } from '../../src/passes/work.js';
import { RangeAnalysis } from '../../src/passes/value-range.js';
it('range', () => {
  const steps = [{"op":"Clip","attrs":{"min":0,"max":Number.NEGATIVE_INFINITY}}];
  const g = chainGraph([1,3,2,4], steps);
  const r = new RangeAnalysis(new Work(g));
  console.log('RANGE', r.rangeOf('s0'));
});
import { findChains, composeSegment } from '../../src/passes/chains.js';
import { chooseKernel } from '../../src/passes/kernel-choice.js';
it('seg', () => {
  const steps = [{"op":"Clip","attrs":{"min":-2.802596928649634e-45,"max":0}},{"op":"Clip","attrs":{"max":-1.401298464324817e-45}},{"op":"PRelu","slope":{"dims":[1],"values":[1.401298464324817e-45]}},{"op":"Clip","attrs":{"min":0,"max":Number.NEGATIVE_INFINITY}},{"op":"PRelu","slope":{"dims":[4],"values":[0,1,0,-0.00009999999747378752]}},{"op":"LeakyRelu","attrs":{"alpha":1}}];
  const g = chainGraph([1,3,2,4], steps);
  const w = new Work(g);
  const r = new RangeAnalysis(w);
  const ch = findChains(w)[0]!;
  console.log('RANGE3', r.rangeOf('s3'), r.rangeOf('s2'));
  const c = composeSegment(w, r, ch.members, 4, 5);
  console.log('SEG', JSON.stringify(chooseKernel(c, CTX.target.activationKernels)), c.elems[0]!.neg);
});
