// Stage: benchmark dispatcher. `npm run bench -- <import|fuse|sim|fuzz|compile|batch>` runs one benchmark module (all of them without an argument).
// Contract: each module is imported on demand, so a missing or broken one gives a clear message instead of failing the others.

interface BenchModule {
  file: string;
  fn: string;
  what: string;
}

const BENCHES: Record<string, BenchModule> = {
  import: { file: './import.js', fn: 'runImportBench', what: 'import+verify vs ONNX Runtime session creation (issue 2)' },
  fuse: { file: './fuse.js', fn: 'runFuseBench', what: 'fusion pass time on 10k/100k/1M-node graphs (issue 3)' },
  sim: { file: './sim.js', fn: 'runSimBench', what: 'bit-accurate simulation of MobileNetV2 vs ONNX Runtime float (issue 5)' },
  fuzz: { file: './fuzz.js', fn: 'runFuzzBench', what: '10,000 fuzzed models: ok / rejected / crashed / hung (issue 7)' },
  compile: { file: './compile.js', fn: 'runCompileBench', what: 'dspc compile of MobileNetV2 (with and without simulation) vs ONNX Runtime session creation + 8 inferences' },
  batch: { file: './batch.js', fn: 'runBatchBench', what: 'dspc check over the shared zoo, chains and real models, -j 1 vs -j 2 (BENCH_BATCH_SETS=chains for a short run)' },
};

function usage(): string {
  const lines = Object.entries(BENCHES).map(([k, b]) => `  ${k.padEnd(7)} ${b.what}`);
  return `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> ... (no argument: all of them, in this order)\n${lines.join('\n')}`;
}

async function runOne(name: string): Promise<boolean> {
  const b = BENCHES[name]!;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(b.file)) as Record<string, unknown>;
  } catch (e) {
    const msg = (e as Error).message;
    const self = (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && msg.includes(b.file.slice(2));
    const why = self ? 'does not exist yet (or dist/ is not built: npm run build)' : `failed to load (${msg})`;
    process.stderr.write(`bench: '${name}' (bench/${b.file.slice(2, -3)}.ts) ${why}\n`);
    return false;
  }
  const fn = mod[b.fn];
  if (typeof fn !== 'function') {
    process.stderr.write(`bench: bench/${b.file.slice(2, -3)}.ts does not export ${b.fn}()\n`);
    return false;
  }
  process.stdout.write(`\n== bench ${name}: ${b.what}\n`);
  await (fn as () => Promise<void> | void)();
  return true;
}

async function benchMain(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const names = args.length ? args : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}\n${usage()}\n`);
    return 2;
  }
  let ok = true;
  for (const n of names) ok = (await runOne(n)) && ok;
  return ok ? 0 : 1;
}

process.exitCode = await benchMain(process.argv.slice(2));
