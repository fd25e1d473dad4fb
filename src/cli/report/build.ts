// Stage: CLI presentation (reports). Turns a CompileResult into the report's content: cards, pictures, charts and tables.
// Contract: reads only the CompileResult; the HTML (html.ts) and dot (graph-svg.ts) renderers do the drawing.

import type { CompileResult } from '../../pipeline.js';
import type { KernelCycles, SpeedupReport } from '../../sim/index.js';
import { modelLabel, opLookup } from '../tables.js';
import { fmtBytes, fmtInt, fmtPct, fmtShape } from '../term.js';
import type { TimelineLane } from './charts.js';
import { graphDot } from './graph-svg.js';
import type { ReportCard, ReportInput, ReportTable } from './html.js';
import { fusionMarks } from './marks.js';
import type { Marks } from './marks.js';

/** Epilogue-folded activation node -> the node whose kernel applies it. */
function foldedMap(res: CompileResult): Map<string, string> {
  const m = new Map<string, string>();
  for (const inv of res.artifacts.schedule.invocations) if (inv.epilogue) m.set(inv.epilogue.node, inv.node);
  return m;
}

export function marksFor(res: CompileResult): Marks {
  const rejected = new Map(res.artifacts.report.fusion.filter((v) => !v.accepted).map((v) => [v.node, v.reason ?? 'rejected']));
  return fusionMarks(res.optimized, res.passReport.chains, foldedMap(res), rejected);
}

function cards(res: CompileResult): ReportCard[] {
  const r = res.artifacts.report;
  const p = res.passReport;
  const out: ReportCard[] = [
    { label: 'graph nodes', value: `${p.nodes.before} → ${p.nodes.after}` },
    { label: 'kernels', value: `${r.kernels.before} → ${r.kernels.after}`, sub: 'unfused → fused program' },
    { label: 'activations', value: `${p.activations.before} → ${r.activations.standalone}`, sub: `standalone kernels; ${r.activations.folded} folded into epilogues` },
    { label: 'peak memory', value: fmtBytes(r.memory.peakBytes), sub: `of ${r.memory.onChip.memory} ${fmtBytes(r.memory.onChip.size)}` },
  ];
  const s = res.simulation;
  if (s) {
    out.push({ label: 'cycles', value: fmtInt(s.cycles.fused), sub: s.cycles.unfused !== null ? `unfused ${fmtInt(s.cycles.unfused)}, ideal ${fmtInt(s.cycles.ideal)}` : `ideal ${fmtInt(s.cycles.ideal)}` });
    if (s.speedup !== null) out.push({ label: 'speedup', value: `${s.speedup.toFixed(3)}x`, sub: s.ofIdeal === null ? 'no gain possible' : `${fmtPct(s.ofIdeal)} of the ideal gain` });
    if (s.functional?.sqnrDb !== null && s.functional?.sqnrDb !== undefined) {
      const q = s.functional.sqnrDb;
      out.push({ label: 'SQNR vs float', value: Number.isFinite(q) ? `${q.toFixed(1)} dB` : 'exact', sub: s.functional.identical ? 'fused = unfused, bit for bit' : s.functional.identical === false ? 'fused ≠ unfused outputs' : undefined });
    }
  }
  return out.map((c) => (c.sub === undefined ? { label: c.label, value: c.value } : c));
}

function kernelsByType(res: CompileResult): ReportTable {
  const r = res.artifacts.report.kernels;
  const names = [...new Set([...Object.keys(r.beforeByType), ...Object.keys(r.byType)])].sort();
  const delta = (n: number): string => (n > 0 ? `+${n}` : String(n));
  return {
    title: 'Kernels by type', columns: [{ header: 'kernel' }, { header: 'unfused', numeric: true }, { header: 'fused', numeric: true }, { header: 'change', numeric: true }],
    rows: names.map((k) => [k, String(r.beforeByType[k] ?? 0), String(r.byType[k] ?? 0), delta((r.byType[k] ?? 0) - (r.beforeByType[k] ?? 0))]),
    footer: ['total', String(r.before), String(r.after), delta(r.after - r.before)],
  };
}

