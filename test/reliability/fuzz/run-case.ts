// Stage: reliability tests (fuzzer support). Runs one fuzz case through import (which verifies), export -> re-import,
// and, for small graphs, the float reference interpreter on a tiny seeded input; classifies what happened.
// Contract: never throws; ok | rejected (typed DspcError whose one-line message names the file and the problem) |
// unclear (typed, but the message does not say what is wrong) | crashed (anything else) | hung (over the time limit).

import { compileGraph } from '../../../src/backend/index.js';
import { exportOnnx, importOnnxBytes } from '../../../src/frontend/index.js';
import { MALFORMED_PREFIX } from '../../../src/frontend/onnx/import.js';
import { isDspcError } from '../../../src/ir/errors.js';
import type { Graph } from '../../../src/ir/graph.js';
import { interpret } from '../../../src/ir/interpret.js';
import { graphStats } from '../../../src/ir/stats.js';
import { allocData, numel, type Tensor } from '../../../src/ir/tensor.js';
import { optimize, resolveTarget } from '../../../src/pipeline.js';
import type { FuzzCase } from './cases.js';
import { Rng } from './rng.js';

export type Verdict = 'ok' | 'rejected' | 'unclear' | 'crashed' | 'hung';
export type Stage = 'import' | 'export' | 'interpret' | 'pipeline';

export interface Outcome {
  verdict: Verdict;
  stage: Stage;
  code?: string;
  message: string;
  ms: number;
  interpreted: boolean;
}

export interface RunOptions {
  /** Run the interpreter on graphs whose estimated work is at most this many element-operations (0: never). */
  maxInterpretWork?: number;
  /** A case that finishes but took longer than this is classified hung (the in-process watchdog). */
  limitMs?: number;
  /**
   * Also run accepted small graphs through the rest of the compiler in memory (passes, quantisation, lowering,
   * emission for the default target), to find what hostile-but-valid models do beyond the front end.
   */
  pipeline?: boolean;
}

/** Texts V8 puts in its own exceptions: a DspcError wrapping one of these hides a crash in our code. */
const ENGINE_TEXT = new RegExp([
  'Cannot read propert', 'Cannot set propert', 'is not a function', 'is not iterable', 'is not a constructor',
  'Invalid array length', 'Array buffer allocation failed', 'Maximum call stack', 'Invalid typed array length',
  'out of memory', 'Cannot convert', 'Cannot mix BigInt', 'Invalid string length', 'outside the bounds',
  'start offset of', 'should be a multiple of', 'Reduce of empty array', 'Invalid count value',
].join('|'));

function firstFrame(e: Error): string {
  const line = (e.stack ?? '').split('\n').find((l) => l.trim().startsWith('at '));
  return line ? line.trim().replace(/^at /, '').replace(/\(?file:\/\/[^)]*\/(src|test|kernels)\//, '$1/').replace(/\)$/, '') : '?';
}

/** Classify an exception thrown at `stage`; `file` is the label import errors must name. */
export function classify(e: unknown, stage: Stage, file: string | null): Pick<Outcome, 'verdict' | 'code' | 'message'> {
  if (!isDspcError(e)) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { verdict: 'crashed', message: `${err.name}: ${err.message} [at ${firstFrame(err)}]` };
  }
  const msg = e.message;
  if (ENGINE_TEXT.test(msg) || e.problem.startsWith(MALFORMED_PREFIX)) return { verdict: 'crashed', code: e.code, message: `wrapped internal error: ${msg} [at ${firstFrame(e)}]` };
  const unclear = !e.problem.trim() || /[\u0000-\u001f]/.test(msg) || /\bundefined\b|\[object /.test(msg) || (file !== null && !msg.includes(file));
  return { verdict: unclear ? 'unclear' : 'rejected', code: e.code, message: msg };
}

/** Element-operations the interpreter will do, roughly: window ops count their window, compute ops their MACs. */
export function interpretWork(g: Graph): number {
  let w = graphStats(g).macs;
  for (const n of g.nodes) {
    const ks = n.attrs['kernel_shape'];
    const window = Array.isArray(ks) ? ks.reduce((p, k) => p * Math.max(1, k), 1) : 1;
    for (const o of n.outputs) if (o) w += numel(g.values.get(o)?.shape ?? []) * window;
    for (const i of n.inputs) if (i) w += numel(g.values.get(i)?.shape ?? []);
  }
  return w;
}

function randomInputs(g: Graph, rng: Rng): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const v of g.inputs) {
    const n = numel(v.shape);
    const data = allocData(v.dtype, n);
    for (let i = 0; i < n; i++) {
      if (data instanceof BigInt64Array) data[i] = BigInt(rng.range(-2, 4));
      else if (v.dtype === 'float32' || v.dtype === 'float64') data[i] = rng.chance(0.01) ? rng.pick([0, -0, 1e30, -1e30]) : rng.float() * 6 - 3;
      else if (v.dtype === 'bool') data[i] = rng.int(2);
      else data[i] = rng.range(-2, 4);
    }
    m.set(v.name, { dtype: v.dtype, dims: [...v.shape], data });
  }
  return m;
}

