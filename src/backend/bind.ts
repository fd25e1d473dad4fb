// Stage: backend. Parameter tables: hands one IR node and its quantization to its kernel's bind() (kernels/*.ts).
// Contract: every fact a kernel reads comes from the graph and the op table (attribute defaults included); a kernel
//   with parameter fields and no bind() is an internal E_KERNEL, never a silently empty table.

import type { BindContext, KernelDef, ParamValues, QuantParams } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import { opDef } from '../ir/optable.js';
import { attrOf } from '../ir/ops/types.js';
import type { Tensor } from '../ir/tensor.js';
import { toFloat32 } from '../ir/tensor.js';

function bindContext(g: Graph, node: Node, inQ: QuantParams[], outQ: QuantParams): BindContext {
  const fail = (problem: string): never => {
    throw new DspcError('E_KERNEL', problem, { node: node.name });
  };
  const attr: BindContext['attr'] = (name) => {
    const def = opDef(node.op);
    return def ? attrOf(def, node, name) : fail(`op ${node.op} is not in the op table`);
  };
  return {
    node, inQ, outQ, fail, attr,
    constant: (i) => {
      const t = node.inputs[i] ? g.initializers.get(node.inputs[i]!) : undefined;
      return t && { dims: t.dims, values: toFloat32(t) };
    },
    shape: (i) => (node.inputs[i] ? g.values.get(node.inputs[i]!)?.shape : undefined),
    reference: (x) => {
      const def = opDef(node.op) ?? fail(`op ${node.op} is not in the op table`);
      const at = node.inputs.findIndex((v) => v !== '' && !g.initializers.has(v));
      const ins = node.inputs.map((v, i): Tensor | undefined => (i === at ? { dtype: 'float32', dims: [x.length], data: x } : v ? g.initializers.get(v) : undefined));
      return toFloat32(def.evaluate(node, ins)[0]!);
    },
    num: (name) => {
      const v = attr(name);
      return typeof v === 'number' ? v : fail(`attribute '${name}' must be a number`);
    },
  };
}

/**
 * Weights, biases and other constant operands must be finite to be quantized: a NaN in a damaged model's weights
 * is bad input (E_ATTR naming the node), not an internal error of the kernel library.
 */
function checkFiniteConstants(g: Graph, node: Node): void {
  for (const name of node.inputs) {
    const t = name ? g.initializers.get(name) : undefined;
    if (!t || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) {
        throw new DspcError('E_ATTR', `constant '${name}' holds ${d[i]} at index ${i}; weights and biases must be finite to be quantized`, { node: node.name });
      }
    }
  }
}

/**
 * The parameter table of `kernel` for this node (empty for kernels without fields). `inQ`: quantization of the
 * node's runtime inputs in input order; `outQ`: what the kernel's output stage writes.
 */
export function bindParams(kernel: KernelDef, g: Graph, node: Node, inQ: QuantParams[], outQ: QuantParams): ParamValues {
  if (kernel.role !== 'activation') checkFiniteConstants(g, node);
  if (kernel.bind) return kernel.bind(bindContext(g, node, inQ, outQ));
  if (kernel.paramFields.length === 0) return {};
  throw new DspcError('E_KERNEL', `kernel ${kernel.name} has parameter fields but no bind()`, { node: node.name });
}
