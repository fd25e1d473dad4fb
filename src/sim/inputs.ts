// Stage: simulator. Default program inputs: seeded standard-normal float tensors shaped like the schedule's inputs.
// Contract: deterministic across platforms for a given seed (32-bit integer PRNG); the compile uses the same function for its reference.

import type { Tensor } from '../ir/tensor.js';
import { floatTensor, numel } from '../ir/tensor.js';
import type { Schedule } from '../../kernels/artifacts.js';

/**
 * Seed of the default simulation input. Deliberately not the calibration seed: the default functional check then
 * runs on an input the quantization ranges were not fitted to.
 */
export const DEFAULT_INPUT_SEED = 12345;

/** splitmix32-style generator: uniform in [0, 1), exact 32-bit integer steps. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller (both outputs used). */
export function normalSequence(seed: number): () => number {
  const u = uniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const a = 2 * Math.PI * u();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/** One standard-normal float32 tensor per schedule input, in schedule order, from one seeded sequence. */
export function defaultInputs(inputs: Schedule['inputs'], seed = DEFAULT_INPUT_SEED): Map<string, Tensor> {
  const next = normalSequence(seed);
  const out = new Map<string, Tensor>();
  for (const io of inputs) {
    const data = new Float32Array(numel(io.shape));
    for (let i = 0; i < data.length; i++) data[i] = next();
    out.set(io.name, floatTensor(io.shape, data));
  }
  return out;
}