function verdictsTable(res: CompileResult): ReportTable {
  const v = res.artifacts.report.fusion;
  return {
    title: 'Quantized fusion verdicts',
    note: `Every fused node against its unfused chain on every ${res.dtype} input code per channel.`,
    columns: [{ header: 'node' }, { header: 'op' }, { header: 'replaces' }, { header: 'codes × ch', numeric: true }, { header: 'bit-exact' },
      { header: 'max diff (LSB)', numeric: true }, { header: 'closer to float' }, { header: 'verdict' }],
    rows: v.map((x) => [x.node, x.op, x.chain.map((n, i) => `${n}:${x.chainOps[i]}`).join(' → '), `${fmtInt(x.codes)} × ${x.channels}`,
      x.bitExact ? 'yes' : 'no', String(x.maxDiffLsb), x.closer, x.accepted ? 'accepted' : `rejected: ${x.reason ?? ''}`]),
  };
}

function chainsTable(res: CompileResult): ReportTable {
  const opOf = opLookup(res.source);
  return {
    title: 'Activation chains', columns: [{ header: '#', numeric: true }, { header: 'chain' }, { header: 'result' }, { header: 'note' }],
    rows: res.passReport.chains.map((c, i) => [String(i + 1), c.nodes.map((n) => `${n} (${opOf(n) ?? '?'})`).join(' → '), c.result, c.reason ?? '']),
  };
}

function patternsTable(res: CompileResult): ReportTable {
  const opOf = opLookup(res.source);
  return {
    title: 'Activations written as elementwise ops',
    note: 'Recognised before fusion; each became the activation shown, which fusion may then merge with its neighbours (docs/fusion.md).',
    columns: [{ header: '#', numeric: true }, { header: 'pattern' }, { header: 'replaced' }, { header: 'result' }],
    rows: res.passReport.patterns.map((p, i) => [String(i + 1), p.pattern, p.nodes.map((n) => `${n} (${opOf(n) ?? '?'})`).join(' → '), p.result]),
  };
}

function perKernelTable(title: string, kernels: KernelCycles[], total: number, shapes: Map<number, number[]>): ReportTable {
  return {
    title,
    columns: [{ header: '#', numeric: true }, { header: 'kernel' }, { header: 'node' }, { header: 'output' }, { header: 'MACs', numeric: true },
      { header: 'cycles', numeric: true }, { header: 'share', numeric: true }, { header: 'util', numeric: true }, { header: 'bound' },
      { header: 'param bytes', numeric: true }],
    rows: kernels.map((k) => [String(k.index), k.epilogue ? `${k.kernel}+${k.epilogue}` : k.kernel, k.node, fmtShape(shapes.get(k.index) ?? []),
      fmtInt(k.macs), fmtInt(k.cycles), fmtPct(k.cycles / (total || 1)), k.macs ? fmtPct(k.utilisation) : '', k.bound, fmtInt(k.paramBytes)]),
    footer: ['', 'total', '', '', fmtInt(kernels.reduce((a, k) => a + k.macs, 0)), fmtInt(total), '100.0%', '', '', ''],
  };
}

function lane(label: string, ks: KernelCycles[]): TimelineLane {
  return {
    label,
    kernels: ks.map((k) => ({ index: k.index, kernel: k.kernel, node: k.node, cycles: k.cycles, role: k.role, ...(k.epilogue ? { epilogue: k.epilogue } : {}) })),
  };
}

function timeline(s: SpeedupReport): ReportInput['timeline'] {
  const lanes = [lane('fused', s.kernels)];
  if (s.unfusedKernels) lanes.unshift(lane('unfused', s.unfusedKernels));
  return {
    lanes, ideal: s.cycles.ideal,
    caption: `One bar per kernel invocation on a shared cycle axis (${s.target} at ${s.clockHz / 1e6} MHz). Orange bars are standalone activation kernels: what fusion and epilogue folding remove. The dashed line is the ideal limit (every standalone activation free); outlined bars apply an activation in their epilogue.`,
  };
}

