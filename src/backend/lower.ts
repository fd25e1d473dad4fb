// Stage: backend. Lowering: selected kernels -> ordered invocations with quantized tensor refs, a memory plan and parameter tables.
// Contract: pure function of (graph, target, ranges, options); deterministic; every invocation's params point into the params.bin it returns.

import { SCHEDULE_FORMAT, SCHEDULE_VERSION } from '../../kernels/artifacts.js';
import type { ParamArray, Schedule } from '../../kernels/artifacts.js';
import type { Target } from '../../kernels/target.js';
import type { AttrMap, ElemType, Invocation, KernelDef, ParamValues, QDType, QuantParams, TensorRef } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { originOf } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { isActivation, opDef } from '../ir/optable.js';
import { numel } from '../ir/tensor.js';
import { assignQParams } from '../quant/index.js';
import type { QParams, Ranges } from '../quant/index.js';
import { bindParams } from './bind.js';
import { planMemory } from './memory.js';
import type { LiveTensor, MemoryPlan } from './memory.js';
import { encodeParamsBin } from './params.js';
import type { ParamTable, ParamsImage } from './params.js';
import { selectAndFold } from './select.js';
import type { SelectionResult } from './select.js';

export interface LowerOptions {
  dtype: QDType;
  /** Calibrated float range of every runtime value of the graph. */
  ranges: Ranges;
  modelId: string;
  /** Recorded in schedule.json: whether fusion ran on this graph. */
  fused: boolean;
  /** Values computed in int16 inside an int8 program (mixed precision; see precisionGroups). */
  wide?: ReadonlySet<string>;
}

export interface LowerStats {
  kernels: number;
  byType: Record<string, number>;
  /** Activation nodes in the graph. */
  activations: number;
  /** Of those, folded into a producer's epilogue. */
  folded: number;
  views: number;
}

export interface Lowering {
  schedule: Schedule;
  paramsBin: Uint8Array;
  image: ParamsImage;
  tables: ParamTable[];
  memory: MemoryPlan;
  selection: SelectionResult;
  qparams: Map<string, QParams>;
  stats: LowerStats;
}

const ELEM: Record<QDType, number> = { int8: 1, int16: 2 };

