import { it } from 'vitest';
import { loadProgram, runProgramCodes, defaultInputs, bitIdentical } from '../../src/sim/index.js';
import { runConvExp, T } from './exp-conv.js';
it('exp', () => {
  const p = loadProgram('/tmp/simscratch/zoo_mobilenet_v2_generic-dsp');
  const inputs = defaultInputs(p.schedule.inputs);
  const q = { ...p, kernels: p.kernels.map((k) => (k.name === 'conv2d' ? { ...k, run: runConvExp } : k)) };
  const a = runProgramCodes(p, inputs); const b = runProgramCodes(q, inputs);
  console.log('identical', bitIdentical([...a.codes.values()][0]!, [...b.codes.values()][0]!));
  for (let r = 0; r < 2; r++) {
    for (const [name, prog] of [['orig', p], ['exp', q]] as const) {
      for (const k of Object.keys(T)) delete T[k];
      const t0 = performance.now(); const N = 5;
      for (let i = 0; i < N; i++) runProgramCodes(prog, inputs);
      console.log(name, ((performance.now() - t0) / N).toFixed(1), 'ms', Object.entries(T).map(([k, v]) => `${k} ${(v / N).toFixed(1)}`).join(' '));
    }
  }
});
