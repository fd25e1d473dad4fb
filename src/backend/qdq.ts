// Stage: backend (QDQ export). The quantization an int8 program applies, as the data an ONNX QDQ model needs: every
// runtime value's scale/zero point, conv/fully-connected weights as the same int8 codes and per-channel scales, biases
// as the same int32 codes, all read from the lowering (tables and qparams), not recomputed differently.
// Contract: pure; int16 values (int16 programs, mixed precision) are refused (QDQ int16 needs opset 21).

import { quantizeWeightsPerChannel } from '../../kernels/output-stage.js';
import type { QdqConstant, QdqSpec } from '../frontend/index.js';
import type { Node } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { toFloat32 } from '../ir/tensor.js';
import type { Artifacts } from './emit.js';

function tableOf(a: Artifacts, node: string, field: string): Int8Array | Int32Array | undefined {
  const t = a.lowering.tables.find((x) => x.kind === 'kernel' && x.node === node && x.field === field);
  return t?.data instanceof Int8Array || t?.data instanceof Int32Array ? t.data : undefined;
}

/** Float weights of a MAC node laid out [C_out, K] as the kernel quantizes them (Gemm alpha and transB applied). */
function weightsOf(a: Artifacts, n: Node): { w: Float32Array; cOut: number; dims: number[] } | null {
  const t = a.graph.initializers.get(n.inputs[1] ?? '');
  if (!t) return null;
  const wd = toFloat32(t);
  if (n.op === 'Conv') return { w: wd, cOut: t.dims[0]!, dims: [...t.dims] };
  if (n.op !== 'Gemm' || t.dims.length !== 2) return null;
  const [r, k] = [t.dims[0]!, t.dims[1]!];
  const alpha = typeof n.attrs['alpha'] === 'number' ? n.attrs['alpha'] : 1;
  const transB = n.attrs['transB'] === 1;
  const cOut = transB ? r : k;
  const kk = transB ? k : r;
  const w = new Float32Array(cOut * kk);
  for (let c = 0; c < cOut; c++) for (let j = 0; j < kk; j++) w[c * kk + j] = (transB ? wd[c * k + j]! : wd[j * k + c]!) * alpha;
  return { w, cOut, dims: [cOut, kk] };
}

function constantsOf(a: Artifacts, n: Node): { inputs: QdqConstant[]; attrs?: Record<string, number> } | null {
  const wt = weightsOf(a, n);
  const codes = tableOf(a, n.name, 'weights');
  const bias = tableOf(a, n.name, 'bias');
  if (!wt || !(codes instanceof Int8Array) || !(bias instanceof Int32Array)) return null;
  const q = quantizeWeightsPerChannel(wt.w, wt.cOut);
  const inS = a.lowering.qparams.get(n.inputs[0] ?? '')?.scale;
  if (inS === undefined || q.codes.some((c, i) => c !== codes[i])) {
    throw new DspcError('E_ARTIFACT', 'QDQ export: weight codes disagree with the emitted table', { node: n.name });
  }
  const inputs: QdqConstant[] = [
    { input: 1, codes, dims: wt.dims, scales: q.scales, axis: 0 },
    { input: 2, codes: bias, dims: [wt.cOut], scales: Array.from(q.scales, (s) => inS * s), axis: 0 },
  ];
  return n.op === 'Gemm' ? { inputs, attrs: { transB: 1, alpha: 1, beta: 1 } } : { inputs };
}

/** The QDQ description of a compiled int8 program (pass to exportQdq with a.graph). */
export function qdqSpecOf(a: Artifacts): QdqSpec {
  const values = new Map<string, { scale: number; zeroPoint: number }>();
  for (const [v, q] of a.lowering.qparams) {
    if (a.graph.initializers.has(v)) continue;
    if (q.dtype !== 'int8') throw new DspcError('E_UNSUPPORTED', `--qdq writes int8 programs only (value '${v}' is ${q.dtype}; int16 QDQ needs ONNX opset 21)`);
    values.set(v, { scale: q.scale, zeroPoint: q.zeroPoint });
  }
  const constants = new Map<string, { inputs: QdqConstant[]; attrs?: Record<string, number> }>();
  for (const n of a.graph.nodes) {
    const s = a.lowering.selection.of.get(n.name);
    if (s?.kind !== 'kernel' || (s.kernel.name !== 'conv2d' && s.kernel.name !== 'fully_connected')) continue;
    const c = constantsOf(a, n);
    if (c) constants.set(n.name, c);
  }
  return { values, constants };
}
