// Tests: simulator cycle model. Formulas pinned on hand-computed cases per preset, the DMA timeline, and monotonicity properties.
// Contract: expected numbers below are worked by hand from the preset figures (docs/cost-model.md "Cycle model"), never from the code.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KERNELS } from '../../kernels/index.js';
import { loadTarget } from '../../kernels/target.js';
import type { Target } from '../../kernels/target.js';
import type { Invocation, QDType } from '../../kernels/types.js';
import { estimateSchedule, invocationCost } from '../../src/sim/cycles.js';
import { speedupOf } from '../../src/sim/report.js';
import { activationInvocation, buffers, chain, convInvocation } from './helpers.js';

const def = (inv: Invocation) => KERNELS.get(inv.kernel)!;

/** Total cycles of a schedule whose tensors all live in the target's first (fastest) memory level. */
function total(invs: Invocation[], t: Target, dtype: QDType = 'int8', free = false): number {
  const chained = chain(invs);
  return estimateSchedule(chained, chained.map(def), t, buffers(t.memories[0]!.name, chained.length + 1), dtype,
    free ? { free: (_i, d) => d.role === 'activation' } : {}).cycles;
}

function cost(inv: Invocation, t: Target) {
  return invocationCost(inv, def(inv), t, buffers(t.memories[0]!.name));
}

// The four cases: conv 1x8x16x16 -> 16 channels, 3x3, pad 1 (MACs 16*16*16*8*9 = 294912; params 1152 weight bytes +
// 3*16*4 bias/multiplier/shift + 8 clamp = 1352 B); depthwise 16 channels 3x3 pad 1 (params 144 + 192 + 8 = 344 B);
// standalone Relu over 1x16x16x16 (4096 B in, 4096 B out, 6 int32 = 24 B table); the conv with Relu folded in
// (1352 + 24 = 1376 B). Positions = 16*16*9 = 2304, pixels = 256. Formulas (docs/cost-model.md):
//   conv MAC cycles = positions * ceil(OC/lanes) * ceil(C/depth), depth = macs/lanes; depthwise = positions * ceil(C/lanes)
//   output stage = pixels * ceil(OC/lanes) * 1 (conv2d cyclesPerVector default 1)
//   memory = ceil(bytes / bytesPerCycle) + latency   (conv: 2048 + 4096 B, dw and relu: 4096 + 4096 B)
//   dma = ceil(paramBytes / dmaBytesPerCycle) + latency of the parameter memory
//   one-invocation program = dma + launch + max(compute, memory)
interface Case { compute: number; memory: number; dma: number; cycles: number }
const EXPECTED: Record<string, { conv: Case; dw: Case; relu: Case; folded: Case }> = {
  // lanes 32, 64 MACs (depth 2), sram 32 B/c lat 2, params dram DMA 8 B/c lat 100, launch 100
  'generic-dsp': {
    conv: { compute: 2304 * 1 * 4 + 256, memory: 192 + 2, dma: 169 + 100, cycles: 269 + 100 + 9472 }, // 9472, 194, 269, 9841
    dw: { compute: 2304 + 256, memory: 256 + 2, dma: 43 + 100, cycles: 143 + 100 + 2560 },
    relu: { compute: 256, memory: 256 + 2, dma: 3 + 100, cycles: 103 + 100 + 258 },
    folded: { compute: 9472, memory: 194, dma: 172 + 100, cycles: 272 + 100 + 9472 },
  },
  // lanes 8, 128 MACs (depth 16), sram 8 B/c lat 32, params flash DMA 1 B/c lat 64, launch 64
  'ethos-u55-128': {
    conv: { compute: 2304 * 2 * 1 + 256 * 2, memory: 768 + 32, dma: 1352 + 64, cycles: 1416 + 64 + 5120 },
    dw: { compute: 2304 * 2 + 512, memory: 1024 + 32, dma: 344 + 64, cycles: 408 + 64 + 5120 },
    relu: { compute: 512, memory: 1024 + 32, dma: 24 + 64, cycles: 88 + 64 + 1056 },
    folded: { compute: 5120, memory: 800, dma: 1376 + 64, cycles: 1440 + 64 + 5120 },
  },
  // lanes 16, 32 MACs (depth 2), dram0 32 B/c lat 1, params sysmem DMA 8 B/c lat 80, launch 300
  hifi5: {
    conv: { compute: 2304 * 1 * 4 + 256, memory: 192 + 1, dma: 169 + 80, cycles: 249 + 300 + 9472 },
    dw: { compute: 2304 + 256, memory: 256 + 1, dma: 43 + 80, cycles: 123 + 300 + 2560 },
    relu: { compute: 256, memory: 256 + 1, dma: 3 + 80, cycles: 83 + 300 + 257 },
    folded: { compute: 9472, memory: 193, dma: 172 + 80, cycles: 252 + 300 + 9472 },
  },
  // lanes 64, 256 MACs (depth 4), dram 128 B/c lat 1, params sysmem DMA 16 B/c lat 100, launch 400
  'vision-p6': {
    conv: { compute: 2304 * 1 * 2 + 256, memory: 48 + 1, dma: 85 + 100, cycles: 185 + 400 + 4864 },
    dw: { compute: 2304 + 256, memory: 64 + 1, dma: 22 + 100, cycles: 122 + 400 + 2560 },
    relu: { compute: 256, memory: 64 + 1, dma: 2 + 100, cycles: 102 + 400 + 256 },
    folded: { compute: 4864, memory: 49, dma: 86 + 100, cycles: 186 + 400 + 4864 },
  },
};

