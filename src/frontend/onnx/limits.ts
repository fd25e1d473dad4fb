// Stage: frontend (ONNX). Resource limits applied before anything large is allocated or run (issue 7 item 4).
// Contract: documented defaults (docs/reliability.md); callers override them through ImportOptions; every refusal is E_LIMIT.

import type { Graph } from '../../ir/graph.js';
import { opDef } from '../../ir/optable.js';
import { graphStats } from '../../ir/stats.js';
import { numel } from '../../ir/tensor.js';

/** Default refusal threshold for a model file (plus its external data): 2 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024;

/** Largest element count of any tensor (constant or inferred): typed arrays and kernel offsets index with int32. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Default largest single tensor (constant, input or inferred activation): 1 GiB. Checked from declared or inferred
 * shapes before the tensor is read, folded or computed, so a 20-byte model cannot make dspc allocate gigabytes.
 */
export const DEFAULT_MAX_TENSOR_BYTES = 1024 * 1024 * 1024;

/**
 * Default largest estimated work of one inference: 10^11 element operations (MACs, plus every window element of
 * pooling). The reference interpreter and calibration run the model; a pathological pooling window over a large
 * input would otherwise run for hours. ResNet-18 at 224x224 needs about 1.8e9 (measured).
 */
export const DEFAULT_MAX_WORK = 1e11;

/** The limits one import runs under (all resolved to numbers). */
export interface Limits {
  maxModelBytes: number;
  maxTensorBytes: number;
  maxWork: number;
}

export function resolveLimits(o: Partial<Limits>): Limits {
  return {
    maxModelBytes: o.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
    maxTensorBytes: o.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES,
    maxWork: o.maxWork ?? DEFAULT_MAX_WORK,
  };
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 ? 2 : 0)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 ? 2 : 0)} MiB`;
  return `${n} bytes`;
}

/**
 * Estimated element operations of one inference: the op table's MACs, plus for pooling (no MACs) the output
 * elements times the window, plus one operation per output element of every node.
 */
export function estimateWork(g: Graph): number {
  let w = graphStats(g).macs;
  for (const n of g.nodes) {
    const ks = n.attrs['kernel_shape'];
    const pool = opDef(n.op)?.category === 'pool' && Array.isArray(ks);
    const window = pool ? ks.reduce((p, k) => p * Math.max(1, k), 1) : 1;
    for (const o of n.outputs) if (o) w += numel(g.values.get(o)?.shape ?? []) * window;
  }
  return w;
}
