// Stage: IR core. A small fluent graph builder for unit tests, examples and generated benchmark graphs.
// Contract: build() returns a topologically ordered Graph with inferred shapes (nodes are appended in call order).

import type { AttrValue, Graph, Node, ValueInfo } from './graph.js';
import { emptyGraph } from './graph.js';
import { inferShapes } from './infer.js';
import type { DType, Tensor } from './tensor.js';
import { floatTensor } from './tensor.js';

export interface NodeOptions {
  /** Node name; default `<op>_<k>` with k counting all nodes built so far. */
  name?: string;
  /** Output value names, or how many outputs to create (named `<node>_<i>`); default one output named after the node. */
  outputs?: string[] | number;
  origin?: string[];
}

export class GraphBuilder {
  private readonly g: Graph;
  private readonly outputNames: string[] = [];
  private count = 0;

  constructor(name = 'graph') {
    this.g = emptyGraph(name);
  }

  /** Declares a runtime input and returns its value name. */
  input(name: string, dtype: DType, shape: readonly number[]): string {
    this.g.inputs.push({ name, dtype, shape: [...shape] });
    return name;
  }

  /** Adds an initializer (weights, slopes, ...) and returns its value name. */
  constant(name: string, tensor: Tensor): string {
    this.g.initializers.set(name, tensor);
    return name;
  }

  /** Float32 initializer from plain numbers. */
  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.constant(name, floatTensor(dims, values));
  }

  /** Appends a node and returns its first output's value name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string {
    return this.nodeMulti(op, inputs, attrs, opts)[0]!;
  }

  /** Appends a node and returns all its output value names (Split). */
  nodeMulti(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string[] {
    const name = opts.name ?? `${op}_${this.count}`;
    this.count++;
    const outs = opts.outputs;
    const outputs = Array.isArray(outs)
      ? [...outs]
      : outs === undefined ? [name] : Array.from({ length: outs }, (_, i) => `${name}_${i}`);
    const n: Node = { name, op, inputs: [...inputs], outputs, attrs };
    if (opts.origin) n.origin = [...opts.origin];
    this.g.nodes.push(n);
    return outputs;
  }

  /** Marks values as graph outputs (in call order). */
  output(...names: string[]): void {
    this.outputNames.push(...names);
  }

  setMeta(key: string, value: string): this {
    this.g.meta[key] = value;
    return this;
  }

  /**
   * Finishes the graph. With infer (default) shapes are inferred and outputs typed from them; a failure is the
   * DspcError of inferShapes naming the node. Without infer, outputs are typed from values already known.
   */
  build(opts: { infer?: boolean } = {}): Graph {
    if (opts.infer !== false) inferShapes(this.g);
    this.g.outputs = this.outputNames.map((name): ValueInfo => {
      const v = this.g.values.get(name);
      return v ? { name, dtype: v.dtype, shape: [...v.shape] } : { name, dtype: 'float32', shape: [] };
    });
    return this.g;
  }
}
