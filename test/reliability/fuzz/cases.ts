// Stage: reliability tests (fuzzer support). One fuzz case = a seed model plus 1..4 stacked mutations, fully
// determined by (seed, index): any reported case is reproduced by calling makeCase with the same numbers.
// Contract: makeCase never throws for a readable corpus; the case label is the file name errors must mention.

import { mutateBytes } from './mutate-bytes.js';
import { mutateModel } from './mutate-model.js';
import { mutateWire, type Mutated } from './mutate-wire.js';
import { loadSource, type Source } from './corpus.js';
import { Rng } from './rng.js';

export interface CaseOptions {
  /** Relative weights of the seed sets; zoo models are large, so they are picked only occasionally. */
  weights?: { chains: number; conformance: number; zoo: number };
}

export interface FuzzCase {
  seed: number;
  index: number;
  source: Source;
  /** File name the case is imported under (must appear in every error message). */
  label: string;
  steps: string[];
  bytes: Uint8Array;
}

const DEFAULT_WEIGHTS = { chains: 45, conformance: 50, zoo: 5 };

/** The seed model of a case, cheap to compute without loading anything (the watchdog uses it for time limits). */
export function pickSource(corpus: readonly Source[], seed: number, index: number, opts: CaseOptions = {}): Source {
  const w = opts.weights ?? DEFAULT_WEIGHTS;
  const rng = new Rng(seed, index, 1);
  const sets = (['chains', 'conformance', 'zoo'] as const).filter((s) => w[s] > 0 && corpus.some((c) => c.set === s));
  const set = sets[rng.weighted(sets.map((s) => w[s]))]!;
  return rng.pick(corpus.filter((c) => c.set === set));
}

function donorOf(corpus: readonly Source[], rng: Rng): Uint8Array {
  const small = corpus.filter((c) => c.set !== 'zoo');
  return loadSource(rng.pick(small.length ? small : corpus));
}

function step(bytes: Uint8Array, rng: Rng, corpus: readonly Source[]): Mutated {
  const kind = rng.weighted([30, 30, 40]);
  const donor = rng.chance(0.3) ? donorOf(corpus, rng) : undefined;
  let m: Mutated | null = null;
  if (kind === 1) m = mutateWire(bytes, rng, donor);
  else if (kind === 2) m = mutateModel(bytes, rng);
  // not parseable any more (an earlier byte mutation broke it): fall back to format-blind bytes
  return m ?? mutateBytes(bytes, rng, donor ?? donorOf(corpus, rng));
}

export function makeCase(corpus: readonly Source[], seed: number, index: number, opts: CaseOptions = {}): FuzzCase {
  const source = pickSource(corpus, seed, index, opts);
  const rng = new Rng(seed, index, 2);
  let bytes = loadSource(source);
  const steps: string[] = [];
  const n = rng.chance(0.02) ? 0 : 1 + rng.weighted([60, 25, 10, 5]);
  for (let i = 0; i < n; i++) {
    const m = step(bytes, rng, corpus);
    bytes = m.bytes;
    steps.push(m.what);
  }
  return { seed, index, source, label: `fuzz-${seed}-${index}.onnx`, steps, bytes };
}
