// Stage: CLI presentation. Terminal summaries of compile and simulate: key figures, the per-layer table, the speedup lines.
// Contract: formatting only; every number comes from the CompileResult / SpeedupReport (nothing recomputed here).

import type { CompileResult, SimulateResult } from '../pipeline.js';
import type { Schedule } from '../../kernels/artifacts.js';
import type { SpeedupReport } from '../sim/index.js';
import { chainsTable, modelLabel, opLookup, shortName } from './tables.js';
import { fmtBytes, fmtInt, fmtPct, fmtShape, renderTable } from './term.js';
import type { Output } from './term.js';

function byTypeText(m: Record<string, number>): string {
  return Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Everything `dspc compile --json` prints: report.json plus the pass report, simulation and files. */
export function compileJson(res: CompileResult): Record<string, unknown> {
  const j: Record<string, unknown> = { ...res.artifacts.report, passes: res.passReport };
  if (res.simulation) j['simulation'] = res.simulation;
  if (res.outDir !== undefined) {
    j['outDir'] = res.outDir;
    j['files'] = res.files;
  }
  return j;
}

export interface CompileTextOptions {
  perKernel: boolean;
  extras: string[];
}

export function printCompile(out: Output, res: CompileResult, o: CompileTextOptions): void {
  const c = out.c;
  const r = res.artifacts.report;
  const p = res.passReport;
  out.info(`${c.bold(modelLabel(res.model))} ${c.dim(`(${res.model}, graph ${res.source.name})`)} → ${c.bold(res.target.id)}, ${res.dtype}${res.fused ? '' : c.yellow(' (--no-fuse)')}`);
  const line = (k: string, v: string): void => out.info(`  ${k.padEnd(12)} ${v}`);
  line('graph', `${p.nodes.before} nodes → ${c.bold(String(p.nodes.after))}, activation nodes ${p.activations.before} → ${c.bold(String(p.activations.after))}`);
  line('kernels', `${r.kernels.before} → ${c.bold(String(r.kernels.after))}  (${byTypeText(r.kernels.byType)})`);
  line('activations', `${r.activations.standalone} standalone ${r.activations.standalone === 1 ? 'kernel' : 'kernels'}, ${r.activations.folded} folded into epilogues`);
  if (r.fusion.length) {
    const exact = r.fusion.filter((v) => v.bitExact).length;
    const inexact = r.fusion.filter((v) => v.accepted && !v.bitExact).length;
    const rejected = r.fusion.filter((v) => !v.accepted).length;
    const parts = [`${exact} bit-exact`];
    if (inexact) parts.push(`${inexact} accepted as never further from float than the chain`);
    if (rejected) parts.push(c.yellow(`${rejected} rejected (kept unfused)`));
    line('fusion', `${r.fusion.length} fused nodes checked on every input code: ${parts.join(', ')}`);
  }
  const fits = r.memory.onChip.fits ? c.green('fits') : c.yellow(`${r.memory.spilledBuffers} buffers spilled`);
  line('memory', `peak ${fmtBytes(r.memory.peakBytes)} of ${r.memory.onChip.memory} ${fmtBytes(r.memory.onChip.size)} (${fits}); params ${fmtBytes(r.memory.paramBytes)}`);
  const cal = r.calibration;
  line('calibration', cal.source === 'random' ? `seeded random inputs (seed ${cal.seed}, ${cal.samples} samples; use --calib dir for real data)` : `${cal.samples} ${cal.samples === 1 ? 'sample' : 'samples'} from --calib`);
  if (p.chains.length) out.info('\n' + chainsTable(p.chains, opLookup(res.source), c));
  if (res.simulation) {
    if (o.perKernel) out.info('\n' + perKernelTable(res.simulation, res.artifacts.schedule, out));
    out.info('\n' + speedupLines(res.simulation, out).join('\n'));
  }
  const wrote: string[] = [];
  if (res.outDir !== undefined) wrote.push(`${res.outDir}/ (${topLevel(res.files).join(' ')})`);
  wrote.push(...o.extras);
  if (wrote.length) out.info(`\nwrote ${wrote.join(', ')}`);
  else out.info(c.dim('\nnothing written: add -o <dir> for the artifacts, --report report.html for the HTML report'));
}

function topLevel(files: string[]): string[] {
  return [...new Set(files.map((f) => (f.includes('/') ? `${f.slice(0, f.indexOf('/'))}/` : f)))];
}

/** Per-invocation table in the manner of Vela's --verbose-performance. */
export function perKernelTable(s: SpeedupReport, schedule: Schedule, out: Output): string {
  const total = s.cycles.fused || 1;
  const rows = s.kernels.map((k) => {
    const inv = schedule.invocations[k.index];
    const shape = inv?.outputs[0] ? fmtShape(inv.outputs[0].shape) : '';
    const mem = Object.entries(k.bytes).map(([m, b]) => `${m} ${fmtBytes(b)}`).join(' ');
    const kernel = k.epilogue ? `${k.kernel}+${k.epilogue}` : k.kernel;
    return [String(k.index), k.role === 'activation' ? out.c.yellow(kernel) : kernel, shortName(k.node), shape, fmtInt(k.macs), fmtInt(k.cycles),
      fmtPct(k.cycles / total), k.macs ? fmtPct(k.utilisation) : '', k.bound, mem];
  });
  return renderTable(
    [{ header: '#', align: 'right' }, { header: 'kernel' }, { header: 'node' }, { header: 'output' }, { header: 'MACs', align: 'right' },
      { header: 'cycles', align: 'right' }, { header: 'share', align: 'right' }, { header: 'util', align: 'right' }, { header: 'bound' },
      { header: 'activation traffic' }],
    rows, out.c,
    ['', 'total', '', '', fmtInt(s.macs), fmtInt(s.cycles.fused), '100.0%', fmtPct(s.utilisation), '', ''],
  );
}

export function speedupLines(s: SpeedupReport, out: Output): string[] {
  const c = out.c;
  const lines: string[] = [];
  const ms = (cyc: number): string => `${((cyc / s.clockHz) * 1e3).toFixed(3)} ms`;
  if (s.cycles.unfused !== null) {
    lines.push(`  ${'cycles'.padEnd(12)} unfused ${fmtInt(s.cycles.unfused)} → fused ${c.bold(fmtInt(s.cycles.fused))} (ideal ${fmtInt(s.cycles.ideal)})`);
    const of = s.ofIdeal === null ? 'n/a' : fmtPct(s.ofIdeal);
    lines.push(`  ${'speedup'.padEnd(12)} ${c.bold(`${(s.speedup ?? 1).toFixed(3)}x`)}, ${of} of the ideal gain (every standalone activation free)`);
    lines.push(`  ${'latency'.padEnd(12)} ${ms(s.cycles.fused)} fused, ${ms(s.cycles.unfused)} unfused at ${s.clockHz / 1e6} MHz`);
  } else {
    lines.push(`  ${'cycles'.padEnd(12)} fused ${c.bold(fmtInt(s.cycles.fused))} (ideal ${fmtInt(s.cycles.ideal)}); no unfused program to compare`);
    lines.push(`  ${'latency'.padEnd(12)} ${ms(s.cycles.fused)} at ${s.clockHz / 1e6} MHz`);
  }
  const f = s.functional;
  if (f) {
    const sq = f.sqnrDb === null ? 'no float reference' : `SQNR ${Number.isFinite(f.sqnrDb) ? `${f.sqnrDb.toFixed(1)} dB` : 'inf (exact)'} vs float, max abs error ${f.maxAbsError!.toPrecision(3)}`;
    const id = f.identical === null ? '' : f.identical ? c.green('; fused and unfused outputs bit-identical') : c.yellow('; fused and unfused outputs differ');
    lines.push(`  ${'functional'.padEnd(12)} ${sq} (${f.input} input)${id}`);
  }
  return lines;
}

export function printSimulate(out: Output, res: SimulateResult, perKernel: boolean, written: string[]): void {
  const s = res.report;
  out.info(`${out.c.bold(s.model)} ${out.c.dim(`(${res.dir})`)} on ${s.target}, ${s.dtype}`);
  if (perKernel) out.info('\n' + perKernelTable(s, res.schedule, out) + '\n');
  out.info(speedupLines(s, out).join('\n'));
  if (written.length) out.info(`\nwrote ${written.join(', ')}`);
}