function notes(res: CompileResult): string[] {
  const r = res.artifacts.report;
  const n: string[] = [];
  const cal = r.calibration;
  n.push(cal.source === 'random'
    ? `Calibration: ${cal.samples} seeded random inputs (seed ${cal.seed}, ${cal.distribution ?? 'standard normal'}); pass --calib <dir> for representative data.`
    : `Calibration: ${cal.samples} samples from --calib.`);
  if (r.rewrites.verdictFallbacks) n.push(`${r.rewrites.verdictFallbacks} merge(s) rejected by the quantized verdict: the program keeps those chains unfused although the graph picture shows the fusion result.`);
  const f = res.simulation?.functional;
  if (f) n.push(`Functional simulation on the ${f.input} input: ${f.outputs.map((o) => `${o.name} SQNR ${o.fused ? (Number.isFinite(o.fused.sqnrDb) ? o.fused.sqnrDb.toFixed(1) + ' dB' : 'exact') : 'n/a'}`).join(', ')}${f.identical === null ? '' : f.identical ? '; fused and unfused outputs are bit-identical' : '; fused and unfused outputs differ'}.`);
  n.push('Cycle figures come from the cycle-approximate model of docs/cost-model.md, not from hardware.');
  return n;
}

export function buildReportInput(res: CompileResult): ReportInput {
  const marks = marksFor(res);
  const shapes = new Map(res.artifacts.schedule.invocations.map((i) => [i.index, i.outputs[0]?.shape ?? []]));
  const s = res.simulation;
  const tables: ReportTable[] = [kernelsByType(res)];
  if (res.passReport.patterns.length) tables.push(patternsTable(res));
  if (res.passReport.chains.length) tables.push(chainsTable(res));
  if (res.artifacts.report.fusion.length) tables.push(verdictsTable(res));
  if (s) {
    tables.push(perKernelTable('Per kernel: fused program', s.kernels, s.cycles.fused, shapes));
    if (s.unfusedKernels && res.baseline && s.cycles.unfused !== null) {
      const ushapes = new Map(res.baseline.schedule.invocations.map((i) => [i.index, i.outputs[0]?.shape ?? []]));
      tables.push(perKernelTable('Per kernel: unfused program', s.unfusedKernels, s.cycles.unfused, ushapes));
    }
  }
  const mem = res.artifacts.report.memory;
  const opOf = opLookup(res.source);
  const input: ReportInput = {
    title: `dspc report: ${modelLabel(res.model)}`,
    subtitle: `${res.model} (graph ${res.source.name}) → ${res.target.id} (${res.target.name}), ${res.dtype}${res.fused ? '' : ', --no-fuse'}`,
    cards: cards(res), before: res.source, after: res.optimized, chains: res.passReport.chains,
    chainLabels: res.passReport.chains.map((c) => c.nodes.map((n) => opOf(n) ?? n).join(' → ')),
    beforeMarks: marks.before, afterMarks: marks.after,
    memory: {
      series: { fused: mem.timeline, ...(res.baseline ? { unfused: res.baseline.report.memory.timeline } : {}), capacity: mem.onChip.size, capacityName: mem.onChip.memory },
      caption: `Live activation bytes over the program (peak ${fmtBytes(mem.peakBytes)}; ${mem.onChip.fits ? 'every buffer fits' : `${mem.spilledBuffers} buffer(s) did not fit ${mem.onChip.memory} and went to the next level`}).`,
    },
    tables, notes: notes(res),
  };
  if (s) input.timeline = timeline(s);
  const acc = res.artifacts.report.accuracy;
  if (acc) {
    input.accuracy = {
      bars: acc.kernels.map((k) => ({ index: k.index, kernel: k.kernel, node: k.node, sqnrDb: k.sqnrDb, dtype: k.dtype })),
      caption: `Output SQNR of every kernel against float on the ${acc.input === 'given' ? 'given (--input)' : 'seeded default'} reference input, ` +
        'in program order; errors accumulate, so a drop marks where accuracy is lost (blue int8, red int16 activations).',
    };
  }
  return input;
}

/** The --dot file: before and after as two clusters, same chain colours as the HTML report. */
export function dotFor(res: CompileResult): string {
  const m = marksFor(res);
  return graphDot([
    { title: `before: ${res.source.nodes.length} nodes`, graph: res.source, marks: m.before },
    { title: `after: ${res.optimized.nodes.length} nodes`, graph: res.optimized, marks: m.after },
  ], res.source.name);
}
