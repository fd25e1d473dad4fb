import { it } from 'vitest';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { loadProgram, runProgram, errorStats } from '../../src/sim/index.js';
it('layers', () => {
  const dir = process.env.DIR!;
  const g = importOnnxFile(`${dir}/model.optimized.onnx`);
  const p = loadProgram(dir);
  const x = readTensorPb(`${dir}/reference.input_0.pb`);
  const g2 = { ...g, outputs: g.nodes.flatMap((n) => n.outputs.filter((o) => o).map((o) => g.values.get(o)!)) };
  const vals = interpret(g2 as typeof g, new Map([[g.inputs[0]!.name, x.tensor]]));
  runProgram(p, new Map([[g.inputs[0]!.name, x.tensor]]), { trace: (inv, outs) => {
    const node = g.nodes.find((n) => n.name === (inv.epilogue?.node ?? inv.node))!;
    const ref = vals.get(node.outputs[0]!)!;
    const got = outs[0]!;
    const e = errorStats(ref.data as Float32Array, got.data as Float32Array);
    let mx = 0, mn = 0; for (const v of ref.data as Float32Array) { mx = Math.max(mx, v); mn = Math.min(mn, v); }
    const o = inv.outputs[0]!;
    const lo = o.scale * (-128 - o.zeroPoint), hi = o.scale * (127 - o.zeroPoint);
    console.log(inv.index, inv.kernel, inv.epilogue?.kernel ?? '', inv.node, 'sqnr', e.sqnrDb.toFixed(1), 'maxabs', e.maxAbsError.toExponential(2), 'ref', mn.toFixed(2), mx.toFixed(2), 'qrange', lo.toFixed(2), hi.toFixed(2));
  } });
});
it('single', () => {
  const dir = process.env.DIR!;
  const g = importOnnxFile(`${dir}/model.optimized.onnx`);
  const p = loadProgram(dir);
  const x = readTensorPb(`${dir}/reference.input_0.pb`);
  const g2 = { ...g, outputs: g.nodes.flatMap((n) => n.outputs.filter((o) => o).map((o) => g.values.get(o)!)) };
  const vals = interpret(g2 as typeof g, new Map([[g.inputs[0]!.name, x.tensor]]));
  const line: string[] = [];
  for (let i = 0; i < p.schedule.invocations.length; i++) {
    const inv = p.schedule.invocations[i]!;
    const node = g.nodes.find((n) => n.name === inv.node)!;
    const ins = node.inputs.filter((v) => v && !g.initializers.has(v)).map((v) => vals.get(v) ?? (g.inputs.map((q) => q.name).includes(v) ? x.tensor : undefined));
    if (ins.some((t) => !t)) continue;
    const sub = { ...p, kernels: [p.kernels[i]!], tables: [p.tables[i]!], schedule: { ...p.schedule, inputs: inv.inputs.map((r, k) => ({ ...r, name: 'x' + k })), invocations: [{ ...inv, index: 0 }], outputs: [{ ...inv.outputs[0]!, name: 'o' }] } };
    const got = runProgram(sub, new Map(ins.map((t, k) => ['x' + k, { ...(t as any), dims: inv.inputs[k]!.shape }]))).get('o')!;
    const ref = vals.get((g.nodes.find((n) => n.name === (inv.epilogue?.node ?? inv.node))!).outputs[0]!)!;
    const e = errorStats(ref.data as Float32Array, got.data as Float32Array);
    line.push(`${i}:${inv.kernel}${inv.epilogue ? '+' + inv.epilogue.kernel : ''} ${e.sqnrDb.toFixed(1)}`);
  }
  console.log('single', line.join(' | '));
});
