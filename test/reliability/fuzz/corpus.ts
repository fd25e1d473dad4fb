// Stage: reliability tests (fuzzer support). The seed corpus: the shared models (chains, conformance, zoo), read lazily.
// Contract: listCorpus() is sorted and stable (case generation depends on it); loadSource caches each file's bytes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../../kernels/target.js';

export type SourceSet = 'chains' | 'conformance' | 'zoo';

export interface Source {
  set: SourceSet;
  name: string;
  dir: string;
  file: string;
  size: number;
}

export const MODELS = path.resolve(packageRoot(), '../shared/models');

export function listCorpus(sets: readonly SourceSet[] = ['chains', 'conformance', 'zoo']): Source[] {
  const out: Source[] = [];
  for (const set of sets) {
    const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, set, 'manifest.json'), 'utf8')) as { cases: { name: string }[] };
    for (const c of manifest.cases) {
      const dir = path.join(MODELS, set, c.name);
      const file = path.join(dir, 'model.onnx');
      out.push({ set, name: c.name, dir, file, size: fs.statSync(file).size });
    }
  }
  return out.sort((a, b) => (a.set + a.name < b.set + b.name ? -1 : a.set + a.name > b.set + b.name ? 1 : 0));
}

const cache = new Map<string, Uint8Array>();

export function loadSource(s: Source): Uint8Array {
  let b = cache.get(s.file);
  if (!b) {
    b = new Uint8Array(fs.readFileSync(s.file));
    cache.set(s.file, b);
  }
  return b;
}
