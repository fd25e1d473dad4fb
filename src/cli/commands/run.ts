// Stage: CLI command. `dspc run <model> --input in.pb ... --output out.pb ...`: the float reference interpreter on real tensors.
// Contract: inputs bind by graph input name (or position); outputs are written as ONNX TensorProto .pb files, atomically.

import type { Command } from 'commander';
import { loadModel, parsePreprocess, readInputs, run, writeTensors } from '../../pipeline.js';
import type { NamedTensor } from '../../pipeline.js';
import { toFloat32 } from '../../ir/tensor.js';
import { DspcError } from '../../ir/errors.js';
import { addCommonFlags, addLimitFlags, addPreprocessFlag, collect, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { fmtShape, renderTable } from '../term.js';

interface RunFlags extends CommonFlags, LimitFlags {
  input?: string[];
  output?: string[];
  preprocess?: string;
}

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
  min: number;
  max: number;
  mean: number;
  file?: string;
}

export function summarize(t: NamedTensor, file?: string): TensorSummary {
  const x = toFloat32(t.tensor);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const s: TensorSummary = { name: t.name, dtype: t.tensor.dtype, shape: [...t.tensor.dims], min, max, mean: x.length ? sum / x.length : 0 };
  if (file !== undefined) s.file = file;
  return s;
}

export function registerRun(program: Command): void {
  addCommonFlags(addLimitFlags(addPreprocessFlag(
    program
      .command('run')
      .description('run a model on the float reference interpreter')
      .argument('<model>', 'ONNX model file')
      .option('-i, --input <file>', 'input tensor (.pb TensorProto) or PNG/JPEG image; repeat for several inputs, in graph input order', collect)
      .option('-o, --output <file.pb>', 'where to write an output tensor; repeat for several outputs, in graph output order', collect),
  ))).action((model: string, flags: RunFlags) => {
    const out = outputFor(flags);
    const spec = flags.preprocess !== undefined ? parsePreprocess(flags.preprocess) : undefined;
    if (!flags.input?.length) throw new DspcError('E_USAGE', 'run needs at least one --input <file.pb|image>');
    const g = loadModel(model, { ...limitsOf(flags), timings: out.timings });
    const outputs = run(g, readInputs(g, flags.input, spec), { timings: out.timings });
    if (flags.output?.length) writeTensors(flags.output, outputs);
    const summaries = outputs.map((t, i) => summarize(t, flags.output?.[i]));
    if (flags.json) {
      out.json({ model, outputs: summaries });
      return;
    }
    out.info(renderTable(
      [{ header: 'output' }, { header: 'type' }, { header: 'min', align: 'right' }, { header: 'max', align: 'right' },
        { header: 'mean', align: 'right' }, { header: 'written to' }],
      summaries.map((s) => [s.name, `${s.dtype}${fmtShape(s.shape)}`, s.min.toPrecision(6), s.max.toPrecision(6), s.mean.toPrecision(6), s.file ?? '']),
      out.c,
    ));
  });
}
