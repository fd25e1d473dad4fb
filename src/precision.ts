// Stage: pipeline (mixed precision). --min-sqnr: raise the most sensitive precision units of an int8 program to int16
// activations (int8 weights, TFLite's 16x8) until the network output reaches the target SQNR on the calibration set.
// Contract: deterministic; sensitivity = the SQNR a unit's kernels lose (input SQNR minus output SQNR on the reference
// input), re-measured after every step; steps grow geometrically; the result lists every unit raised with its cost.

import type { Artifacts, PrecisionReport } from './backend/index.js';
import { precisionUnits } from './backend/index.js';
import type { PrecisionUnit } from './backend/index.js';
import type { Graph } from './ir/graph.js';
import { interpret } from './ir/interpret.js';
import type { Tensor } from './ir/tensor.js';
import { toFloat32 } from './ir/tensor.js';
import { kernelAccuracy } from './accuracy.js';
import { runProgram, speedupReport } from './sim/index.js';
import type { Program } from './sim/index.js';
import type { Target } from '../kernels/target.js';

export interface PrecisionSearchInput {
  /** Compile the (fused) graph with these values in int16. */
  compileWith: (wide: ReadonlySet<string>) => Artifacts;
  programOf: (a: Artifacts) => Program;
  target: Target;
  samples: readonly ReadonlyMap<string, Tensor>[];
  /** Reference input for the per-kernel sensitivity ranking. */
  reference: Map<string, Tensor>;
  minSqnrDb: number;
}

/** Network output SQNR over all samples: per output, total signal over total noise; the worst output counts. */
export function datasetSqnr(g: Graph, p: Program, samples: readonly ReadonlyMap<string, Tensor>[], floats: Map<string, Tensor>[]): number {
  const sig = new Map<string, number>();
  const noise = new Map<string, number>();
  samples.forEach((s, k) => {
    const got = runProgram(p, new Map(s));
    for (const o of g.outputs) {
      const r = toFloat32(floats[k]!.get(o.name)!);
      const q = toFloat32(got.get(o.name)!);
      let a = 0;
      let b = 0;
      for (let i = 0; i < r.length; i++) {
        a += r[i]! * r[i]!;
        b += (r[i]! - q[i]!) ** 2;
      }
      sig.set(o.name, (sig.get(o.name) ?? 0) + a);
      noise.set(o.name, (noise.get(o.name) ?? 0) + b);
    }
  });
  return Math.min(...g.outputs.map((o) => (noise.get(o.name)! === 0 ? Infinity : 10 * Math.log10(sig.get(o.name)! / noise.get(o.name)!))));
}

/** SQNR each unit's kernels lose on the reference input (largest first); units already raised are left out. */
function sensitivity(a: Artifacts, p: Program, units: PrecisionUnit[], raised: ReadonlySet<PrecisionUnit>, ref: Map<string, Tensor>): PrecisionUnit[] {
  const g = a.graph;
  const acc = kernelAccuracy(g, p, ref);
  const sqnrOf = new Map<string, number>();
  for (const k of acc) sqnrOf.set(k.value, k.sqnrDb ?? 200);
  const byOutput = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const valueSqnr = (v: string, depth = 0): number => {
    const s = sqnrOf.get(v);
    if (s !== undefined) return s;
    const n = byOutput.get(v);
    // inputs, constants and values of views/passthroughs: follow to the value they copy
    return n && depth < 64 && n.inputs[0] ? valueSqnr(n.inputs[0], depth + 1) : 200;
  };
  const drop = new Map<string, number>();
  for (const k of acc) {
    const n = g.nodes.find((x) => x.name === k.node);
    const ins = (n?.inputs ?? []).filter((v) => v && !g.initializers.has(v));
    const inSqnr = Math.min(200, ...ins.map((v) => valueSqnr(v)));
    drop.set(k.node, Math.max(0, inSqnr - (k.sqnrDb ?? 200)));
  }
  // a graph input's unit: what its readers lose (their drop includes quantizing the input)
  const score = (u: PrecisionUnit): number => Math.max(0, ...(u.kernels.length ? u.kernels : u.readers).map((n) => drop.get(n) ?? 0));
  return units.filter((u) => !raised.has(u)).map((u) => ({ u, s: score(u) })).sort((x, y) => y.s - x.s).map((x) => x.u);
}

/** Greedy search for the smallest set of int16 units that meets the target; returns the wide values and the report. */
export function searchPrecision(inp: PrecisionSearchInput): { wide: Set<string>; report: PrecisionReport } {
  const base = inp.compileWith(new Set());
  const g = base.graph;
  const units = precisionUnits(g, inp.target);
  const floats = inp.samples.map((s) => interpret(g, new Map(s)));
  const cyclesOf = (p: Program): number => speedupReport(p).cycles.fused;
  let art = base;
  let prog = inp.programOf(base);
  const start = { sqnrDb: datasetSqnr(g, prog, inp.samples, floats), cycles: cyclesOf(prog) };
  let current = start.sqnrDb;
  const raised = new Set<PrecisionUnit>();
  const steps: PrecisionReport['steps'] = [];
  while (current < inp.minSqnrDb && raised.size < units.length) {
    const order = sensitivity(art, prog, units, raised, inp.reference);
    const take = order.slice(0, Math.max(1, Math.ceil(raised.size / 2)));
    for (const u of take) raised.add(u);
    const wide = new Set([...raised].flatMap((u) => u.values));
    art = inp.compileWith(wide);
    prog = inp.programOf(art);
    const sqnr = datasetSqnr(g, prog, inp.samples, floats);
    steps.push({ kernels: take.flatMap((u) => [...u.inputs.map((i) => `input ${i}`), ...u.kernels]), sqnrDb: sqnr, gainDb: sqnr - current, cycles: cyclesOf(prog) });
    current = sqnr;
  }
  const wide = new Set([...raised].flatMap((u) => u.values));
  const end = steps.length ? steps[steps.length - 1]! : { sqnrDb: start.sqnrDb, cycles: start.cycles };
  return {
    wide,
    report: {
      minSqnrDb: inp.minSqnrDb, reached: current >= inp.minSqnrDb, samples: inp.samples.length,
      sqnrDb: { int8: start.sqnrDb, mixed: end.sqnrDb }, cycles: { int8: start.cycles, mixed: end.cycles },
      int16Kernels: [...raised].flatMap((u) => u.kernels), int16Inputs: [...raised].flatMap((u) => u.inputs), units: units.length, steps,
    },
  };
}
