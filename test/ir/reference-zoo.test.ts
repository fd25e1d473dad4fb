// Tests (IR): the float reference interpreter against the stored torch outputs of every zoo model (224x224 inputs).
// Contract: abs 1e-4 + rel 1e-4 per ../shared/models/README.md (ORT itself differs from torch by up to 4.5e-6).

import { describe, expect, it } from 'vitest';
import { caseDirs, compare, runCase } from './models.js';

// resnet18 (1.8 GMAC, several seconds) runs in its own file so vitest can overlap it with these.
const HEAVY = new Set(['resnet18']);

describe('zoo', () => {
  for (const name of caseDirs('zoo').filter((n) => !HEAVY.has(n))) {
    it(name, () => {
      const { got, expected } = runCase('zoo', name);
      for (const e of expected) {
        const d = compare(got.get(e.name), e.tensor, 1e-4, 1e-4);
        expect(d.worst, `${e.name}: max abs ${d.maxAbs}`).toBeNull();
      }
    });
  }
});
