// Tests (IR): op-table type constraints: weight, bias and parameter inputs share the data input's element type.
// Contract: a mismatch is a DspcError at shape inference naming the node and the input, never a crash in evaluate.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DspcError } from '../../src/ir/errors.js';
import type { AttrValue } from '../../src/ir/graph.js';
import { makeTensor, type DType } from '../../src/ir/tensor.js';

/** A one-node graph: input 0 is a float32 graph input, the others constants of the given dtype and shape. */
function build(op: string, consts: [DType, number[]][], attrs: Record<string, AttrValue> = {}, x: number[] = [1, 3, 4, 4]) {
  const b = new GraphBuilder('t');
  const names = [b.input('x', 'float32', x), ...consts.map(([dt, shape], j) => b.constant(`c${j}`, makeTensor(dt, shape)))];
  b.output(...b.nodeMulti(op, names, attrs, { name: 'n', outputs: 1 }));
  return b.build();
}

const conv = { kernel_shape: [1, 1] };

describe('weight/bias/param inputs must match the data input element type', () => {
  const bad: [string, string, () => unknown][] = [
    // The fuzzer's case: an int64 bias reached evaluate and failed with "Cannot mix BigInt and other types".
    ['Conv int64 bias', 'bias has element type int64 but the data input is float32', () => build('Conv', [['float32', [2, 3, 1, 1]], ['int64', [2]]], conv)],
    ['Conv float64 weight', 'weight has element type float64 but the data input is float32', () => build('Conv', [['float64', [2, 3, 1, 1]]], conv)],
    ['Gemm int64 C', 'bias C has element type int64', () => build('Gemm', [['float32', [7, 5]], ['int64', [7]]], { transB: 1 }, [2, 5])],
    ['Gemm int32 B', 'input B has element type int32', () => build('Gemm', [['int32', [5, 7]]], {}, [2, 5])],
    ['MatMul int64 B', 'input B has element type int64', () => build('MatMul', [['int64', [4, 6]]], {}, [2, 4])],
    ['BatchNormalization int64 mean', 'mean has element type int64', () =>
      build('BatchNormalization', [['float32', [3]], ['float32', [3]], ['int64', [3]], ['float32', [3]]])],
    ['PRelu int64 slope', 'slope has element type int64', () => build('PRelu', [['int64', [3, 1, 1]]])],
    ['Add int64 operand', 'operand dtypes differ', () => build('Add', [['int64', [1, 3, 4, 4]]])],
  ];
  for (const [why, msg, f] of bad) {
    it(`${why} is rejected at inference`, () => {
      expect(f).toThrow(DspcError);
      expect(f).toThrow(new RegExp(`node 'n': .*${msg}`));
    });
  }

  it('matching element types still infer (control)', () => {
    expect(build('Conv', [['float32', [2, 3, 1, 1]], ['float32', [2]]], conv).outputs[0]!.shape).toEqual([1, 2, 4, 4]);
    expect(build('Gemm', [['float32', [7, 5]], ['float32', [7]]], { transB: 1 }, [2, 5]).outputs[0]!.shape).toEqual([2, 7]);
    expect(build('BatchNormalization', [['float32', [3]], ['float32', [3]], ['float32', [3]], ['float32', [3]]]).outputs[0]!.dtype).toBe('float32');
    expect(build('PRelu', [['float32', [3, 1, 1]]]).outputs[0]!.shape).toEqual([1, 3, 4, 4]);
  });
});