const CASES = {
  conv: () => convInvocation({ c: 8, oc: 16, h: 16, w: 16, k: 3, pad: 1 }),
  dw: () => convInvocation({ c: 16, oc: 16, h: 16, w: 16, k: 3, pad: 1, group: 16 }),
  relu: () => activationInvocation('relu', [1, 16, 16, 16]),
  folded: () => convInvocation({ c: 8, oc: 16, h: 16, w: 16, k: 3, pad: 1, epilogue: 'relu' }),
};

describe('hand-computed cost per preset', () => {
  for (const [preset, cases] of Object.entries(EXPECTED)) {
    const t = loadTarget(preset);
    for (const [name, want] of Object.entries(cases)) {
      it(`${preset}: ${name}`, () => {
        const inv = CASES[name as keyof typeof CASES]();
        const c = cost(inv, t);
        expect({ compute: c.compute, memory: c.memory, dma: c.dma }).toEqual({ compute: want.compute, memory: want.memory, dma: want.dma });
        expect(c.launch).toBe(t.kernelLaunchCycles);
        expect(total([inv], t)).toBe(want.cycles);
      });
    }
  }

  it('a folded activation costs max(output stage, activation) per vector, not the sum', () => {
    const t = loadTarget('generic-dsp');
    // leaky_relu runs at 2 cycles/vector against the output stage's 1: 256 vectors -> max(256, 512) = 512
    const c = cost(convInvocation({ c: 8, oc: 16, h: 16, w: 16, k: 3, pad: 1, epilogue: 'leaky_relu' }), t);
    expect(c.compute).toBe(9216 + 512);
  });

  it('reports MACs, bytes per memory level and utilisation', () => {
    const t = loadTarget('generic-dsp');
    const inv = chain([CASES.conv()]);
    const e = estimateSchedule(inv, inv.map(def), t, buffers('sram', 2), 'int8');
    const k = e.kernels[0]!;
    expect(k.macs).toBe(294912);
    expect(k.bytes).toEqual({ sram: 6144 });
    expect(k.paramBytes).toBe(1352);
    expect(k.utilisation).toBeCloseTo(294912 / (9841 * 64), 12);
    expect(k.bound).toBe('compute');
  });

  it('charges each memory level separately and takes the slowest', () => {
    const t = loadTarget('generic-dsp');
    const inv = CASES.relu();
    const bufs = [{ id: 0, name: 'a', bytes: 4096, memory: 'sram', offset: 0 }, { id: 1, name: 'b', bytes: 4096, memory: 'dram', offset: 0 }];
    const c = invocationCost(inv, def(inv), t, bufs);
    // sram: 4096/32 + 2 = 130; dram: 4096/8 + 100 = 612
    expect(c.memoryByLevel).toEqual({ sram: 130, dram: 612 });
    expect(c.memory).toBe(612);
  });
});

