// Tests: kernel library / cost formulas. work() pinned on hand-computed cases for every preset, plus monotonicity.
// Why: the simulator's cycle model is only as good as these numbers; each literal below is worked out in the comment.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../kernels/index.js';
import { listTargets, loadTarget } from '../../kernels/target.js';
import type { Invocation, QDType, QuantParams } from '../../kernels/types.js';
import { inv, ref } from './helpers.js';

const q8: QuantParams = { scale: 0.1, zeroPoint: 0, dtype: 'int8' };

function conv(cIn: number, cOut: number, group: number, hw = 8, dtype: QDType = 'int8', k = 3): Invocation {
  const q = { ...q8, dtype };
  return inv('conv2d', [ref([1, cIn, hw, hw], q)], [ref([1, cOut, hw, hw], q)],
    { kernel_shape: [k, k], strides: [1, 1], pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2], dilations: [1, 1], group });
}

function relu(c: number, hw = 8, dtype: QDType = 'int8'): Invocation {
  const q = { ...q8, dtype };
  return inv('relu', [ref([1, c, hw, hw], q)], [ref([1, c, hw, hw], q)]);
}

/**
 * Hand-computed per preset (lanes L, MAC depth D = macsPerCycle / L):
 *   conv 16 -> 32, 3x3, 8x8 output:  MACs 8*8*32*16*9 = 294912; MAC cycles 64*9*ceil(32/L)*ceil(16/D);
 *                                     output stage 64*ceil(32/L) vectors * 1
 *   depthwise 32, 3x3, 8x8:           MACs 8*8*32*9 = 18432; MAC cycles 64*9*ceil(32/L); output stage as above
 *   relu on [1,32,8,8]:               64*ceil(32/L) vectors * cyclesPerVector(relu)
 *   relu folded into the conv:        epilogueCycles = 64*ceil(32/L) * cyclesPerVector(relu)
 */
const EXPECTED: Record<string, { conv: number; dw: number; relu: number; folded: number }> = {
  // L=32, D=2: conv 64*9*1*8 + 64 = 4672; dw 64*9*1 + 64 = 640; relu 64*1*1 = 64
  'generic-dsp': { conv: 4672, dw: 640, relu: 64, folded: 64 },
  // L=8, D=16: conv 64*9*4*1 + 256 = 2560; dw 64*9*4 + 256 = 2560; relu 64*4*1 = 256
  'ethos-u55-128': { conv: 2560, dw: 2560, relu: 256, folded: 256 },
  // L=16, D=2: conv 64*9*2*8 + 128 = 9344; dw 64*9*2 + 128 = 1280; relu 64*2*1 = 128
  hifi5: { conv: 9344, dw: 1280, relu: 128, folded: 128 },
  // L=64, D=4: conv 64*9*1*4 + 64 = 2368; dw 64*9*1 + 64 = 640; relu 64*1*1 = 64
  'vision-p6': { conv: 2368, dw: 640, relu: 64, folded: 64 },
};

