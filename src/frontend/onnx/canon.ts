// Stage: frontend (ONNX). Canonicalisation rules: one per ONNX op type, turning every opset's form into the IR's form.
// Contract: a rule reads a topologically earlier, already-canonical graph through the context and emits canonical nodes
// (docs/ir.md); static inputs become attributes; ops without a rule pass through with op-table-typed attributes.

import type { AttrValue } from '../../ir/graph.js';
import { opDef } from '../../ir/optable.js';
import { toNumbers, type Tensor } from '../../ir/tensor.js';
import { ImportContext, attrAs, rawFloat, rawInt, rawInts, rawString } from './context.js';
import { attrTensor, irNode, type RawNode } from './rawgraph.js';
import { MOVEMENT_RULES } from './canon-movement.js';

export type Rule = (n: RawNode, cx: ImportContext) => void;

/** Legacy attributes that carry no meaning for inference (checked where their value matters). */
const IGNORED_ATTRS = new Set(['consumed_inputs', 'is_test']);


/** ONNX attributes the op table declares, converted to its types; unknown meaningful attributes are refused. */
export function tableAttrs(n: RawNode, cx: ImportContext, op = n.op, ignore: readonly string[] = []): Record<string, AttrValue> {
  const def = opDef(op);
  const out: Record<string, AttrValue> = {};
  for (const name of n.attrs.keys()) {
    if (IGNORED_ATTRS.has(name) || ignore.includes(name)) continue;
    const spec = def?.attrs[name];
    if (!spec) cx.fail('E_UNSUPPORTED', `${n.op} attribute '${name}' is not supported`, n.name);
    const v = attrAs(n, name, spec.type);
    if (typeof v === 'number' && spec.type === 'float' && !Number.isFinite(v)) {
      cx.fail('E_ATTR', `${n.op} attribute '${name}' is ${v}; it must be finite`, n.name);
    }
    out[name] = v;
  }
  return out;
}

/** Drop trailing omitted inputs and refuse optional outputs that are actually consumed. */
export function dataOutputs(n: RawNode, cx: ImportContext, keep: number, used: ReadonlySet<string>): string[] {
  n.outputs.slice(keep).forEach((o) => {
    if (o && (used.has(o) || cx.graphOutputs.has(o))) {
      cx.fail('E_UNSUPPORTED', `${n.op} output ${n.outputs.indexOf(o)} ('${o}') is used; only inference outputs are supported`, n.name);
    }
  });
  return n.outputs.slice(0, keep);
}

export function passthrough(n: RawNode, cx: ImportContext): void {
  cx.emit(irNode(n, n.op, n.inputs, n.outputs, tableAttrs(n, cx)));
}

function scalarOf(t: Tensor, n: RawNode, cx: ImportContext, what: string): number {
  if (t.data.length !== 1) cx.fail('E_ATTR', `${n.op} ${what} must be a scalar, got shape [${t.dims.join(',')}]`, n.name);
  return Number(t.data[0]);
}

/** Explicit pads from auto_pad (SAME_UPPER/SAME_LOWER/VALID) and the static input shape (ONNX Conv/pool semantics). */
function resolvePads(n: RawNode, cx: ImportContext, spatial: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const mode = rawString(n, 'auto_pad', 'NOTSET');
  const r = spatial.length;
  if (mode === 'NOTSET') {
    const pads = rawInts(n, 'pads') ?? new Array<number>(2 * r).fill(0);
    if (pads.length !== 2 * r) cx.fail('E_ATTR', `pads [${pads.join(',')}] must have ${2 * r} entries`, n.name);
    return pads;
  }
  if (mode === 'VALID') return new Array<number>(2 * r).fill(0);
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') cx.fail('E_ATTR', `unknown auto_pad '${mode}'`, n.name);
  const pads = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(spatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i]!;
  }
  return pads;
}

function windowAttrs(n: RawNode, cx: ImportContext, kernel: number[], withDilations: boolean): Record<string, AttrValue> {
  const x = cx.info(n.inputs[0] ?? '', n.name);
  const r = kernel.length;
  if (x.shape.length !== r + 2) cx.fail('E_GRAPH', `input rank ${x.shape.length} does not match kernel_shape [${kernel.join(',')}]`, n.name);
  const strides = rawInts(n, 'strides') ?? new Array<number>(r).fill(1);
  const dilations = rawInts(n, 'dilations') ?? new Array<number>(r).fill(1);
  const pads = resolvePads(n, cx, x.shape.slice(2), kernel, strides, dilations);
  const a: Record<string, AttrValue> = { kernel_shape: kernel, strides, pads };
  if (withDilations) a['dilations'] = dilations;
  return a;
}

