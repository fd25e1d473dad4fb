// Stage: backend. Fixed-point tables of activation nodes, built through each activation kernel's own param helper.
// Contract: one place maps an IR activation node + its input/output quantization to the kernel table used by lowering, epilogues and verdicts.

import { clipParams } from '../../kernels/clip.js';
import { hardSigmoidParams } from '../../kernels/hardsigmoid.js';
import { hardSwishParams } from '../../kernels/hardswish.js';
import { leakyReluParams } from '../../kernels/leaky-relu.js';
import { preluParams } from '../../kernels/prelu.js';
import { reluParams } from '../../kernels/relu.js';
import { sigmoidParams } from '../../kernels/sigmoid.js';
import { tanhParams } from '../../kernels/tanh.js';
import type { ParamValues, QuantParams } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { toFloat32 } from '../ir/tensor.js';

function num(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
}

/**
 * PRelu slopes reduced to one per channel (axis 1) or one shared value. The ONNX-broadcast slope tensor must
 * vary along the channel axis only ([C], [C,1,1], [1,C,1,1], [1], scalar against NCHW); anything else is E_KERNEL.
 */
export function preluSlopes(g: Graph, node: Node): Float32Array {
  const s = g.initializers.get(node.inputs[1] ?? '');
  if (!s) throw new DspcError('E_KERNEL', 'PRelu slope is not a constant; the prelu kernel needs constant slopes', { node: node.name });
  const x = g.values.get(node.inputs[0] ?? '');
  const rank = x?.shape.length ?? s.dims.length;
  const data = toFloat32(s);
  const aligned = [...new Array<number>(Math.max(0, rank - s.dims.length)).fill(1), ...s.dims];
  const varying = aligned.map((d, i) => (d > 1 ? i : -1)).filter((i) => i >= 0);
  if (varying.length === 0) return Float32Array.of(data[0]!);
  if (varying.length === 1 && varying[0] === 1 && rank >= 2) {
    const first = data[0]!;
    return data.every((v) => v === first) ? Float32Array.of(first) : Float32Array.from(data);
  }
  throw new DspcError('E_KERNEL', `PRelu slope of shape [${s.dims.join(',')}] varies along axes other than the channel axis of ` +
    `input [${x?.shape.join(',') ?? '?'}]; the prelu kernel holds one slope per channel`, { node: node.name });
}

/** The kernel table of an activation node for the given quantization. */
export function activationTable(g: Graph, node: Node, inQ: QuantParams, outQ: QuantParams): ParamValues {
  switch (node.op) {
    case 'Relu': return reluParams(inQ, outQ);
    case 'LeakyRelu': return leakyReluParams(num(node, 'alpha', 0.01), inQ, outQ);
    case 'PRelu': return preluParams(preluSlopes(g, node), inQ, outQ);
    case 'Clip': return clipParams(num(node, 'min', -Infinity), num(node, 'max', Infinity), inQ, outQ);
    case 'Sigmoid': return sigmoidParams(inQ, outQ);
    case 'Tanh': return tanhParams(inQ, outQ);
    case 'HardSigmoid': return hardSigmoidParams(num(node, 'alpha', 0.2), num(node, 'beta', 0.5), inQ, outQ);
    case 'HardSwish': return hardSwishParams(inQ, outQ);
    default:
      throw new DspcError('E_KERNEL', `no fixed-point activation table for op ${node.op}`, { node: node.name });
  }
}