function stageRun(c: FuzzCase, opts: RunOptions): Omit<Outcome, 'ms'> {
  let g: Graph;
  try {
    g = importOnnxBytes(c.bytes, c.label, { baseDir: c.source.dir });
  } catch (e) {
    return { ...classify(e, 'import', c.label), stage: 'import', interpreted: false };
  }
  // Whatever the importer accepts, the exporter must write and the importer must read back.
  try {
    importOnnxBytes(exportOnnx(g), `${c.label}.export.onnx`);
  } catch (e) {
    const k = classify(e, 'export', null);
    return { ...k, verdict: k.verdict === 'rejected' ? 'crashed' : k.verdict, message: `export round trip: ${k.message}`, stage: 'export', interpreted: false };
  }
  const maxWork = opts.maxInterpretWork ?? 2e7;
  if (maxWork <= 0 || interpretWork(g) > maxWork) return { verdict: 'ok', stage: 'import', message: '', interpreted: false };
  try {
    const out = interpret(g, randomInputs(g, new Rng(c.seed, c.index, 3)));
    for (const o of g.outputs) {
      const t = out.get(o.name);
      if (!t || t.dims.length !== o.shape.length || t.dims.some((d, i) => d !== o.shape[i]) || t.data.length !== numel(o.shape)) {
        return { verdict: 'crashed', stage: 'interpret', message: `output '${o.name}' is [${t?.dims.join(',')}], inference said [${o.shape.join(',')}]`, interpreted: true };
      }
    }
  } catch (e) {
    return { ...classify(e, 'interpret', null), stage: 'interpret', interpreted: true };
  }
  if (opts.pipeline) {
    try {
      const target = resolveTarget(undefined);
      const o = optimize(g, { target });
      compileGraph(o.graph, target, { dtype: 'int8', exact: false, modelId: c.label, unfused: g });
    } catch (e) {
      return { ...classify(e, 'pipeline', null), stage: 'pipeline', interpreted: true };
    }
    return { verdict: 'ok', stage: 'pipeline', message: '', interpreted: true };
  }
  return { verdict: 'ok', stage: 'interpret', message: '', interpreted: true };
}

export function runCase(c: FuzzCase, opts: RunOptions = {}): Outcome {
  const t0 = performance.now();
  let r: Omit<Outcome, 'ms'>;
  try {
    r = stageRun(c, opts);
  } catch (e) {
    r = { ...classify(e, 'import', c.label), verdict: 'crashed', stage: 'import', interpreted: false };
  }
  const ms = performance.now() - t0;
  if (opts.limitMs !== undefined && ms > opts.limitMs) {
    return { ...r, ms, verdict: 'hung', message: `took ${ms.toFixed(0)} ms (limit ${opts.limitMs} ms); would have been: ${r.verdict} ${r.message}` };
  }
  return { ...r, ms };
}
