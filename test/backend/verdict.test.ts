// Test: backend fusion verdict. Every fused activation is compared with its unfused chain on every input code per channel.
// Contract: negative slopes and slopes above 1 are judged exhaustively; rejected merges fall back to the chain in the compiled program.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../kernels/target.js';
import { compileGraph, fusionVerdicts, parseParamsBin } from '../../src/backend/index.js';
import { collectRangesMany, randomSamples } from '../../src/quant/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { convChain, type ActSpec } from './util.js';

const target = loadTarget('generic-dsp');

function verdictOf(chain: ActSpec[], fusedAs: ActSpec, dtype: 'int8' | 'int16' = 'int8', exact = false) {
  const unfused = convChain(chain);
  const fused = convChain(chain, { fusedAs });
  const [unfusedRanges, fusedRanges] = collectRangesMany([unfused, fused], randomSamples(unfused, 1, 2));
  return fusionVerdicts(fused, unfused, { dtype, exact, unfusedRanges: unfusedRanges!, fusedRanges: fusedRanges! });
}

describe('quantized fusion verdict', () => {
  it('negative slope then positive slope: LeakyRelu(-0.5) is bit-exact with the chain (int8 and int16)', () => {
    const chain = [{ op: 'LeakyRelu', attrs: { alpha: -0.5 } }, { op: 'LeakyRelu', attrs: { alpha: 0.3 } }];
    for (const dtype of ['int8', 'int16'] as const) {
      const r = verdictOf(chain, { op: 'LeakyRelu', attrs: { alpha: -0.5 } }, dtype);
      expect(r.verdicts).toHaveLength(1);
      const v = r.verdicts[0]!;
      expect(v).toMatchObject({ node: 'fused', chain: ['act0', 'act1'], chainOps: ['LeakyRelu', 'LeakyRelu'], bitExact: true, maxDiffLsb: 0, accepted: true });
      expect(v.codes).toBe(dtype === 'int8' ? 256 : 65536);
      expect(v.maxErrFusedLsb).toBeLessThanOrEqual(0.51);
      expect(r.graph.nodes.map((n) => n.name)).toEqual(['conv', 'fused']);
    }
  });

  it('slopes above 1 (2 then 1.5 = 3): reports the LSB difference and which side is closer to float', () => {
    const chain = [{ op: 'LeakyRelu', attrs: { alpha: 2 } }, { op: 'LeakyRelu', attrs: { alpha: 1.5 } }];
    const v = verdictOf(chain, { op: 'LeakyRelu', attrs: { alpha: 3 } }).verdicts[0]!;
    expect(v.bitExact).toBe(false);
    expect(v.maxDiffLsb).toBeGreaterThanOrEqual(1);
    expect(v.mismatches).toBeGreaterThanOrEqual(v.fusedCloser + v.unfusedCloser);
    expect(v.fusedCloser + v.unfusedCloser).toBeGreaterThan(0);
    // One requantization instead of two: the fused kernel's worst error is no larger than the chain's.
    expect(v.maxErrFusedLsb).toBeLessThanOrEqual(v.maxErrUnfusedLsb);
    expect(v.accepted).toBe(v.unfusedCloser === 0);
    expect(['fused', 'unfused', 'mixed']).toContain(v.closer);
  });

  it('per-channel PRelu chains are enumerated per channel', () => {
    const chain = [{ op: 'Relu' }, { op: 'PRelu', slopes: [0.1, 0.2, 0.3, 0.4] }];
    const v = verdictOf(chain, { op: 'Relu' }).verdicts[0]!;
    expect(v.channels).toBe(4);
    expect(v.bitExact).toBe(true);
    const neg = [{ op: 'PRelu', slopes: [-0.5, 0.25, 2, 1] }, { op: 'PRelu', slopes: [0.5, -1, 0.5, 3] }];
    const w = verdictOf(neg, { op: 'PRelu', slopes: [-0.5, 0.25, 2, 3] }).verdicts[0]!;
    expect(w.channels).toBe(4);
    expect(w.codes).toBe(256);
  });

  it('--exact rejects a non-bit-exact merge and the compile falls back to the unfused chain', () => {
    const chain = [{ op: 'LeakyRelu', attrs: { alpha: 2 } }, { op: 'LeakyRelu', attrs: { alpha: 1.5 } }];
    const unfused = convChain(chain);
    const fused = convChain(chain, { fusedAs: { op: 'LeakyRelu', attrs: { alpha: 3 } } });
    const strict = compileGraph(fused, target, { unfused, exact: true });
    expect(strict.report.fusion[0]).toMatchObject({ accepted: false });
    expect(strict.report.fusion[0]!.reason).toMatch(/--exact/);
    expect(strict.report.rewrites.verdictFallbacks).toBe(1);
    verifyGraph(strict.graph);
    expect(strict.graph.nodes.map((n) => n.op)).toEqual(['Conv', 'LeakyRelu', 'LeakyRelu']);
    expect(strict.graph.nodes.slice(1).map((n) => n.origin)).toEqual([['act0'], ['act1']]);
    expect(strict.report.kernels.after).toBe(strict.report.kernels.before);
    const exactChain = [{ op: 'LeakyRelu', attrs: { alpha: -0.5 } }, { op: 'LeakyRelu', attrs: { alpha: 0.3 } }];
    const ok = compileGraph(convChain(exactChain, { fusedAs: { op: 'LeakyRelu', attrs: { alpha: -0.5 } } }), target, { unfused: convChain(exactChain), exact: true });
    expect(ok.report.fusion[0]!.accepted).toBe(true);
    expect(ok.report.kernels.after).toBe(ok.report.kernels.before - 1);
  });

  it('a fallback program computes exactly what the unfused program computes', () => {
    const chain = [{ op: 'LeakyRelu', attrs: { alpha: 2 } }, { op: 'LeakyRelu', attrs: { alpha: 1.5 } }];
    const unfused = convChain(chain);
    const a = compileGraph(convChain(chain, { fusedAs: { op: 'LeakyRelu', attrs: { alpha: 3 } } }), target, { unfused, exact: true });
    const b = compileGraph(unfused, target);
    const recs = (bin: Uint8Array) => parseParamsBin(bin, 'params.bin').records.map((r) => [r.kernel, r.field, Array.from(r.data)]);
    expect(recs(a.paramsBin)).toEqual(recs(b.paramsBin));
    const strip = (s: typeof a.schedule) => s.invocations.map((i) => ({ k: i.kernel, p: i.params.map((p) => p.count), io: [...i.inputs, ...i.outputs].map((r) => [r.scale, r.zeroPoint]) }));
    expect(strip(a.schedule)).toEqual(strip(b.schedule));
  });
});

