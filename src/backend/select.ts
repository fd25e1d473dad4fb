// Stage: backend. Kernel selection: every IR node becomes a kernel the target lists, a view (no kernel), or an error naming it.
// Contract: deterministic; E_KERNEL names the node, its op and what is missing; epilogue folding only per the target's epilogue lists.

import { KERNELS, kernelFor } from '../../kernels/index.js';
import type { Target } from '../../kernels/target.js';
import { epilogueKernels } from '../../kernels/target.js';
import type { KernelDef } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { consumers, isGraphOutput, producers } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { isActivation, opDef } from '../ir/optable.js';

export type Selection = { kind: 'view' } | { kind: 'kernel'; kernel: KernelDef };

export interface SelectionResult {
  /** Node name -> how it is implemented. */
  of: Map<string, Selection>;
  /** Activation node name -> producer node name it is folded into. */
  foldedInto: Map<string, string>;
  /** Producer node name -> folded activation node. */
  epilogueOf: Map<string, Node>;
}

function missing(node: Node, target: Target): string {
  const lib = [...KERNELS.values()].filter((k) => k.ops.includes(node.op)).map((k) => k.name);
  return lib.length === 0
    ? `op ${node.op} has no kernel in the library (library ops: ${[...new Set([...KERNELS.values()].flatMap((k) => k.ops))].sort().join(', ')})`
    : `op ${node.op} needs kernel ${lib.join(' or ')}, which target '${target.id}' does not list`;
}

/** Map every node to a kernel of the target or a view; throws E_KERNEL for the first node with neither. */
export function selectKernels(g: Graph, target: Target): Map<string, Selection> {
  const of = new Map<string, Selection>();
  const failures: Node[] = [];
  for (const n of g.nodes) {
    // the op table's views reinterpret a buffer (Identity/Dropout survive only when the passes were skipped)
    if (opDef(n.op)?.view) {
      of.set(n.name, { kind: 'view' });
      continue;
    }
    const k = kernelFor(n.op, target);
    if (k && k.role !== 'view') of.set(n.name, { kind: 'kernel', kernel: k });
    else if (k) of.set(n.name, { kind: 'view' });
    else failures.push(n);
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    const more = failures.length > 1
      ? ` (${failures.length - 1} more node(s) without a kernel: ${failures.slice(1, 6).map((n) => `${n.name} (${n.op})`).join(', ')}${failures.length > 6 ? ', ...' : ''})`
      : '';
    throw new DspcError('E_KERNEL', `no kernel for this node: ${missing(first, target)}${more}`, { node: first.name });
  }
  return of;
}

/**
 * Epilogue folding: an activation whose producer's kernel lists it as an epilogue, and whose input feeds nothing
 * else (and is not a graph output), runs in the producer's output stage instead of as its own kernel.
 */
export function foldEpilogues(g: Graph, target: Target, of: Map<string, Selection>): SelectionResult {
  const prod = producers(g);
  const cons = consumers(g);
  const foldedInto = new Map<string, string>();
  const epilogueOf = new Map<string, Node>();
  for (const a of g.nodes) {
    const sa = of.get(a.name);
    if (!isActivation(a.op) || sa?.kind !== 'kernel') continue;
    const v = a.inputs[0] ?? '';
    const p = prod.get(v);
    const sp = p ? of.get(p.name) : undefined;
    if (!p || sp?.kind !== 'kernel' || sp.kernel.role === 'activation') continue;
    if (p.outputs.length !== 1 || epilogueOf.has(p.name)) continue;
    if ((cons.get(v) ?? []).length !== 1 || isGraphOutput(g, v)) continue;
    if (!epilogueKernels(target, sp.kernel.name).includes(sa.kernel.name)) continue;
    foldedInto.set(a.name, p.name);
    epilogueOf.set(p.name, a);
  }
  return { of, foldedInto, epilogueOf };
}

/** Selection plus folding. */
export function selectAndFold(g: Graph, target: Target): SelectionResult {
  return foldEpilogues(g, target, selectKernels(g, target));
}
