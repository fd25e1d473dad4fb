// Stage: backend. The quantized fusion verdict: every fused activation node against the unfused chain it replaced, on every input code.
// Contract: exhaustive per channel (256 int8 / 65,536 int16 codes); a merge is accepted only if never further from float than the chain (or bit-exact with exact).

import { KERNELS } from '../../kernels/index.js';
import type { ParamValues, QDType, QuantParams } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { cloneGraph, originOf } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { isActivation, opDef } from '../ir/optable.js';
import type { Tensor } from '../ir/tensor.js';
import { floatTensor } from '../ir/tensor.js';
import { assignQParams, QRANGE } from '../quant/index.js';
import type { Ranges } from '../quant/index.js';
import { bindParams } from './bind.js';

export interface VerdictOptions {
  dtype: QDType;
  /** Accept only bit-exact merges. */
  exact: boolean;
  fusedRanges: Ranges;
  unfusedRanges: Ranges;
}

export interface FusionVerdict {
  /** Fused node in the optimized graph. */
  node: string;
  op: string;
  /** The unfused chain it replaced, in order (names in the unfused graph). */
  chain: string[];
  chainOps: string[];
  channels: number;
  /** Input codes enumerated per channel. */
  codes: number;
  bitExact: boolean;
  /** Largest |fused - unfused| in output LSB. */
  maxDiffLsb: number;
  /** (code, channel) pairs where fused and unfused differ. */
  mismatches: number;
  /** Largest distance to the float composition, in output LSB. */
  maxErrFusedLsb: number;
  maxErrUnfusedLsb: number;
  /** Pairs where one side is strictly closer to float. */
  fusedCloser: number;
  unfusedCloser: number;
  closer: 'equal' | 'fused' | 'unfused' | 'mixed';
  accepted: boolean;
  reason?: string;
}

export interface VerdictResult {
  verdicts: FusionVerdict[];
  /** The fused graph with every rejected merge replaced by its unfused chain. */
  graph: Graph;
  /** fusedRanges plus the ranges of the intermediate tensors re-created by fallbacks. */
  ranges: Ranges;
}

/** Activation nodes of the unfused graph that a fused node stands for (its origin), in execution order. */
function chainOf(f: Node, unfused: Graph): Node[] {
  const names = new Set(originOf(f));
  const covered = unfused.nodes.filter((u) => originOf(u).every((o) => names.has(o)));
  // a node that also stands for elementwise ops recognised as an activation (Max(x, 0), x*Clip(x+3, 0, 6)/6, ...) has
  // no chain of activation kernels to be judged against (nor to fall back to): none is returned
  if (covered.some((u) => !isActivation(u.op))) return [];
  return covered;
}

function quant(q: Map<string, { scale: number; zeroPoint: number; dtype: QDType }>, v: string, dtype: QDType): QuantParams {
  const p = q.get(v);
  if (!p) throw new DspcError('E_GRAPH', `fusion verdict: value '${v}' has no calibrated range`);
  return { scale: p.scale, zeroPoint: p.zeroPoint, dtype };
}

/** Float tensor holding, for every channel c and code k, the real value of code k (layout [1,C,N,1...] or [N,C]). */
function codeTensor(rank: number, channels: number, inQ: QuantParams): { t: Tensor; at: (k: number, c: number) => number } {
  const { qmin, qmax } = QRANGE[inQ.dtype];
  const n = qmax - qmin + 1;
  const dims = rank >= 3 ? [1, channels, n, ...new Array<number>(rank - 3).fill(1)] : rank === 2 ? [n, channels] : [n];
  const t = floatTensor(dims);
  const d = t.data as Float32Array;
  const at = rank >= 3 ? (k: number, c: number) => c * n + k : rank === 2 ? (k: number, c: number) => k * channels + c : (k: number) => k;
  for (let c = 0; c < (rank >= 2 ? channels : 1); c++) for (let k = 0; k < n; k++) d[at(k, c)] = inQ.scale * (qmin + k - inQ.zeroPoint);
  return { t, at };
}

function evalFloat(g: Graph, node: Node, x: Tensor): Tensor {
  const def = opDef(node.op)!;
  const ins = node.inputs.map((v, i) => (i === 0 ? x : v ? g.initializers.get(v) : undefined));
  return def.evaluate(node, ins)[0]!;
}

interface Stage {
  table: ParamValues;
  apply: (code: number, channel: number, p: ParamValues) => number;
}

function stage(g: Graph, node: Node, inQ: QuantParams, outQ: QuantParams): Stage {
  const kernel = [...KERNELS.values()].find((k) => k.role === 'activation' && k.ops.includes(node.op));
  const act = kernel?.activation;
  if (!kernel || !act) throw new DspcError('E_KERNEL', `fusion verdict: no activation kernel implements ${node.op}`, { node: node.name });
  return { table: bindParams(kernel, g, node, [inQ], outQ), apply: act.applyCode };
}

