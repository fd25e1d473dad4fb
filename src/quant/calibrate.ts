// Stage: fixed point. Calibration: runs the float reference on sample inputs and records each tensor's value range.
// Contract: ranges cover every runtime value of each graph (inputs and node outputs); deterministic for the same samples.

import type { Graph, Node } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { evaluateNode } from '../ir/interpret.js';
import { graphStats } from '../ir/stats.js';
import type { Tensor } from '../ir/tensor.js';
import { floatTensor, numel, toFloat32 } from '../ir/tensor.js';
import { normalSampler } from './prng.js';

export interface Range {
  min: number;
  max: number;
}

export type Ranges = Map<string, Range>;

/** One calibration sample: a float tensor per graph input name. */
export type Sample = ReadonlyMap<string, Tensor>;

/** Where the ranges came from; copied into report.json. */
export interface CalibrationInfo {
  source: 'random' | 'files';
  samples: number;
  /** PRNG seed of the random inputs (source 'random'). */
  seed?: number;
  distribution?: string;
  /** Calibration files, relative to the --calib directory (source 'files'). */
  files?: string[];
}

export const DEFAULT_CALIB_SEED = 1;
/** Default random samples: as many as fit a budget of float MACs, between 1 and 8 (the reference runs ~0.2 GMAC/s). */
export const CALIB_MAC_BUDGET = 4e8;
export const MAX_DEFAULT_SAMPLES = 8;

/** Number of default random samples for a graph: deterministic, from its static MAC count. */
export function defaultSampleCount(g: Graph): number {
  const macs = graphStats(g).macs;
  return Math.max(1, Math.min(MAX_DEFAULT_SAMPLES, Math.floor(CALIB_MAC_BUDGET / Math.max(1, macs))));
}

/** Seeded standard-normal inputs for every graph input (default calibration when no --calib dir is given). */
export function randomSamples(g: Graph, seed: number, count: number): Sample[] {
  const next = normalSampler(seed);
  const out: Sample[] = [];
  for (let s = 0; s < count; s++) {
    const m = new Map<string, Tensor>();
    for (const inp of g.inputs) {
      const t = floatTensor(inp.shape);
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] = next();
      m.set(inp.name, t);
    }
    out.push(m);
  }
  return out;
}

function widen(ranges: Ranges, name: string, t: Tensor): void {
  const d = t.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const r = ranges.get(name);
  if (!r) ranges.set(name, { min: lo, max: hi });
  else {
    if (lo < r.min) r.min = lo;
    if (hi > r.max) r.max = hi;
  }
}

/**
 * Structural identity of values across graphs: two values get the same id when they are the same graph input, the
 * same constant tensor object, or the same output of nodes with equal op, attributes and input ids. Graphs that
 * share most of their structure (the fused and unfused versions of one model) then share the float evaluation.
 */
class ValueIds {
  private readonly keys = new Map<string, number>();
  private readonly tensors = new Map<Tensor, number>();
  private next = 0;
  private intern(key: string): number {
    let id = this.keys.get(key);
    if (id === undefined) {
      id = this.next++;
      this.keys.set(key, id);
    }
    return id;
  }
  input(name: string): number {
    return this.intern(`in:${name}`);
  }
  constant(t: Tensor): number {
    let id = this.tensors.get(t);
    if (id === undefined) {
      id = this.next++;
      this.tensors.set(t, id);
    }
    return id;
  }
  outputs(n: Node, inputIds: number[]): number[] {
    const head = `${n.op}|${JSON.stringify(n.attrs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}|${inputIds.join(',')}`;
    return n.outputs.map((_, k) => this.intern(`${head}|${k}`));
  }
}

/** Per graph: the structural id of every value. */
function idsOf(g: Graph, ids: ValueIds): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of g.inputs) m.set(v.name, ids.input(v.name));
  for (const [name, t] of g.initializers) m.set(name, ids.constant(t));
  for (const n of g.nodes) {
    const out = ids.outputs(n, n.inputs.map((v) => (v ? m.get(v) ?? -1 : -1)));
    n.outputs.forEach((o, k) => o && m.set(o, out[k]!));
  }
  return m;
}

function bindSample(g: Graph, sample: Sample): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const inp of g.inputs) {
    const t = sample.get(inp.name);
    if (!t) throw new DspcError('E_USAGE', `calibration sample has no tensor for graph input '${inp.name}'`);
    if (numel(t.dims) !== numel(inp.shape)) {
      throw new DspcError('E_USAGE', `calibration tensor for '${inp.name}' has shape [${t.dims.join(',')}], the model expects [${inp.shape.join(',')}]`);
    }
    // Same element count: bind with the graph's shape (calibration files often carry [C,H,W] for [1,C,H,W]).
    env.set(inp.name, floatTensor(inp.shape, toFloat32(t)));
  }
  return env;
}

/** Sees every runtime value of graph `graphIndex` on every sample (calibration methods build histograms from it). */
export type ValueObserver = (graphIndex: number, name: string, t: Tensor) => void;

/**
 * Ranges of several graphs over the same samples. Values structurally shared with an earlier graph are not
 * recomputed: the unfused and fused graphs of one model cost little more than one float run per sample.
 */
export function collectRangesMany(graphs: readonly Graph[], samples: readonly Sample[], observe?: ValueObserver): Ranges[] {
  if (samples.length === 0) throw new DspcError('E_USAGE', 'calibration needs at least one input sample');
  const ids = new ValueIds();
  const idMaps = graphs.map((g) => idsOf(g, ids));
  const all: Ranges[] = graphs.map(() => new Map());
  for (const sample of samples) {
    const shared = new Map<number, Tensor>();
    graphs.forEach((g, gi) => {
      const idm = idMaps[gi]!;
      const env = bindSample(g, sample);
      for (const [k, t] of env) {
        widen(all[gi]!, k, t);
        observe?.(gi, k, t);
      }
      const get = (v: string): Tensor | undefined => env.get(v) ?? g.initializers.get(v) ?? shared.get(idm.get(v) ?? -1);
      for (const n of g.nodes) {
        const known = n.outputs.map((o) => (o ? shared.get(idm.get(o)!) : undefined));
        const outs = known.every((t, k) => t || !n.outputs[k]) ? known : evaluateNode(n, n.inputs.map((v) => (v ? get(v) : undefined)));
        n.outputs.forEach((o, k) => {
          const t = outs[k];
          if (!o || !t) return;
          env.set(o, t);
          shared.set(idm.get(o)!, t);
          widen(all[gi]!, o, t);
          observe?.(gi, o, t);
        });
      }
    });
  }
  return all;
}

/** Run the float reference over every sample and return min/max per runtime value. */
export function collectRanges(g: Graph, samples: readonly Sample[]): Ranges {
  return collectRangesMany([g], samples)[0]!;
}
