// Stage: CLI commands. `dspc targets` (presets with their key figures) and `dspc kernels --target T` (what a target offers).
// Contract: everything printed comes from the target descriptions (targets/*.json) and the kernel registry.

import type { Command } from 'commander';
import { KERNELS, listTargets } from '../../index.js';
import type { Target } from '../../index.js';
import { resolveTarget } from '../../pipeline.js';
import { addCommonFlags, outputFor } from '../common.js';
import type { CommonFlags } from '../common.js';
import { targetOptionFor } from '../help.js';
import { fmtBytes, fmtInt, renderTable } from '../term.js';

export interface TargetSummary {
  id: string;
  name: string;
  clockMHz: number;
  macsPerCycle: Target['macsPerCycle'];
  vectorLanes: Target['vectorLanes'];
  /** int8 peak in GMAC/s. */
  peakGmacsInt8: number;
  memories: { name: string; bytes: number; bytesPerCycle: number; latencyCycles: number }[];
  kernelLaunchCycles: number;
  kernels: number;
  activationKernels: string[];
}

export function summarizeTarget(t: Target): TargetSummary {
  return {
    id: t.id, name: t.name, clockMHz: t.clockHz / 1e6, macsPerCycle: t.macsPerCycle, vectorLanes: t.vectorLanes,
    peakGmacsInt8: (t.macsPerCycle.int8 * t.clockHz) / 1e9,
    memories: t.memories.map((m) => ({ name: m.name, bytes: m.sizeBytes, bytesPerCycle: m.bytesPerCycle, latencyCycles: m.latencyCycles })),
    kernelLaunchCycles: t.kernelLaunchCycles, kernels: t.kernels.length,
    activationKernels: t.kernels.filter((k) => KERNELS.get(k.name)?.role === 'activation').map((k) => k.name),
  };
}

export function registerTargets(program: Command): void {
  addCommonFlags(program.command('targets').description('list the target presets with their key figures')).action((flags: CommonFlags) => {
    const out = outputFor(flags);
    const all = listTargets().map(summarizeTarget);
    if (flags.json) {
      out.json(all);
      return;
    }
    out.info(renderTable(
      [{ header: 'target' }, { header: 'clock', align: 'right' }, { header: 'MAC/cyc i8', align: 'right' }, { header: 'MAC/cyc i16', align: 'right' },
        { header: 'lanes i8', align: 'right' }, { header: 'peak i8', align: 'right' }, { header: 'on-chip', align: 'right' },
        { header: 'launch', align: 'right' }, { header: 'activation kernels' }],
      all.map((t) => [
        t.id, `${t.clockMHz} MHz`, fmtInt(t.macsPerCycle.int8), fmtInt(t.macsPerCycle.int16), fmtInt(t.vectorLanes.int8),
        `${t.peakGmacsInt8.toFixed(1)} GMAC/s`, t.memories[0] ? `${t.memories[0].name} ${fmtBytes(t.memories[0].bytes)}` : '',
        `${t.kernelLaunchCycles} cyc`, t.activationKernels.join(' '),
      ]),
      out.c,
    ));
    out.info(out.c.dim('\nDetails and sources of every figure: docs/targets.md; use one with -t <name>, or -t path/to/target.json.'));
  });
}

interface KernelsFlags extends CommonFlags {
  target: string;
}

export function registerKernels(program: Command): void {
  addCommonFlags(
    program.command('kernels').description('list the kernels a target offers, what they implement and which activations they fold')
      .addOption(targetOptionFor()),
  ).action((flags: KernelsFlags) => {
    const out = outputFor(flags);
    const t = resolveTarget(flags.target);
    const rows = t.kernels.map((k) => {
      const def = KERNELS.get(k.name);
      return {
        name: k.name, role: def?.role ?? 'unknown', ops: [...(def?.ops ?? [])],
        cyclesPerVector: k.cyclesPerVector ?? def?.defaultCyclesPerVector ?? null,
        epilogue: k.epilogue ?? [], summary: def?.summary ?? '',
      };
    });
    if (flags.json) {
      out.json({ target: t.id, kernels: rows });
      return;
    }
    out.info(`${out.c.bold(t.id)}: ${t.name}`);
    out.info(renderTable(
      [{ header: 'kernel' }, { header: 'role' }, { header: 'IR ops' }, { header: 'cyc/vector', align: 'right' }, { header: 'epilogue activations' }],
      rows.map((r) => [r.name, r.role, r.ops.join(' '), r.cyclesPerVector === null ? '' : String(r.cyclesPerVector), r.epilogue.join(' ')]),
      out.c,
    ));
  });
}
