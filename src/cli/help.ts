// Stage: CLI. Help text generated from the same tables the compiler runs on: the pass registry and the target presets.
// Contract: nothing here is hand-maintained prose about passes or targets; adding a pass or preset updates --help.

import { Option } from 'commander';
import { DEFAULT_TARGET, PASSES, presetNames } from '../index.js';

export function targetOptionFor(): Option {
  return new Option('-t, --target <name|file>', `target preset (${presetNames().join(', ')}) or a target JSON file`).default(DEFAULT_TARGET);
}

/** The pass list for `--help`, in run order, from the registry. */
export function passesHelp(): string {
  const width = Math.max(...PASSES.map((p) => p.name.length));
  const lines = PASSES.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`);
  return `\nGraph passes, in order:\n${lines.join('\n')}`;
}

/** `--strict-float` (optimize, compile): the float policy of merges, docs/fusion.md "Exactness in float32". */
export const STRICT_FLOAT_HELP =
  'merge only where the fused float32 result equals the chain\'s (default: never further from real arithmetic than the chain, so an overflow inside a chain does not block its merge)';