const conv = (n: RawNode, cx: ImportContext): void => {
  const w = cx.info(n.inputs[1] ?? '', n.name);
  const kernel = rawInts(n, 'kernel_shape') ?? w.shape.slice(2);
  const a = windowAttrs(n, cx, kernel, true);
  a['group'] = rawInt(n, 'group', 1);
  cx.emit(irNode(n, 'Conv', n.inputs, n.outputs, a));
};

function pool(op: 'MaxPool' | 'AveragePool'): Rule {
  return (n: RawNode, cx: ImportContext): void => {
    const kernel = rawInts(n, 'kernel_shape');
    if (!kernel) cx.fail('E_ATTR', `${op} needs kernel_shape`, n.name);
    const a = windowAttrs(n, cx, kernel, op === 'MaxPool');
    a['ceil_mode'] = rawInt(n, 'ceil_mode', 0);
    if (op === 'AveragePool') a['count_include_pad'] = rawInt(n, 'count_include_pad', 0);
    // storage_order only affects the Indices output, which dataOutputs refuses when used.
    const outs = dataOutputs(n, cx, 1, cx.used);
    cx.emit(irNode(n, op, n.inputs, outs, a));
  };
}

const gemm = (n: RawNode, cx: ImportContext): void => {
  // Gemm-6 `broadcast`: opset 7+ always broadcasts C unidirectionally, which is what the op table does.
  cx.emit(irNode(n, 'Gemm', n.inputs, n.outputs, tableAttrs(n, cx, 'Gemm', ['broadcast'])));
};

const batchNorm = (n: RawNode, cx: ImportContext): void => {
  if (rawInt(n, 'spatial', 1) !== 1) cx.fail('E_UNSUPPORTED', 'BatchNormalization spatial=0 is not supported', n.name);
  if (rawInt(n, 'training_mode', 0) !== 0) cx.fail('E_UNSUPPORTED', 'BatchNormalization in training mode is not supported', n.name);
  const a = tableAttrs(n, cx, 'BatchNormalization', ['spatial', 'momentum', 'training_mode']);
  cx.emit(irNode(n, 'BatchNormalization', n.inputs.slice(0, 5), dataOutputs(n, cx, 1, cx.used), a));
};

const clip = (n: RawNode, cx: ImportContext): void => {
  let lo: number;
  let hi: number;
  if (cx.opset < 11) {
    lo = rawFloat(n, 'min', -Infinity);
    hi = rawFloat(n, 'max', Infinity);
  } else {
    const tmin = cx.staticInput(n, 1, 'min');
    const tmax = cx.staticInput(n, 2, 'max');
    lo = tmin ? scalarOf(tmin, n, cx, 'min') : -Infinity;
    hi = tmax ? scalarOf(tmax, n, cx, 'max') : Infinity;
  }
  if (Number.isNaN(lo) || Number.isNaN(hi)) cx.fail('E_ATTR', `Clip bound is NaN (min ${lo}, max ${hi})`, n.name);
  // ONNX Clip-13: min > max sets every output to max (= Min(max, Max(x, min))). Clip(max, max) is that same function
  // and keeps min <= max an invariant for fusion, quantisation and kernels (docs/reliability.md).
  if (lo > hi) lo = hi;
  cx.emit(irNode(n, 'Clip', [n.inputs[0]!], n.outputs, { min: lo, max: hi }));
};

const prelu = (n: RawNode, cx: ImportContext): void => {
  let slope = cx.resolve(n.inputs[1] ?? '');
  const st = cx.constOf(slope);
  if (st) for (const v of st.data) if (!Number.isFinite(Number(v))) cx.fail('E_ATTR', `PRelu slope contains ${v}; slopes must be finite`, n.name);
  const x = cx.info(n.inputs[0] ?? '', n.name);
  const s = cx.info(slope, n.name);
  // PRelu-6 (and older): a 1-D slope of length C is per channel (axis 1); opset-7 broadcasting needs [C,1,...,1].
  if (cx.opset < 7 && s.shape.length === 1 && x.shape.length > 2 && s.shape[0] === x.shape[1] && s.shape[0] !== 1) {
    const shape = [s.shape[0]!, ...new Array<number>(x.shape.length - 2).fill(1)];
    const out = cx.freshValue(`${slope}_per_channel`);
    cx.emit({ name: cx.freshNode(`${n.name}/slope_reshape`), op: 'Reshape', inputs: [slope], outputs: [out], attrs: { shape }, origin: [n.name] });
    slope = out;
  }
  cx.emit(irNode(n, 'PRelu', [n.inputs[0]!, slope], n.outputs, {}));
};