/** Invocation attributes: the op's declared attributes with defaults applied; non-finite numbers (unbounded Clip) omitted. */
function resolvedAttrs(n: Node): AttrMap {
  const def = opDef(n.op);
  const out: AttrMap = {};
  const keys = new Set([...Object.keys(def?.attrs ?? {}), ...Object.keys(n.attrs)]);
  for (const k of [...keys].sort()) {
    const v = n.attrs[k] ?? def?.attrs[k]?.default;
    if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/** 1-D Conv/pools run on the 2-D kernels as H = 1. */
function lift1d(n: Node, attrs: AttrMap, refs: TensorRef[]): void {
  const ks = attrs['kernel_shape'];
  if (!Array.isArray(ks) || ks.length !== 1) return;
  const two = (k: string, d: number[]): void => {
    const v = attrs[k];
    if (Array.isArray(v)) attrs[k] = v.length === 1 ? [1, v[0]!] : v.length === 2 ? [0, v[0]!, 0, v[1]!] : v;
    else attrs[k] = d;
  };
  attrs['kernel_shape'] = [1, ks[0]!];
  two('strides', [1, 1]);
  two('dilations', [1, 1]);
  two('pads', [0, 0, 0, 0]);
  for (const r of refs) if (r.shape.length === 3) r.shape = [r.shape[0]!, r.shape[1]!, 1, r.shape[2]!];
  void n;
}

function elemTypeOf(a: ParamArray): ElemType {
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  return 'float32';
}

/** Tables of one kernel in its declared field order (then any extra fields, sorted). */
function tablesOf(kernel: KernelDef, p: ParamValues, kind: 'kernel' | 'epilogue', node: string, invocation: number): ParamTable[] {
  const declared = kernel.paramFields.map((f) => f.name);
  const names = [...declared.filter((f) => p[f] !== undefined), ...Object.keys(p).filter((f) => !declared.includes(f)).sort()];
  return names.map((field) => ({ kind, kernel: kernel.name, field, node, invocation, dtype: elemTypeOf(p[field]!), data: p[field]! }));
}

function qOf(q: Map<string, QParams>, v: string): QuantParams {
  const p = q.get(v);
  if (!p) throw new DspcError('E_GRAPH', `value '${v}' has no quantization (not produced by any node)`);
  return { scale: p.scale, zeroPoint: p.zeroPoint, dtype: p.dtype };
}

/** Lower an optimized graph onto a target. */
export function lowerGraph(g: Graph, target: Target, opts: LowerOptions): Lowering {
  const sel = selectAndFold(g, target);
  const q = assignQParams(g, opts.ranges, opts.dtype, opts.wide);
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  let views = 0;
  for (const n of g.nodes) {
    if (sel.of.get(n.name)?.kind !== 'view') continue;
    views++;
    root.set(n.outputs[0]!, rootOf(n.inputs[0]!));
    q.set(n.outputs[0]!, q.get(n.inputs[0]!)!);
  }
  const runtime = (v: string): boolean => v !== '' && !g.initializers.has(v);
  const kernelNodes = g.nodes.filter((n) => sel.of.get(n.name)?.kind === 'kernel' && !sel.foldedInto.has(n.name));
  const steps = kernelNodes.length;
  const outputsOf = (n: Node): string[] => sel.epilogueOf.get(n.name)?.outputs ?? n.outputs;

  // Liveness over buffer roots.
  const live = new Map<string, LiveTensor>();
  const bytesOf = (v: string): number => numel(g.values.get(v)?.shape ?? []) * ELEM[q.get(v)?.dtype ?? opts.dtype];
  for (const v of g.inputs) live.set(v.name, { name: v.name, bytes: bytesOf(v.name), def: -1, lastUse: -1 });
  kernelNodes.forEach((n, i) => {
    for (const x of n.inputs.filter(runtime)) {
      const t = live.get(rootOf(x));
      if (!t) throw new DspcError('E_GRAPH', `input '${x}' is used before it is produced`, { node: n.name });
      t.lastUse = Math.max(t.lastUse, i);
    }
    for (const o of outputsOf(n)) if (o) live.set(o, { name: o, bytes: bytesOf(o), def: i, lastUse: i });
  });
  for (const o of g.outputs) {
    const t = live.get(rootOf(o.name));
    if (!t) throw new DspcError('E_UNSUPPORTED', `graph output '${o.name}' is a constant; dspc programs compute every output`);
    t.lastUse = steps;
  }
  const levels = target.memories.map((m) => ({ name: m.name, size: m.sizeBytes }));
  const memory = planMemory([...live.values()], levels, steps);

  const ref = (v: string): TensorRef => {
    const p = qOf(q, v);
    return { buffer: memory.bufferOf.get(rootOf(v))!, shape: [...(g.values.get(v)?.shape ?? [])], dtype: p.dtype, scale: p.scale, zeroPoint: p.zeroPoint };
  };
  const tables: ParamTable[] = [];
  const invocations: Invocation[] = kernelNodes.map((n, i) => {
    const sk = sel.of.get(n.name)!;
    const kernel = (sk as { kernel: KernelDef }).kernel;
    const act = sel.epilogueOf.get(n.name);
    const ins = n.inputs.filter(runtime);
    const inv: Invocation = {
      index: i, kernel: kernel.name, node: n.name, origin: [...originOf(n), ...(act ? originOf(act) : [])],
      inputs: ins.map(ref), outputs: outputsOf(n).filter((o) => o).map(ref), attrs: resolvedAttrs(n), params: [],
    };
    lift1d(n, inv.attrs, [...inv.inputs, ...inv.outputs]);
    const stageQ = qOf(q, n.outputs[0]!);
    const p = bindParams(kernel, g, n, ins.map((x) => qOf(q, x)), stageQ);
    tables.push(...tablesOf(kernel, p, 'kernel', n.name, i));
    if (act) {
      const ak = (sel.of.get(act.name) as { kernel: KernelDef }).kernel;
      const ap = bindParams(ak, g, act, [stageQ], qOf(q, act.outputs[0]!));
      tables.push(...tablesOf(ak, ap, 'epilogue', act.name, i));
      inv.epilogue = { kernel: ak.name, node: act.name, attrs: resolvedAttrs(act), params: [] };
    }
    return inv;
  });
  const image = encodeParamsBin(target.id, opts.modelId, opts.dtype, tables);
  tables.forEach((t, k) => {
    const inv = invocations[t.invocation]!;
    (t.kind === 'kernel' ? inv.params : inv.epilogue!.params).push(image.refs[k]!);
  });
  const byType: Record<string, number> = {};
  for (const inv of invocations) byType[inv.kernel] = (byType[inv.kernel] ?? 0) + 1;
  const schedule: Schedule = {
    format: SCHEDULE_FORMAT, version: SCHEDULE_VERSION, modelId: opts.modelId, model: g.name, target: target.id,
    dtype: opts.dtype, fused: opts.fused,
    params: { file: 'params.bin', bytes: image.bytes.length, crc32: image.crc32, records: tables.length },
    memories: memory.levels, buffers: memory.buffers,
    inputs: g.inputs.map((v) => ({ name: v.name, ...ref(v.name) })),
    outputs: g.outputs.map((v) => ({ name: v.name, ...ref(v.name) })),
    invocations,
  };
  return {
    schedule, paramsBin: image.bytes, image, tables, memory, selection: sel, qparams: q,
    stats: {
      kernels: invocations.length, byType: sortKeys(byType), views, folded: sel.foldedInto.size,
      activations: g.nodes.filter((n) => isActivation(n.op)).length,
    },
  };
}

export function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
