// Test: backend kernel selection. Every node maps to a listed kernel or a view; a missing kernel is E_KERNEL naming the node.
// Contract: epilogue folding only for a sole consumer that is not a graph output and only where the target lists it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTarget, validateTarget, type Target } from '../../kernels/target.js';
import { compileGraph, selectAndFold } from '../../src/backend/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DspcError } from '../../src/ir/errors.js';
import { dspcErrorOf } from '../dspc-error.js';
import { convChain } from './util.js';

/** generic-dsp without the named kernels (and without them in any epilogue list). */
function targetWithout(...drop: string[]): Target {
  const t = JSON.parse(readFileSync(new URL('../../targets/generic-dsp.json', import.meta.url), 'utf8')) as Target & { $schema?: string };
  t.kernels = t.kernels.filter((k) => !drop.includes(k.name)).map((k) => ({ ...k, ...(k.epilogue ? { epilogue: k.epilogue.filter((e) => !drop.includes(e)) } : {}) }));
  return validateTarget(t, 'test-target.json');
}

describe('kernel selection', () => {
  it('names the node and the kernel the target lacks', () => {
    const g = convChain([{ op: 'Sigmoid' }]);
    const e = dspcErrorOf(() => selectAndFold(g, targetWithout('sigmoid')));
    expect(e.code).toBe('E_KERNEL');
    expect(e.node).toBe('act0');
    expect(e.message).toContain("node 'act0'");
    expect(e.message).toContain('Sigmoid needs kernel sigmoid');
    expect(e.message).toContain("target 'generic-dsp' does not list");
  });

  it('names an op the library has no kernel for, and counts further failures', () => {
    const g = convChain([{ op: 'Elu' }, { op: 'Softplus' }]);
    const e = dspcErrorOf(() => selectAndFold(g, loadTarget('generic-dsp')));
    expect(e.code).toBe('E_KERNEL');
    expect(e.message).toMatch(/node 'act0'.*op Elu has no kernel in the library/);
    expect(e.message).toContain('1 more node(s) without a kernel: act1 (Softplus)');
  });

  it('folds an activation into its producer only where the target allows and nothing else reads the input', () => {
    const t = loadTarget('generic-dsp');
    const folded = selectAndFold(convChain([{ op: 'Relu' }]), t);
    expect(folded.foldedInto.get('act0')).toBe('conv');
    // Sigmoid is not in conv2d's epilogue list on generic-dsp.
    expect(selectAndFold(convChain([{ op: 'Sigmoid' }]), t).foldedInto.size).toBe(0);
    // Without relu in conv2d's epilogue list it stays a kernel.
    const noEpi = JSON.parse(JSON.stringify(t)) as Target;
    noEpi.kernels.find((k) => k.name === 'conv2d')!.epilogue = [];
    expect(selectAndFold(convChain([{ op: 'Relu' }]), noEpi).foldedInto.size).toBe(0);
  });

  it('does not fold when the producer output fans out or is a graph output', () => {
    const b = new GraphBuilder('fanout');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const w = b.floats('w', [2, 2, 1, 1], [1, 0, 0, 1]);
    const c = b.node('Conv', [x, w], { kernel_shape: [1, 1] }, { name: 'conv' });
    const r = b.node('Relu', [c], {}, { name: 'relu' });
    b.output(b.node('Add', [c, r], {}, { name: 'add' }));
    const t = loadTarget('generic-dsp');
    expect(selectAndFold(b.build(), t).foldedInto.size).toBe(0);
    const b2 = new GraphBuilder('graph_output');
    const x2 = b2.input('x', 'float32', [1, 2, 4, 4]);
    const c2 = b2.node('Conv', [x2, b2.floats('w', [2, 2, 1, 1], [1, 0, 0, 1])], { kernel_shape: [1, 1] }, { name: 'conv' });
    b2.output(c2, b2.node('Relu', [c2], {}, { name: 'relu' }));
    expect(selectAndFold(b2.build(), t).foldedInto.size).toBe(0);
  });

  it('lowers reshape-like nodes to views sharing the producer buffer', () => {
    const b = new GraphBuilder('views');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const c = b.node('Conv', [x, b.floats('w', [2, 2, 1, 1], [1, 0.5, -0.5, 1])], { kernel_shape: [1, 1] }, { name: 'conv' });
    const f = b.node('Flatten', [c], { axis: 1 }, { name: 'flat' });
    const r = b.node('Reshape', [f], { shape: [1, 32, 1, 1] }, { name: 'reshape' });
    b.output(b.node('Relu', [r], {}, { name: 'relu' }));
    const a = compileGraph(b.build(), loadTarget('generic-dsp'));
    const inv = a.schedule.invocations;
    expect(inv.map((i) => i.kernel)).toEqual(['conv2d', 'relu']);
    expect(inv[1]!.inputs[0]!.buffer).toBe(inv[0]!.outputs[0]!.buffer);
    expect(inv[1]!.inputs[0]!.shape).toEqual([1, 32, 1, 1]);
    expect(inv[1]!.inputs[0]!.scale).toBe(inv[0]!.outputs[0]!.scale);
    expect(a.report.rewrites.views).toBe(2);
  });
});
