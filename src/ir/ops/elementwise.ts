// Stage: IR core, op table. Element-wise arithmetic with numpy broadcasting: Add, Sub, Mul, Div, n-ary Max and Min.
// Contract: operands share a dtype; float math rounds to float32; int64 (shape arithmetic) is exact with truncating Div.

import type { Node } from '../graph.js';
import type { Tensor, TensorData } from '../tensor.js';
import { allocData, numel } from '../tensor.js';
import type { InferInput, OpDef, OutputType } from './types.js';
import { always, broadcastIndex, broadcastShapes, def, need, needT, outputElems } from './util.js';

type NumData = Exclude<TensorData, BigInt64Array>;

function binaryInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const a = need(inputs, 0, 'input A'), b = need(inputs, 1, 'input B');
  if (a.dtype !== b.dtype) throw new Error(`operand dtypes differ: ${a.dtype} and ${b.dtype}`);
  if (a.dtype === 'bool') throw new Error('bool operands are not supported');
  return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }];
}

function binary(
  type: string, summary: string,
  f: (x: number, y: number) => number, fb: (x: bigint, y: bigint) => bigint, macs: boolean,
): OpDef {
  return def({
    type, category: 'elementwise', summary,
    inputs: [{ name: 'A', role: 'data' }, { name: 'B', role: 'data' }],
    infer: binaryInfer,
    evaluate: (_node, inputs) => {
      const a = needT(inputs, 0), b = needT(inputs, 1);
      const shape = broadcastShapes(a.dims, b.dims);
      const n = numel(shape);
      const same = (t: Tensor): boolean => t.data.length === n;
      const ia = same(a) ? undefined : broadcastIndex(a.dims, shape);
      const ib = same(b) ? undefined : broadcastIndex(b.dims, shape);
      if (a.data instanceof BigInt64Array) {
        const ad = a.data, bd = b.data as BigInt64Array, out = new BigInt64Array(n);
        for (let i = 0; i < n; i++) out[i] = fb(ad[ia ? ia[i]! : i]!, bd[ib ? ib[i]! : i]!);
        return [{ dtype: a.dtype, dims: shape, data: out }];
      }
      const ad = a.data as NumData, bd = b.data as NumData;
      const out = allocData(a.dtype, n) as NumData;
      if (!ia && !ib) for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
      else for (let i = 0; i < n; i++) out[i] = f(ad[ia ? ia[i]! : i]!, bd[ib ? ib[i]! : i]!);
      return [{ dtype: a.dtype, dims: shape, data: out }];
    },
    macs: macs ? outputElems : () => 0,
  });
}

const add = binary('Add', 'a + b', (x, y) => x + y, (x, y) => x + y, false);
const sub = binary('Sub', 'a - b', (x, y) => x - y, (x, y) => x - y, false);
const mul = binary('Mul', 'a * b', (x, y) => x * y, (x, y) => x * y, true);
// Integer typed arrays truncate on store, so x / y is truncating division for every integer dtype.
const divOp = binary('Div', 'a / b (integer division truncates)', (x, y) => x / y, (x, y) => {
  if (y === 0n) throw new Error('integer division by zero');
  return x / y;
}, false);

function variadicInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const first = need(inputs, 0, 'input 0');
  if (first.dtype === 'bool') throw new Error('bool operands are not supported');
  let shape = [...first.shape];
  for (let i = 1; i < inputs.length; i++) {
    const x = need(inputs, i, `input ${i}`);
    if (x.dtype !== first.dtype) throw new Error(`operand dtypes differ: ${first.dtype} and ${x.dtype} (input ${i})`);
    shape = broadcastShapes(shape, x.shape);
  }
  return [{ dtype: first.dtype, shape }];
}

/**
 * An n-ary selection (Max, Min): operand k replaces the running result where `wins(operand, result)`, left to right,
 * all broadcast to one shape. A NaN in any float operand makes the element NaN, as ONNX Runtime's Max/Min do.
 */
function variadic(type: string, summary: string, wins: <T extends number | bigint>(v: T, cur: T) => boolean): OpDef {
  return def({
    type, category: 'elementwise', summary,
    inputs: [{ name: 'data_0', role: 'data', variadic: true }],
    // Non-decreasing in every operand: max/min of larger operands is never smaller.
    monotone: always,
    infer: variadicInfer,
    evaluate: (_node, inputs) => {
      const ts = inputs.map((_, i) => needT(inputs, i));
      const shape = ts.reduce<readonly number[]>((s, t) => broadcastShapes(s, t.dims), ts[0]!.dims);
      const n = numel(shape);
      const at = (k: number): ((i: number) => number) => {
        if (ts[k]!.data.length === n) return (i) => i;
        const ix = broadcastIndex(ts[k]!.dims, shape);
        return (i) => ix[i]!;
      };
      const out = allocData(ts[0]!.dtype, n);
      if (out instanceof BigInt64Array) {
        ts.forEach((t, k) => {
          const d = t.data as BigInt64Array, ix = at(k);
          for (let i = 0; i < n; i++) {
            const v = d[ix(i)]!;
            if (k === 0 || wins(v, out[i]!)) out[i] = v;
          }
        });
      } else {
        const o = out as NumData;
        ts.forEach((t, k) => {
          const d = t.data as NumData, ix = at(k);
          for (let i = 0; i < n; i++) {
            const v = d[ix(i)]!, cur = o[i]!;
            o[i] = k === 0 || wins(v, cur) || Number.isNaN(v) ? v : cur;
          }
        });
      }
      return [{ dtype: ts[0]!.dtype, dims: [...shape], data: out }];
    },
  });
}

const maxOp = variadic('Max', 'element-wise maximum of all inputs (n-ary, numpy broadcasting)', (v, cur) => v > cur);
const minOp = variadic('Min', 'element-wise minimum of all inputs (n-ary, numpy broadcasting)', (v, cur) => v < cur);

export const ELEMENTWISE_OPS: OpDef[] = [add, sub, mul, divOp, maxOp, minOp];
