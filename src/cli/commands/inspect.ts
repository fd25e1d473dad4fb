// Stage: CLI command. `dspc inspect <model.onnx|dir>`: what a model contains, or what an artifact directory holds.
// Contract: read-only; a model is imported (import-time constant folding applies), a directory is parsed and validated.

import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { inspectArtifacts, inspectModel } from '../../pipeline.js';
import type { ArtifactsInfo, ModelInfo } from '../../pipeline.js';
import { addCommonFlags, addLimitFlags, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { modelLabel } from '../tables.js';
import { fmtBytes, fmtInt, fmtShape, renderTable } from '../term.js';
import type { Output } from '../term.js';

export function registerInspect(program: Command): void {
  addCommonFlags(addLimitFlags(
    program
      .command('inspect')
      .description('show node count, op histogram, parameters, MACs and I/O of a model, or summarise a compiled artifact directory')
      .argument('<model|dir>', 'an ONNX model file, or a directory written by `dspc compile -o`'),
  )).action((target: string, flags: CommonFlags & LimitFlags) => {
    const out = outputFor(flags);
    if (isDirectory(target)) {
      const info = inspectArtifacts(target);
      if (flags.json) out.json(info);
      else printArtifacts(out, info);
    } else {
      const info = inspectModel(target, { ...limitsOf(flags), timings: out.timings });
      if (flags.json) out.json(modelJson(info));
      else printModel(out, info);
    }
  });
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // a missing path is reported by the importer with its own message
  }
}

/** JSON in the manifest's shape (inputs/outputs as name -> shape) plus dtypes. */
export function modelJson(info: ModelInfo): Record<string, unknown> {
  const shapes = (vs: ModelInfo['inputs']): Record<string, number[]> => Object.fromEntries(vs.map((v) => [v.name, v.shape]));
  const dtypes = (vs: ModelInfo['inputs']): Record<string, string> => Object.fromEntries(vs.map((v) => [v.name, v.dtype]));
  return {
    model: info.model, graph: info.graph, opset: info.opset, nodes: info.nodes, ops: info.ops, params: info.params, macs: info.macs,
    inputs: shapes(info.inputs), outputs: shapes(info.outputs), dtypes: { ...dtypes(info.inputs), ...dtypes(info.outputs) },
  };
}

function printModel(out: Output, info: ModelInfo): void {
  const c = out.c;
  out.info(`${c.bold(modelLabel(info.model))}  ${c.dim(`(${info.model}, graph ${info.graph})`)}  opset ${info.opset}`);
  out.info(`nodes ${c.bold(fmtInt(info.nodes))}   params ${fmtInt(info.params)}   MACs ${fmtInt(info.macs)}`);
  for (const v of info.inputs) out.info(`input   ${v.name}  ${v.dtype}${fmtShape(v.shape)}`);
  for (const v of info.outputs) out.info(`output  ${v.name}  ${v.dtype}${fmtShape(v.shape)}`);
  out.info();
  const rows = Object.entries(info.ops).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([op, n]) => [op, fmtInt(n)]);
  out.info(renderTable([{ header: 'op' }, { header: 'count', align: 'right' }], rows, c, ['total', fmtInt(info.nodes)]));
}

function printArtifacts(out: Output, info: ArtifactsInfo): void {
  const c = out.c;
  out.info(`${c.bold(info.model)}  ${c.dim(info.dir)}  target ${info.target}, ${info.dtype}, ${info.fused ? 'fused' : 'unfused (--no-fuse)'}`);
  out.info(`schedule.json  ${info.invocations} invocations, ${info.buffers} buffers`);
  out.info(`params.bin     v${info.params.version}, ${info.params.records} records, ${fmtBytes(info.params.bytes)}, CRC32 0x${info.params.crc32.toString(16).padStart(8, '0')} ok`);
  out.info();
  const kernels = Object.keys({ ...info.kernels, ...info.params.byKernel }).sort();
  const rows = kernels.map((k) => [
    k, fmtInt(info.kernels[k] ?? 0), info.epilogues[k] ? fmtInt(info.epilogues[k]!) : '', fmtInt(info.params.byKernel[k]?.records ?? 0),
    fmtInt(info.params.byKernel[k]?.bytes ?? 0),
  ]);
  out.info(renderTable(
    [{ header: 'kernel' }, { header: 'invocations', align: 'right' }, { header: 'as epilogue', align: 'right' },
      { header: 'param records', align: 'right' }, { header: 'param bytes', align: 'right' }],
    rows, c, ['total', fmtInt(info.invocations), '', fmtInt(info.params.records), ''],
  ));
  out.info();
  out.info(renderTable(
    [{ header: 'memory' }, { header: 'size', align: 'right' }, { header: 'used by buffers', align: 'right' }, { header: 'use', align: 'right' }],
    info.memories.map((m) => [m.name, fmtBytes(m.size), fmtBytes(m.used), m.size ? `${((100 * m.used) / m.size).toFixed(1)}%` : '']),
    c,
  ));
}
