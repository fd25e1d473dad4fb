// Tests (IR): the float reference interpreter against the stored outputs of every conformance and chains case.
// Contract: tolerance abs 1e-4 + rel 1e-4 (conformance), abs 1e-5 + rel 1e-5 (chains, per ../shared/models/README.md).

import { describe, expect, it } from 'vitest';
import { isDspcError } from '../../src/ir/errors.js';
import { caseDirs, compare, runCase } from './models.js';

/**
 * Conformance cases the IR does not support, with why. They pass a run-time tensor (Clip bounds, Reshape shape)
 * where the canonical IR needs a constant attribute; the importer must refuse them with E_UNSUPPORTED.
 */
const RUNTIME_PARAMS = new Set([
  'node/test_clip', 'node/test_clip_default_int8_max', 'node/test_clip_default_int8_min', 'node/test_clip_default_max',
  'node/test_clip_default_min', 'node/test_clip_example', 'node/test_clip_inbounds', 'node/test_clip_outbounds',
  'node/test_clip_splitbounds', 'node/test_reshape_extended_dims', 'node/test_reshape_negative_dim',
  'node/test_reshape_negative_extended_dims', 'node/test_reshape_one_dim', 'node/test_reshape_reduced_dims',
  'node/test_reshape_reordered_all_dims', 'node/test_reshape_reordered_last_dims',
  'node/test_reshape_zero_and_negative_dim', 'node/test_reshape_zero_dim',
]);

describe('conformance', () => {
  for (const name of caseDirs('conformance')) {
    if (RUNTIME_PARAMS.has(name)) {
      it(`${name} is refused (parameter computed at run time)`, () => {
        let err: unknown;
        try { runCase('conformance', name); } catch (e) { err = e; }
        expect(isDspcError(err) && err.code).toBe('E_UNSUPPORTED');
      });
      continue;
    }
    it(name, () => {
      const { got, expected } = runCase('conformance', name);
      expect(expected.length).toBeGreaterThan(0);
      for (const e of expected) {
        const d = compare(got.get(e.name), e.tensor, 1e-4, 1e-4);
        expect(d.worst, `${e.name}: max abs ${d.maxAbs}`).toBeNull();
      }
    });
  }
});

describe('chains', () => {
  for (const name of caseDirs('chains')) {
    it(name, () => {
      const { got, expected } = runCase('chains', name);
      for (const e of expected) {
        const d = compare(got.get(e.name), e.tensor, 1e-5, 1e-5);
        expect(d.worst, `${e.name}: max abs ${d.maxAbs}`).toBeNull();
      }
    });
  }
});
