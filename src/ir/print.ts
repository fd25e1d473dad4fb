// Stage: IR core. The text printer: a stable, readable rendering of a graph used by golden tests, --debug and docs.
// Contract: output depends only on graph content (initializers and attributes sorted by name); floats round-trip.

import type { AttrValue, Graph, Node, ValueInfo } from './graph.js';
import type { DType, Tensor } from './tensor.js';

const DT: Readonly<Record<DType, string>> = {
  float32: 'f32', float64: 'f64', int64: 'i64', int32: 'i32', int16: 'i16', int8: 'i8', uint8: 'u8', bool: 'bool',
};

/** Shortest text that reads back as the same float32; doubles that are not float32 values get a 'd' suffix (the IR's
 * float attributes are ONNX float32, so a 'd' in a golden file flags arithmetic that forgot to round). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  if (Math.fround(v) !== v) return `${String(v)}d`;
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function formatName(name: string): string {
  return /^[A-Za-z0-9_.:/-]+$/.test(name) ? name : JSON.stringify(name);
}

export function formatType(v: { dtype: DType; shape: readonly number[] }): string {
  return `${DT[v.dtype]}[${v.shape.join(',')}]`;
}

function formatAttr(v: AttrValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloat(v);
  return `[${v.map((x) => (Number.isInteger(x) ? String(x) : formatFloat(x))).join(',')}]`;
}

function formatValues(t: Tensor): string {
  const out: string[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const x = t.data[i]!;
    out.push(typeof x === 'bigint' ? String(x) : t.dtype === 'float32' || t.dtype === 'float64' ? formatFloat(x) : String(x));
  }
  return `[${out.join(', ')}]`;
}

function ref(g: Graph, name: string): string {
  if (name === '') return '_';
  return (g.initializers.has(name) ? '@' : '%') + formatName(name);
}

function typed(g: Graph, name: string): string {
  if (name === '') return '_';
  const v = g.values.get(name);
  return `%${formatName(name)}:${v ? formatType(v) : '?'}`;
}

export function printNode(g: Graph, n: Node): string {
  const keys = Object.keys(n.attrs).sort();
  const attrs = keys.length ? ` {${keys.map((k) => `${k}=${formatAttr(n.attrs[k]!)}`).join(', ')}}` : '';
  const origin = n.origin ? `; origin: ${n.origin.join(',')}` : '';
  return `${n.outputs.map((o) => typed(g, o)).join(', ')} = ${n.op}(${n.inputs.map((i) => ref(g, i)).join(', ')})${attrs}  # ${formatName(n.name)}${origin}`;
}

function io(kind: string, v: ValueInfo): string {
  return `  ${kind} %${formatName(v.name)}: ${formatType(v)}`;
}

export function printGraph(g: Graph): string {
  const lines: string[] = [`graph ${formatName(g.name)} {`];
  for (const v of g.inputs) lines.push(io('input', v));
  for (const v of g.outputs) lines.push(io('output', v));
  for (const name of [...g.initializers.keys()].sort()) {
    const t = g.initializers.get(name)!;
    const vals = t.data.length <= 8 ? ` = ${formatValues(t)}` : '';
    lines.push(`  const @${formatName(name)}: ${formatType({ dtype: t.dtype, shape: t.dims })}${vals}`);
  }
  for (const n of g.nodes) lines.push(`  ${printNode(g, n)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