describe('quantized fusion verdict and recognised elementwise ops', () => {
  // Relu -> LeakyRelu -> Max(x, 0.5*x) fused into one node: its unfused activation kernels (Relu, LeakyRelu) are not
  // the whole of what it replaced, so judging (or falling back to) them alone would drop the Max
  it('a fused node that also stands for recognised elementwise ops is not judged against a partial chain', () => {
    const build = (fused: boolean) => {
      const b = new GraphBuilder('rec');
      const x = b.input('x', 'float32', [1, 2, 2, 2]);
      if (fused) {
        b.output(b.node('Relu', [x], {}, { name: 'root' }));
        const g = b.build();
        g.nodes[0]!.origin = ['act0', 'act1', 'mul', 'root'];
        return g;
      }
      const a1 = b.node('LeakyRelu', [b.node('Relu', [x], {}, { name: 'act0' })], { alpha: 0.1 }, { name: 'act1' });
      b.output(b.node('Max', [a1, b.node('Mul', [a1, b.floats('half', [1], [0.5])], {}, { name: 'mul' })], {}, { name: 'root' }));
      return b.build();
    };
    const unfused = build(false), fused = build(true);
    const [unfusedRanges, fusedRanges] = collectRangesMany([unfused, fused], randomSamples(unfused, 1, 2));
    const r = fusionVerdicts(fused, unfused, { dtype: 'int8', exact: false, unfusedRanges: unfusedRanges!, fusedRanges: fusedRanges! });
    expect(r.verdicts).toEqual([]);
    expect(r.graph).toBe(fused);
  });
});