describe('parameter DMA timeline', () => {
  const base = loadTarget('generic-dsp');
  it('double buffering hides the next kernel\'s table load under the current kernel', () => {
    // conv: 269 DMA + 9572 own; relu's 103-cycle DMA runs during the conv: 269 + 9572 + 358
    expect(total([CASES.conv(), CASES.relu()], base)).toBe(10199);
  });
  it('without double buffering every load stalls', () => {
    const t: Target = { ...base, paramMemory: { ...base.paramMemory, doubleBuffered: false } };
    expect(total([CASES.conv(), CASES.relu()], t)).toBe(10199 + 103);
  });
  it('the ideal limit costs standalone activations nothing', () => {
    expect(total([CASES.conv(), CASES.relu()], base, 'int8', true)).toBe(9841);
  });
  it('total is the sum of per-kernel cycles and each kernel starts where the previous ended', () => {
    const invs = chain([CASES.conv(), CASES.relu(), CASES.dw(), CASES.relu()]);
    const e = estimateSchedule(invs, invs.map(def), base, buffers('sram', 5), 'int8');
    expect(e.kernels.reduce((s, k) => s + k.cycles, 0)).toBe(e.cycles);
    e.kernels.forEach((k, i) => expect(k.start).toBe((i === 0 ? 0 : e.kernels[i - 1]!.end) + k.dmaStall));
  });
});

describe('speedup and fraction of the ideal gain', () => {
  it('defines speedup = U/F and ofIdeal = (U-F)/(U-I)', () => {
    expect(speedupOf(100, 80, 60)).toEqual({ speedup: 1.25, ofIdeal: 0.5 });
    expect(speedupOf(100, 60, 60)).toEqual({ speedup: 100 / 60, ofIdeal: 1 });
    expect(speedupOf(100, 100, 60)).toEqual({ speedup: 1, ofIdeal: 0 });
    expect(speedupOf(100, 120, 60).ofIdeal).toBe(-0.5);
  });
  it('no possible gain: 1 when nothing changed, null when fusion made it slower', () => {
    expect(speedupOf(100, 100, 100)).toEqual({ speedup: 1, ofIdeal: 1 });
    expect(speedupOf(100, 110, 110)).toEqual({ speedup: 100 / 110, ofIdeal: null });
  });
});

describe('monotonicity (fast-check)', () => {
  const presets = ['generic-dsp', 'ethos-u55-128', 'hifi5', 'vision-p6'].map((p) => loadTarget(p));
  const target = fc.constantFrom(...presets);
  const dtype = fc.constantFrom<QDType>('int8', 'int16');

  it('more channels never give fewer cycles (conv, depthwise, activation)', () => {
    fc.assert(fc.property(target, dtype, fc.integer({ min: 1, max: 96 }), fc.integer({ min: 1, max: 96 }),
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 24 }), fc.constantFrom(1, 3, 5), fc.constantFrom(1, 2),
      (t, dt, c, oc, extra, hw, k, stride) => {
        const conv = (cc: number, oo: number) => total([convInvocation({ c: cc, oc: oo, h: hw + k, w: hw + k, k, stride, dtype: dt })], t, dt);
        expect(conv(c + extra, oc)).toBeGreaterThanOrEqual(conv(c, oc));
        expect(conv(c, oc + extra)).toBeGreaterThanOrEqual(conv(c, oc));
        const dw = (cc: number) => total([convInvocation({ c: cc, oc: cc, group: cc, h: hw + k, w: hw + k, k, stride, dtype: dt })], t, dt);
        expect(dw(c + extra)).toBeGreaterThanOrEqual(dw(c));
        for (const act of ['relu', 'leaky_relu', 'prelu', 'clip']) {
          const a = (cc: number) => total([activationInvocation(act, [1, cc, hw, hw], dt)], t, dt);
          expect(a(c + extra)).toBeGreaterThanOrEqual(a(c));
        }
      }), { numRuns: 300 });
  });

  it('bigger tensors are never faster (spatial size, batch, folded epilogue)', () => {
    fc.assert(fc.property(target, dtype, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 16 }), fc.constantFrom(1, 3), fc.constantFrom(undefined, 'relu', 'clip'),
      (t, dt, c, oc, hw, extra, k, epi) => {
        const spec = { c, oc, k, pad: (k - 1) / 2, dtype: dt, ...(epi && t.kernels.find((x) => x.name === 'conv2d')?.epilogue?.includes(epi) ? { epilogue: epi } : {}) };
        const conv = (h: number, w: number, n = 1) => total([convInvocation({ ...spec, n, h, w })], t, dt);
        expect(conv(hw + extra, hw)).toBeGreaterThanOrEqual(conv(hw, hw));
        expect(conv(hw, hw + extra)).toBeGreaterThanOrEqual(conv(hw, hw));
        expect(conv(hw, hw, 2)).toBeGreaterThanOrEqual(conv(hw, hw));
        const relu = (h: number) => total([activationInvocation('relu', [1, c, h, hw], dt)], t, dt);
        expect(relu(hw + extra)).toBeGreaterThanOrEqual(relu(hw));
      }), { numRuns: 300 });
  });
});
