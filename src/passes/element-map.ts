// Stage: graph passes, analysis. Where each output element of a value-preserving op comes from, found by evaluation.
// Contract: runs the op table's own evaluate() on index-coded inputs, so no op needs a hand-written index rule here.

import type { Node } from '../ir/graph.js';
import { evaluateNode } from '../ir/interpret.js';
import type { Tensor } from '../ir/tensor.js';
import { numel } from '../ir/tensor.js';
import type { Work } from './work.js';
import { MemoKey } from './work.js';

/** Index codes stay exact in float32 up to 2^24 elements. */
const MAX_ELEMENTS = 2 ** 24 - 1;

export interface ElementMap {
  /** Runtime (non-initializer) inputs by position in node.inputs, with their offsets in the global source numbering. */
  inputs: { pos: number; offset: number; shape: number[] }[];
  /** Per output element: global source index, or -1 for a constant the op introduces (pad value, initializer data). */
  src: Int32Array;
  /** Per output element: the constant where src is -1. */
  constant: Float32Array;
  outShape: number[];
}

/**
 * Element maps computed in one working copy, by op, attributes, shapes and initializer *identity* (their data
 * matters; two graphs may give different data the same name, and a pass may replace an initializer).
 */
class ElementMaps {
  readonly maps = new Map<string, ElementMap | null>();
  private readonly ids = new WeakMap<Tensor, number>();
  private lastId = 0;

  idOf(t: Tensor): number {
    let id = this.ids.get(t);
    if (id === undefined) this.ids.set(t, (id = ++this.lastId));
    return id;
  }
}

const ELEMENT_MAPS = new MemoKey(() => new ElementMaps());

function signature(n: Node, work: Work, maps: ElementMaps, out: number): string {
  const ins = n.inputs.map((i) => {
    if (!i) return '_';
    const init = work.initializer(i);
    // runtime input names are not part of the key: only their shapes matter
    return `${init ? `@${maps.idOf(init)}` : ''}:${work.info(i)?.shape.join('x')}`;
  });
  return `${n.op}|${JSON.stringify(n.attrs)}|${ins.join(',')}|${out}`;
}

/**
 * The element map of output `out` of a value-preserving node, or null when it cannot be computed (too large,
 * non-float runtime inputs, evaluation failure). Each output element is either a source element or a constant:
 * inputs are coded +(k+1) and -(k+1) in two runs; an element equal in both runs did not come from an input.
 * Memoised in the working copy (Work.memo).
 */
export function elementMap(n: Node, work: Work, out = 0): ElementMap | null {
  const maps = work.memo(ELEMENT_MAPS);
  const key = signature(n, work, maps, out);
  const hit = maps.maps.get(key);
  if (hit !== undefined) return hit;
  const m = compute(n, work, out);
  if (maps.maps.size > 4096) maps.maps.clear(); // a map holds up to 2^24 elements: keep the memory bounded
  maps.maps.set(key, m);
  return m;
}

function compute(n: Node, work: Work, out: number): ElementMap | null {
  const inputs: ElementMap['inputs'] = [];
  let total = 0;
  for (let pos = 0; pos < n.inputs.length; pos++) {
    const name = n.inputs[pos]!;
    if (!name || work.initializer(name)) continue;
    const info = work.info(name);
    if (!info || (info.dtype !== 'float32' && info.dtype !== 'float64')) return null;
    inputs.push({ pos, offset: total, shape: [...info.shape] });
    total += numel(info.shape);
  }
  if (total === 0 || total > MAX_ELEMENTS) return null;
  const run = (sign: 1 | -1): Float32Array | null => {
    const args = n.inputs.map((name, pos): Tensor | undefined => {
      if (!name) return undefined;
      const init = work.initializer(name);
      if (init) return init;
      const rec = inputs.find((r) => r.pos === pos)!;
      const data = new Float32Array(numel(rec.shape));
      for (let i = 0; i < data.length; i++) data[i] = sign * (rec.offset + i + 1);
      return { dtype: 'float32', dims: rec.shape, data };
    });
    try {
      const t = evaluateNode(n, args)[out];
      return t && t.data instanceof Float32Array ? t.data : null;
    } catch {
      return null;
    }
  };
  const a = run(1), b = run(-1);
  if (!a || !b || a.length !== b.length) return null;
  const src = new Int32Array(a.length), constant = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      src[i] = -1;
      constant[i] = a[i]!;
    } else {
      const k = a[i]! - 1;
      if (!Number.isInteger(k) || k < 0 || k >= total) return null; // not a pure selection after all
      src[i] = k;
    }
  }
  const outShape = work.info(n.outputs[out]!)?.shape ?? [a.length];
  return { inputs, src, constant, outShape: [...outShape] };
}

/** The runtime input and its element index for a global source index. */
export function sourceOf(m: ElementMap, k: number): { input: number; index: number } {
  let j = m.inputs.length - 1;
  while (j > 0 && m.inputs[j]!.offset > k) j--;
  return { input: j, index: k - m.inputs[j]!.offset };
}

/** Axis-1 index (channel) of element `i` of a tensor of `shape` (0 for rank < 2). */
export function channelAt(shape: readonly number[], i: number): number {
  if (shape.length < 2) return 0;
  let inner = 1;
  for (let k = 2; k < shape.length; k++) inner *= shape[k]!;
  return Math.floor(i / inner) % shape[1]!;
}
