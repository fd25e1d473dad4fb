import { it, expect } from 'vitest';
import { int8BinaryModule } from '/work/main/kernels/wasm/int8-kernels.js';
it('compiles', () => {
  const b = int8BinaryModule();
  try { new WebAssembly.Module(b); } catch (e) { console.log(String(e)); throw e; }
  expect(b.length).toBeGreaterThan(100);
});