/** Compare one fused node with its chain on every (code, channel). */
function judge(f: Node, chain: Node[], fused: Graph, unfused: Graph, qF: Map<string, QuantParams>, qU: Map<string, QuantParams>,
  opts: VerdictOptions): FusionVerdict {
  const dt = opts.dtype;
  const inQ = quant(qF, f.inputs[0]!, dt);
  const outQ = quant(qF, f.outputs[0]!, dt);
  const scales = [inQ, ...chain.slice(0, -1).map((n) => quant(qU, n.outputs[0]!, dt)), outQ];
  const stages = chain.map((n, i) => stage(unfused, n, scales[i]!, scales[i + 1]!));
  const fusedStage = stage(fused, f, inQ, outQ);
  const xInfo = fused.values.get(f.inputs[0]!);
  const rank = xInfo?.shape.length ?? 4;
  const perChannel = [f, ...chain].some((n) => n.op === 'PRelu') && rank >= 2;
  const channels = perChannel ? xInfo!.shape[1]! : 1;
  const { t, at } = codeTensor(rank, channels, inQ);
  let ref = t;
  for (const n of chain) ref = evalFloat(unfused, n, ref);
  const refData = ref.data as Float32Array;
  const { qmin, qmax } = QRANGE[dt];
  const v: FusionVerdict = {
    node: f.name, op: f.op, chain: chain.map((n) => n.name), chainOps: chain.map((n) => n.op), channels,
    codes: qmax - qmin + 1, bitExact: true, maxDiffLsb: 0, mismatches: 0, maxErrFusedLsb: 0, maxErrUnfusedLsb: 0,
    fusedCloser: 0, unfusedCloser: 0, closer: 'equal', accepted: true,
  };
  for (let c = 0; c < channels; c++) {
    for (let code = qmin; code <= qmax; code++) {
      const a = fusedStage.apply(code, c, fusedStage.table);
      let b = code;
      for (const s of stages) b = s.apply(b, c, s.table);
      const r = Math.min(qmax, Math.max(qmin, refData[at(code - qmin, c)]! / outQ.scale + outQ.zeroPoint));
      const ea = Math.abs(a - r);
      const eb = Math.abs(b - r);
      if (a !== b) {
        v.bitExact = false;
        v.mismatches++;
        v.maxDiffLsb = Math.max(v.maxDiffLsb, Math.abs(a - b));
        if (ea < eb - 1e-6) v.fusedCloser++;
        else if (eb < ea - 1e-6) v.unfusedCloser++;
      }
      if (ea > v.maxErrFusedLsb) v.maxErrFusedLsb = ea;
      if (eb > v.maxErrUnfusedLsb) v.maxErrUnfusedLsb = eb;
    }
  }
  v.closer = v.unfusedCloser === 0 ? (v.fusedCloser === 0 ? 'equal' : 'fused') : v.fusedCloser === 0 ? 'unfused' : 'mixed';
  v.maxErrFusedLsb = round6(v.maxErrFusedLsb);
  v.maxErrUnfusedLsb = round6(v.maxErrUnfusedLsb);
  if (opts.exact && !v.bitExact) {
    v.accepted = false;
    v.reason = `--exact: ${v.mismatches} of ${v.codes * channels} codes differ (max ${v.maxDiffLsb} LSB)`;
  } else if (v.unfusedCloser > 0) {
    v.accepted = false;
    v.reason = `the unfused chain is closer to float on ${v.unfusedCloser} codes`;
  }
  return v;
}

/** Stable JSON: LSB distances to 6 decimals. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Replace fused node f by copies of its chain, wired from f's input to f's output through fresh intermediates. */
function revert(g: Graph, f: Node, chain: Node[], unfused: Graph, ranges: Ranges, unfusedRanges: Ranges): Node[] {
  const shape = g.values.get(f.outputs[0]!)!;
  const out: Node[] = [];
  let prev = f.inputs[0]!;
  chain.forEach((n, i) => {
    const last = i === chain.length - 1;
    let name = last ? f.outputs[0]! : `${f.name}__unfused${i}`;
    while (!last && g.values.has(name)) name += '_';
    const params = n.inputs.slice(1).map((p) => {
      const t = p ? unfused.initializers.get(p) : undefined;
      if (!p || !t) return p;
      // A constant of the same name but other content in the fused graph: bring the chain's copy under a new name.
      let q = p;
      while (g.initializers.has(q) && g.initializers.get(q) !== t) q += '_unfused';
      g.initializers.set(q, t);
      g.values.set(q, { name: q, dtype: 'float32', shape: [...t.dims] });
      return q;
    });
    const node: Node = { ...n, name: `${f.name}__${n.name}`, inputs: [prev, ...params], outputs: [name], origin: originOf(n) };
    if (!last) {
      g.values.set(name, { ...shape, name, shape: [...shape.shape] });
      const r = unfusedRanges.get(n.outputs[0]!);
      if (r) ranges.set(name, { ...r });
    }
    out.push(node);
    prev = name;
  });
  return out;
}

/**
 * Verdicts for every activation node of `fused` whose origin covers two or more activation nodes of `unfused`;
 * rejected merges are replaced by their chain in the returned graph.
 */
export function fusionVerdicts(fused: Graph, unfused: Graph, opts: VerdictOptions): VerdictResult {
  const qF = assignQParams(fused, opts.fusedRanges, opts.dtype);
  const qU = assignQParams(unfused, opts.unfusedRanges, opts.dtype);
  const verdicts: FusionVerdict[] = [];
  const rejected = new Map<Node, Node[]>();
  for (const f of fused.nodes) {
    if (!isActivation(f.op)) continue;
    const chain = chainOf(f, unfused);
    if (chain.length < 2) continue;
    const v = judge(f, chain, fused, unfused, qF, qU, opts);
    verdicts.push(v);
    if (!v.accepted) rejected.set(f, chain);
  }
  if (rejected.size === 0) return { verdicts, graph: fused, ranges: opts.fusedRanges };
  const g = cloneGraph(fused);
  const ranges: Ranges = new Map([...opts.fusedRanges].map(([k, r]) => [k, { ...r }]));
  g.nodes = fused.nodes.flatMap((n, i) => {
    const chain = rejected.get(n);
    return chain ? revert(g, g.nodes[i]!, chain, unfused, ranges, opts.unfusedRanges) : [g.nodes[i]!];
  });
  return { verdicts, graph: g, ranges };
}