const dropout = (n: RawNode, cx: ImportContext): void => {
  let ratio = rawFloat(n, 'ratio', 0.5);
  if (cx.opset >= 12) {
    const r = cx.staticInput(n, 1, 'ratio');
    ratio = r ? scalarOf(r, n, cx, 'ratio') : 0.5;
    const tm = cx.staticInput(n, 2, 'training_mode');
    if (tm && scalarOf(tm, n, cx, 'training_mode') !== 0) cx.fail('E_UNSUPPORTED', 'Dropout in training mode is not supported', n.name);
  }
  cx.emit(irNode(n, 'Dropout', [n.inputs[0]!], dataOutputs(n, cx, 1, cx.used), { ratio }));
};

const constant = (n: RawNode, cx: ImportContext): void => {
  const out = n.outputs[0];
  if (!out) cx.fail('E_GRAPH', 'Constant has no output', n.name);
  const [name, a] = [...n.attrs][0] ?? ['', undefined];
  if (!a || n.attrs.size !== 1) cx.fail('E_ATTR', 'Constant needs exactly one value attribute', n.name);
  let t: Tensor;
  if (name === 'value') t = attrTensor(a, { file: cx.file, node: n.name, baseDir: cx.baseDir, budget: cx.budget, maxTensorBytes: cx.maxTensorBytes });
  else if (name === 'value_float' && a.kind === 'float') t = { dtype: 'float32', dims: [], data: new Float32Array([a.v]) };
  else if (name === 'value_floats' && a.kind === 'floats') t = { dtype: 'float32', dims: [a.v.length], data: new Float32Array(a.v) };
  else if (name === 'value_int' && a.kind === 'int') t = { dtype: 'int64', dims: [], data: new BigInt64Array([BigInt(a.v)]) };
  else if (name === 'value_ints' && a.kind === 'ints') {
    t = { dtype: 'int64', dims: [a.v.length], data: BigInt64Array.from(a.v, (v) => BigInt(v)) };
  } else cx.fail('E_UNSUPPORTED', `Constant attribute '${name}' (${a.kind}) is not supported`, n.name);
  cx.addConst(out, t);
};

const identity = (n: RawNode, cx: ImportContext): void => {
  const src = cx.resolve(n.inputs[0] ?? '');
  const out = n.outputs[0]!;
  // Identity on an initializer (exporters re-create de-duplicated initializers this way): consumers read it directly.
  if (cx.consts.has(src) && !cx.graphOutputs.has(out)) {
    cx.alias.set(out, src);
    return;
  }
  passthrough(n, cx);
};

/** Shape of a statically shaped tensor is a constant (Shape-15 start/end included). */
const shape = (n: RawNode, cx: ImportContext): void => {
  const dims = cx.info(n.inputs[0] ?? '', n.name).shape;
  const r = dims.length;
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const picked = dims.slice(norm(rawInt(n, 'start', 0)), norm(rawInt(n, 'end', r)));
  cx.addConst(n.outputs[0]!, { dtype: 'int64', dims: [picked.length], data: BigInt64Array.from(picked, (d) => BigInt(d)) });
};

const softmax = (n: RawNode, cx: ImportContext): void => {
  const x = cx.info(n.inputs[0] ?? '', n.name);
  const r = x.shape.length;
  let axis = rawInt(n, 'axis', cx.opset < 13 ? 1 : -1);
  if (axis < -r || axis >= r) cx.fail('E_ATTR', `Softmax axis ${axis} is out of range for rank ${r}`, n.name);
  if (axis < 0) axis += r;
  // Before opset 13 the input was coerced to 2-D at `axis`: that equals per-axis softmax only when axis is last.
  if (cx.opset >= 13 || axis === r - 1) {
    cx.emit(irNode(n, 'Softmax', n.inputs.slice(0, 1), n.outputs, { axis }));
    return;
  }
  const flat = cx.freshValue(`${n.name}/flat`);
  const soft = cx.freshValue(`${n.name}/softmax`);
  const origin = [n.name];
  cx.emit({ name: cx.freshNode(`${n.name}/flatten`), op: 'Flatten', inputs: [n.inputs[0]!], outputs: [flat], attrs: { axis }, origin });
  cx.emit({ name: n.name, op: 'Softmax', inputs: [flat], outputs: [soft], attrs: { axis: 1 } });
  cx.emit({ name: cx.freshNode(`${n.name}/reshape`), op: 'Reshape', inputs: [soft], outputs: n.outputs, attrs: { shape: [...x.shape] }, origin });
};

