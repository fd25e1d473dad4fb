// Tests (shared support). The typed error a call must throw, for the tests of bad input across the stages.
// Contract: dspcErrorOf(f) returns the DspcError that f throws, and fails the test when f throws anything else or nothing.

import { expect } from 'vitest';
import { DspcError } from '../src/ir/errors.js';

export function dspcErrorOf(f: () => unknown): DspcError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DspcError);
    return e as DspcError;
  }
  throw new Error('expected a DspcError, nothing was thrown');
}
