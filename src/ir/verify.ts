// Stage: IR core. The graph verifier, run after import and after every pass in tests and debug runs.
// Contract: O(nodes); throws the first problem as a DspcError naming the node, the problem and (when given) the stage and file.

import { DspcError, isDspcError, type DspcErrorCode } from './errors.js';
import type { Graph, Node, ValueInfo } from './graph.js';
import { inferNode, MAX_ELEMENTS } from './infer.js';

export interface VerifyOptions {
  /** Pass (or stage) after which the graph is checked; named in the message. */
  stage?: string;
  file?: string;
}

type Fail = (code: DspcErrorCode, problem: string, node?: string) => never;

function fmt(v: { dtype: string; shape: readonly number[] }): string {
  return `${v.dtype}[${v.shape.join(',')}]`;
}

function sameType(a: { dtype: string; shape: readonly number[] }, b: { dtype: string; shape: readonly number[] }): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** Index of the defining node per value (-1 for inputs and initializers); duplicates fail. */
function definitions(g: Graph, fail: Fail): Map<string, number> {
  const def = new Map<string, number>();
  for (const v of g.inputs) {
    if (def.has(v.name)) fail('E_GRAPH', `graph input '${v.name}' is declared twice`);
    def.set(v.name, -1);
  }
  for (const name of g.initializers.keys()) {
    if (def.has(name)) fail('E_GRAPH', `value '${name}' is both a graph input and an initializer`);
    def.set(name, -1);
  }
  const names = new Set<string>();
  g.nodes.forEach((n, i) => {
    if (names.has(n.name)) fail('E_GRAPH', `node name is not unique`, n.name);
    names.add(n.name);
    for (const o of n.outputs) {
      if (o === '') continue;
      const prev = def.get(o);
      if (prev !== undefined) {
        const by = prev < 0 ? 'a graph input or initializer' : `node '${g.nodes[prev]!.name}'`;
        fail('E_GRAPH', `output '${o}' is already defined by ${by}`, n.name);
      }
      def.set(o, i);
    }
  });
  return def;
}

/** Names the nodes of one cycle (called only when the order check failed). Iterative DFS: chains may be 1M long. */
function findCycle(g: Graph, def: Map<string, number>): number[] | null {
  const state = new Uint8Array(g.nodes.length); // 0 new, 1 on stack, 2 done
  for (let root = 0; root < g.nodes.length; root++) {
    if (state[root] !== 0) continue;
    const stack: number[] = [root];
    const next: number[] = [0];
    state[root] = 1;
    while (stack.length) {
      const i = stack[stack.length - 1]!;
      const inputs = g.nodes[i]!.inputs;
      const k = next[next.length - 1]!;
      if (k >= inputs.length) {
        state[i] = 2;
        stack.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = k + 1;
      const j = inputs[k] ? def.get(inputs[k]!) : undefined;
      if (j === undefined || j < 0) continue;
      if (state[j] === 1) return stack.slice(stack.indexOf(j));
      if (state[j] === 0) {
        state[j] = 1;
        stack.push(j);
        next.push(0);
      }
    }
  }
  return null;
}

function checkUses(g: Graph, def: Map<string, number>, fail: Fail): void {
  g.nodes.forEach((n, i) => {
    for (const inp of n.inputs) {
      if (inp === '') continue;
      const d = def.get(inp);
      if (d === undefined) fail('E_GRAPH', `input '${inp}' is not defined`, n.name);
      if (d >= i) {
        const cycle = findCycle(g, def);
        if (cycle) {
          const path = [...cycle, cycle[0]!].map((k) => g.nodes[k]!.name).join(' -> ');
          fail('E_GRAPH', `graph has a cycle: ${path}`, g.nodes[cycle[0]!]!.name);
        }
        fail('E_GRAPH', `input '${inp}' is produced later by node '${g.nodes[d]!.name}' (nodes are not in topological order)`, n.name);
      }
    }
  });
}

function checkNode(g: Graph, n: Node, fail: Fail): void {
  // inferNode checks, in order: known op, input/output arity, attribute types and values, then shapes.
  let out;
  try {
    out = inferNode(g, n);
  } catch (e) {
    if (isDspcError(e)) fail(e.code, e.problem, n.name);
    throw e;
  }
  out.forEach((t, k) => {
    const name = n.outputs[k]!;
    if (name === '') return;
    const stored = g.values.get(name);
    if (!stored) fail('E_GRAPH', `output '${name}' has no stored type (run inferShapes)`, n.name);
    if (!sameType(stored, t)) fail('E_GRAPH', `output '${name}' is stored as ${fmt(stored)} but its inputs give ${fmt(t)}`, n.name);
  });
}

function checkDeclared(g: Graph, def: Map<string, number>, fail: Fail): void {
  const declared = (name: string, v: { dtype: string; shape: readonly number[] }, what: string): void => {
    const stored = g.values.get(name);
    if (!stored) fail('E_GRAPH', `${what} '${name}' has no stored type`);
    if (!sameType(stored, v)) fail('E_GRAPH', `${what} '${name}' is declared ${fmt(v)} but stored as ${fmt(stored)}`);
  };
  for (const v of g.inputs) {
    if (v.shape.some((d) => !Number.isInteger(d) || d < 1)) fail('E_GRAPH', `graph input '${v.name}' has a dimension < 1: ${fmt(v)}`);
    if (v.shape.reduce((a, d) => a * d, 1) > MAX_ELEMENTS) fail('E_LIMIT', `graph input '${v.name}' ${fmt(v)} has more than 2^31 - 1 elements`);
    declared(v.name, v, 'graph input');
  }
  for (const [name, t] of g.initializers) declared(name, { dtype: t.dtype, shape: t.dims }, 'initializer');
  const outs = new Set<string>();
  for (const o of g.outputs as ValueInfo[]) {
    if (outs.has(o.name)) fail('E_GRAPH', `graph output '${o.name}' is listed twice`);
    outs.add(o.name);
    if (!def.has(o.name)) fail('E_GRAPH', `graph output '${o.name}' is not defined`);
    declared(o.name, o, 'graph output');
  }
  if (g.values.size > def.size) {
    for (const k of g.values.keys()) if (!def.has(k)) fail('E_GRAPH', `value '${k}' has a stored type but no definition`);
  }
}

export function verifyGraph(g: Graph, opts: VerifyOptions = {}): void {
  const fail: Fail = (code, problem, node) => {
    throw new DspcError(code, problem, { file: opts.file, node, stage: opts.stage });
  };
  const def = definitions(g, fail);
  checkUses(g, def, fail);
  for (const n of g.nodes) checkNode(g, n, fail);
  checkDeclared(g, def, fail);
}
