// Stage: IR core. Attribute validation against the op table: types, required attributes, unknown names, op checks.
// Contract: returns a problem description (no node name; callers add it) or null when the node's attributes are valid.

import type { AttrValue, Node } from './graph.js';
import type { AttrType, OpDef } from './ops/types.js';

function typeMatches(t: AttrType, v: AttrValue): boolean {
  switch (t) {
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case 'float': return typeof v === 'number';
    case 'ints': return Array.isArray(v) && v.every((x) => Number.isInteger(x));
    case 'floats': return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'string': return typeof v === 'string';
  }
}

function describe(v: AttrValue): string {
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  return typeof v === 'string' ? `'${v}'` : String(v);
}

export function attrProblem(def: OpDef, node: Node): string | null {
  for (const key in node.attrs) {
    const spec = def.attrs[key];
    if (!spec) return `${def.type} has no attribute '${key}'`;
    const v = node.attrs[key]!;
    if (!typeMatches(spec.type, v)) return `attribute '${key}' must be ${spec.type}, got ${describe(v)}`;
  }
  for (const key in def.attrs) {
    if (def.attrs[key]!.default === undefined && node.attrs[key] === undefined) return `required attribute '${key}' missing`;
  }
  return def.check ? def.check(node) : null;
}

/** Input count against the op's port list (optional ports may be omitted or '', variadic ports take the rest). */
export function arityProblem(def: OpDef, node: Node): string | null {
  const ports = def.inputs;
  const variadic = ports.length > 0 && ports[ports.length - 1]!.variadic === true;
  const required = ports.filter((p) => !p.optional && !p.variadic).length + (variadic ? 1 : 0);
  const n = node.inputs.length;
  if (n < required || (!variadic && n > ports.length)) {
    const want = variadic ? `at least ${required}` : required === ports.length ? `${required}` : `${required} to ${ports.length}`;
    return `${def.type} takes ${want} inputs, got ${n}`;
  }
  for (let i = 0; i < n; i++) {
    const port = ports[Math.min(i, ports.length - 1)]!;
    if (node.inputs[i] === '' && !port.optional) return `required input ${i} (${port.name}) is empty`;
  }
  const outVariadic = def.outputs[def.outputs.length - 1]?.variadic === true;
  if (outVariadic ? node.outputs.length < 1 : node.outputs.length !== def.outputs.length) {
    return `${def.type} has ${outVariadic ? 'at least 1' : def.outputs.length} outputs, got ${node.outputs.length}`;
  }
  return null;
}
