// Stage: CLI presentation. Terminal tables shared by commands: chains, rules, kernels by type, per-kernel cycles.
// Contract: pure formatting of pipeline results into aligned text (colour only through the Colors given).

import type { ChainReport } from '../passes/types.js';
import { renderTable } from './term.js';
import type { Colors } from './term.js';

export function chainsTable(chains: readonly ChainReport[], c?: Colors): string {
  return renderTable(
    [{ header: 'chain' }, { header: 'result' }, { header: 'note' }],
    chains.map((ch) => [ch.nodes.join(' -> '), ch.result, ch.reason ?? '']),
    c,
  );
}

export function rulesTable(rules: Record<string, number>, c?: Colors): string {
  return renderTable(
    [{ header: 'rule' }, { header: 'fired', align: 'right' }],
    Object.entries(rules).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)]),
    c,
  );
}