describe('work() on hand-computed cases', () => {
  for (const [id, e] of Object.entries(EXPECTED)) {
    it(id, () => {
      const t = loadTarget(id);
      const c = KERNELS.get('conv2d')!.work(conv(16, 32, 1), t);
      expect(c.macs).toBe(294912);
      expect(c.computeCycles).toBe(e.conv);
      expect(c.inputBytes).toEqual([16 * 64]);
      expect(c.outputBytes).toEqual([32 * 64]);
      expect(c.epilogueCycles).toBeUndefined();
      const d = KERNELS.get('conv2d')!.work(conv(32, 32, 32), t);
      expect(d.macs).toBe(18432);
      expect(d.computeCycles).toBe(e.dw);
      const r = KERNELS.get('relu')!.work(relu(32), t);
      expect(r).toEqual({ macs: 0, computeCycles: e.relu, inputBytes: [2048], outputBytes: [2048], paramBytes: 0 });
      const folded = conv(16, 32, 1);
      folded.epilogue = { kernel: 'relu', node: 'r', attrs: {}, params: [{ name: 'in_zp', record: 1, offset: 0, bytes: 4, dtype: 'int32', count: 1 }] };
      const f = KERNELS.get('conv2d')!.work(folded, t);
      expect(f.epilogueCycles).toBe(e.folded);
      expect(f.computeCycles).toBe(e.conv); // the epilogue is reported apart, never summed in
      expect(f.paramBytes).toBe(4);
    });
  }
  it('int16 uses the int16 lanes and MAC rate (generic-dsp: L=16, D=2: 64*9*2*8 + 64*2 = 9344)', () => {
    expect(KERNELS.get('conv2d')!.work(conv(16, 32, 1, 8, 'int16'), loadTarget('generic-dsp')).computeCycles).toBe(9344);
    expect(KERNELS.get('relu')!.work(relu(32, 8, 'int16'), loadTarget('generic-dsp')).outputBytes).toEqual([4096]);
  });
  it('parameter bytes are the sum of the invocation tables', () => {
    const i = conv(16, 32, 1);
    i.params = [{ name: 'weights', record: 0, offset: 0, bytes: 4608, dtype: 'int8', count: 4608 }, { name: 'bias', record: 1, offset: 0, bytes: 128, dtype: 'int32', count: 32 }];
    expect(KERNELS.get('conv2d')!.work(i, loadTarget('hifi5')).paramBytes).toBe(4736);
  });
});

describe('monotonicity on every preset', () => {
  const targets = listTargets();
  it('more channels never fewer cycles (conv, depthwise, fc, relu, pools, add)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 40 }), (c, cOut, extra) => {
      for (const t of targets) {
        const w = (i: Invocation): number => KERNELS.get(i.kernel)!.work(i, t).computeCycles;
        if (w(conv(c, cOut, 1, 4)) > w(conv(c + extra, cOut, 1, 4)) || w(conv(c, cOut, 1, 4)) > w(conv(c, cOut + extra, 1, 4))) return false;
        if (w(conv(c, c, c, 4)) > w(conv(c + extra, c + extra, c + extra, 4))) return false;
        if (w(relu(c, 4)) > w(relu(c + extra, 4))) return false;
        const fcInv = (k: number, o: number): Invocation => inv('fully_connected', [ref([1, k], q8)], [ref([1, o], q8)]);
        if (w(fcInv(c, cOut)) > w(fcInv(c + extra, cOut)) || w(fcInv(c, cOut)) > w(fcInv(c, cOut + extra))) return false;
        const pool = (ch: number): Invocation => inv('maxpool', [ref([1, ch, 4, 4], q8)], [ref([1, ch, 2, 2], q8)], { kernel_shape: [2, 2], strides: [2, 2] });
        if (w(pool(c)) > w(pool(c + extra))) return false;
        const add = (ch: number): Invocation => inv('add', [ref([1, ch, 4, 4], q8), ref([1, ch, 4, 4], q8)], [ref([1, ch, 4, 4], q8)]);
        if (w(add(c)) > w(add(c + extra))) return false;
      }
      return true;
    }), { numRuns: 200 });
  });
  it('bigger tensors are never faster, and never move fewer bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 10 }), (c, hw, extra) => {
      for (const t of targets) {
        for (const [a, b] of [[conv(c, c, 1, hw), conv(c, c, 1, hw + extra)], [conv(c, c, c, hw), conv(c, c, c, hw + extra)], [relu(c, hw), relu(c, hw + extra)]] as const) {
          const wa = KERNELS.get(a.kernel)!.work(a, t), wb = KERNELS.get(b.kernel)!.work(b, t);
          if (wa.computeCycles > wb.computeCycles || wa.macs > wb.macs) return false;
          if (wa.inputBytes[0]! > wb.inputBytes[0]! || wa.outputBytes[0]! > wb.outputBytes[0]!) return false;
        }
      }
      return true;
    }), { numRuns: 200 });
  });
});
