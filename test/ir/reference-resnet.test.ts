// Tests (IR): the float reference interpreter on zoo/resnet18, kept apart because it is the slowest zoo model.
// Contract: abs 1e-4 + rel 1e-4 per ../shared/models/README.md.

import { expect, it } from 'vitest';
import { compare, runCase } from './models.js';

it('zoo/resnet18', () => {
  const { got, expected } = runCase('zoo', 'resnet18');
  for (const e of expected) {
    const d = compare(got.get(e.name), e.tensor, 1e-4, 1e-4);
    expect(d.worst, `${e.name}: max abs ${d.maxAbs}`).toBeNull();
  }
});