/** Add/Sub/Mul/Div before opset 7: `broadcast`+`axis` align B at `axis`; numpy rules need trailing 1s appended. */
const binary = (n: RawNode, cx: ImportContext): void => {
  if (cx.opset >= 7 || rawInt(n, 'broadcast', 0) === 0 || !n.attrs.has('axis')) {
    cx.emit(irNode(n, n.op, n.inputs, n.outputs, tableAttrs(n, cx, n.op, ['broadcast'])));
    return;
  }
  const a = cx.info(n.inputs[0] ?? '', n.name);
  const b = cx.info(n.inputs[1] ?? '', n.name);
  const axis = (rawInt(n, 'axis', 0) + a.shape.length) % a.shape.length;
  let bName = n.inputs[1]!;
  const trailing = a.shape.length - axis - b.shape.length;
  if (trailing > 0) {
    const out = cx.freshValue(`${bName}_aligned`);
    const shape = [...b.shape, ...new Array<number>(trailing).fill(1)];
    cx.emit({ name: cx.freshNode(`${n.name}/align`), op: 'Reshape', inputs: [bName], outputs: [out], attrs: { shape }, origin: [n.name] });
    bName = out;
  }
  cx.emit(irNode(n, n.op, [n.inputs[0]!, bName], n.outputs, {}));
};

/** Pow: the exponent must be known at compile time (one table per node); a run-time exponent is refused by name. */
const pow = (n: RawNode, cx: ImportContext): void => {
  if (!cx.isConst(n.inputs[0] ?? '')) cx.staticInput(n, 1, 'exponent');
  passthrough(n, cx);
};

/** ReduceMean over all spatial axes of an N,C,spatial... tensor is GlobalAveragePool (+ Reshape without keepdims). */
const reduceMean = (n: RawNode, cx: ImportContext): void => {
  const x = cx.info(n.inputs[0] ?? '', n.name);
  const r = x.shape.length;
  const axesT = cx.opset >= 18 ? cx.staticInput(n, 1, 'axes') : undefined;
  const axes = (axesT ? toNumbers(axesT) : rawInts(n, 'axes') ?? [...Array(r).keys()]).map((v) => (v < 0 ? v + r : v)).sort((p, q) => p - q);
  const spatial = r >= 3 && axes.length === r - 2 && axes.every((v, i) => v === i + 2);
  if (!spatial) {
    if (opDef('ReduceMean')) return passthrough(n, cx);
    cx.fail('E_UNSUPPORTED', `ReduceMean over axes [${axes.join(',')}] is supported only over all spatial axes`, n.name);
  }
  if (rawInt(n, 'keepdims', 1) !== 0) {
    cx.emit(irNode(n, 'GlobalAveragePool', [n.inputs[0]!], n.outputs, {}));
    return;
  }
  const pooled = cx.freshValue(`${n.name}/pooled`);
  cx.emit(irNode(n, 'GlobalAveragePool', [n.inputs[0]!], [pooled], {}));
  const origin = [n.name];
  cx.emit({ name: cx.freshNode(`${n.name}/reshape`), op: 'Reshape', inputs: [pooled], outputs: n.outputs, attrs: { shape: x.shape.slice(0, 2) }, origin });
};

export const RULES: Readonly<Record<string, Rule>> = {
  Conv: conv,
  MaxPool: pool('MaxPool'),
  AveragePool: pool('AveragePool'),
  Gemm: gemm,
  BatchNormalization: batchNorm,
  Clip: clip,
  PRelu: prelu,
  Dropout: dropout,
  Constant: constant,
  Identity: identity,
  Shape: shape,
  Softmax: softmax,
  Add: binary, Sub: binary, Mul: binary, Div: binary,
  Pow: pow,
  ReduceMean: reduceMean,
  ...MOVEMENT_RULES,
};

/** Import-supported ONNX op types: a rule here, or an op-table entry taken as is. */
export function isSupportedOp(op: string): boolean {
  return op in RULES || opDef(op) !== undefined;
}
