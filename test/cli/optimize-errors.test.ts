// Tests of `dspc optimize`, --help generation and the error contract (exit 2, one line, no stack) through the built CLI.
// Why: --json is the issue-3 interface other tools parse; error output is what users see most when something is wrong.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/frontend/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { PASSES } from '../../src/passes/registry.js';
import { chain, DEMO, dspc, expectOneLineError, json, REPO, tmpDir } from './helpers.js';

interface OptimizeJson {
  nodes: { before: number; after: number };
  activations: { before: number; after: number };
  chains: { nodes: string[]; result: string; reason?: string }[];
  rules: Record<string, number>;
}

describe('dspc optimize', () => {
  it('--json prints the issue-3 report and writes an ONNX model with the reported node count', () => {
    const c = chain('chain_relu_leakyrelu_prelu');
    const out = path.join(tmpDir('opt'), 'opt.onnx');
    const rep = json<OptimizeJson>(dspc(['optimize', c.model, '-o', out, '--json']));
    expect(Object.keys(rep).sort()).toEqual(['activations', 'chains', 'nodes', 'patterns', 'rules']);
    expect(rep.nodes.after).toBeLessThan(rep.nodes.before);
    expect(rep.activations.after).toBeLessThan(rep.activations.before);
    expect(rep.chains.length).toBeGreaterThan(0);
    for (const ch of rep.chains) {
      expect(ch.nodes.length).toBeGreaterThan(0);
      expect(typeof ch.result).toBe('string');
    }
    // the written model re-imports with exactly the node count the report claims
    const re = json<{ nodes: number }>(dspc(['inspect', out, '--json']));
    expect(re.nodes).toBe(rep.nodes.after);
    // and computes what the original did on the stored test input
    const y = path.join(path.dirname(out), 'y.pb');
    expect(dspc(['run', out, '-i', c.input, '-o', y]).code).toBe(0);
    expect(dspc(['run', c.model, '-i', c.input, '--json']).stdout).toEqual(dspc(['run', out, '-i', c.input, '--json']).stdout.replace(out, c.model));
  });

  // --target takes a preset name or a target file; a chain whose composition only a PRelu kernel computes merges on
  // the preset and stays as it is, reported with the reason, on a target file without a PRelu kernel
  it('--target <name|file>: fusion only produces kernels the target lists', () => {
    const c = chain('chain_leakyrelu_prelu');
    const dir = tmpDir('opt-target');
    const preset = json<OptimizeJson>(dspc(['optimize', c.model, '-o', path.join(dir, 'a.onnx'), '-t', 'generic-dsp', '--json']));
    expect(preset.chains.map((ch) => ch.result)).toEqual(['PRelu']);
    expect(preset.activations.after).toBeLessThan(preset.activations.before);

    const t = JSON.parse(fs.readFileSync(path.join(REPO, 'targets/generic-dsp.json'), 'utf8')) as { id: string; kernels: { name: string; epilogue?: string[] }[] };
    t.id = 'no-prelu';
    t.kernels = t.kernels.filter((k) => k.name !== 'prelu').map((k) => (k.epilogue ? { ...k, epilogue: k.epilogue.filter((e) => e !== 'prelu') } : k));
    const file = path.join(dir, 'no-prelu.json');
    fs.writeFileSync(file, JSON.stringify(t));
    const out = path.join(dir, 'b.onnx');
    const rep = json<OptimizeJson>(dspc(['optimize', c.model, '-o', out, '-t', file, '--json']));
    expect(rep.activations.after).toBe(rep.activations.before);
    expect(rep.chains.map((ch) => ch.result)).toEqual(['LeakyRelu', 'PRelu']); // kept, one segment each
    for (const ch of rep.chains) expect(ch.reason).toMatch(/^no kernel of the target computes /);
    const ops = (r: string): Record<string, number> => json<{ ops: Record<string, number> }>(dspc(['inspect', r, '--json'])).ops;
    expect([ops(c.model).PRelu, ops(out).PRelu]).toEqual([1, 1]); // the source's PRelu stays; none is made
  });

  // the seed's central case, k1 > 1 then k2: merged by default, refused under --strict-float (1.5x may overflow first)
  it('--strict-float keeps the old float policy; the default merges a chain whose float32 run may overflow', () => {
    const b = new GraphBuilder('k1_above_1');
    const x = b.input('x', 'float32', [1, 2, 2, 2]);
    b.output(b.node('LeakyRelu', [b.node('LeakyRelu', [x], { alpha: 1.5 }, { name: 'a' })], { alpha: 0.2 }, { name: 'b' }));
    const dir = tmpDir('opt-strict');
    const model = path.join(dir, 'm.onnx');
    fs.writeFileSync(model, exportOnnx(b.build()));
    const loose = json<OptimizeJson>(dspc(['optimize', model, '-o', path.join(dir, 'a.onnx'), '--json']));
    expect(loose.chains).toEqual([{ nodes: ['a', 'b'], result: 'LeakyRelu' }]);
    const strict = json<OptimizeJson>(dspc(['optimize', model, '-o', path.join(dir, 'b.onnx'), '--strict-float', '--json']));
    expect(strict.activations).toEqual({ before: 2, after: 2 });
    expect(strict.chains[0]!.reason).toMatch(/may overflow float32 before a later one shrinks it/);
  });

  it('--help lists every registered pass with its description', () => {
    for (const cmd of ['optimize', 'compile']) {
      const r = dspc([cmd, '--help']);
      expect(r.code).toBe(0);
      // commander wraps long lines, so compare with whitespace collapsed
      const text = r.stdout.replace(/\s+/g, ' ');
      for (const p of PASSES) {
        expect(text).toContain(p.name);
        expect(text).toContain(p.description.replace(/\s+/g, ' '));
      }
    }
  });

  it('every command has --help that exits 0', () => {
    for (const cmd of ['compile', 'optimize', 'simulate', 'inspect', 'run', 'targets', 'kernels', 'check']) {
      const r = dspc([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: dspc ${cmd}`);
    }
  });
});

describe('bad input: exit 2, one line "dspc: ...", no stack trace', () => {
  const dir = tmpDir('bad');
  const garbage = path.join(dir, 'garbage.onnx');
  fs.writeFileSync(garbage, 'this is not a protobuf');
  const empty = path.join(dir, 'empty.onnx');
  fs.writeFileSync(empty, '');
  const truncated = path.join(dir, 'truncated.onnx');
  fs.writeFileSync(truncated, fs.readFileSync(DEMO).subarray(0, 5000));

  it.each([
    ['non-ONNX file', ['inspect', garbage], /garbage\.onnx/],
    ['empty file', ['inspect', empty], /empty/],
    ['truncated file', ['compile', truncated, '-o', path.join(dir, 'out')], /truncated\.onnx/],
    ['missing file', ['inspect', path.join(dir, 'nope.onnx')], /nope\.onnx/],
    ['unknown target', ['compile', DEMO, '-t', 'no-such-target', '-o', path.join(dir, 'o2')], /unknown target 'no-such-target'/],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['unknown option', ['inspect', '--bogus', DEMO], /unknown option '--bogus'/],
    ['missing argument', ['compile'], /missing required argument/],
    ['invalid choice', ['compile', DEMO, '--dtype', 'int4', '-o', path.join(dir, 'o3')], /int4/],
    ['run without input', ['run', DEMO], /--input/],
    ['not an artifact directory', ['simulate', dir], /schedule\.json/],
  ])('%s', (_what, args, message) => {
    const line = expectOneLineError(dspc(args as string[]));
    expect(line).toMatch(message as RegExp);
  });

  it('nothing is written when a compile fails', () => {
    const out = path.join(dir, 'never');
    dspc(['compile', truncated, '-o', out]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('DSPC_DEBUG=1 adds the stack trace', () => {
    const r = dspc(['inspect', garbage], { env: { DSPC_DEBUG: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
