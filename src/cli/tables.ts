// Stage: CLI presentation. Terminal tables shared by commands: chains, rules, kernels by type, per-kernel cycles.
// Contract: pure formatting of pipeline results into aligned text (colour only through the Colors given).

import type { ChainReport } from '../passes/types.js';
import { renderTable } from './term.js';
import type { Colors } from './term.js';

/** Long node names (exporters nest them deeply) keep their informative tail. */
export function shortName(name: string, max = 44): string {
  return name.length <= max ? name : `…${name.slice(name.length - max + 1)}`;
}

/** Chains as op sequences ("Relu → LeakyRelu ⇒ Relu") with the first node's name; opOf maps a source node to its op. */
export function chainsTable(chains: readonly ChainReport[], opOf: (node: string) => string | undefined, c?: Colors): string {
  return renderTable(
    [{ header: '#', align: 'right' }, { header: 'chain' }, { header: 'result' }, { header: 'first node' }, { header: 'note' }],
    chains.map((ch, i) => [String(i + 1), ch.nodes.map((n) => opOf(n) ?? n).join(' → '), ch.result, shortName(ch.nodes[0] ?? ''), ch.reason ?? '']),
    c,
  );
}

/** Source node name -> op type, for chain listings. */
export function opLookup(g: { nodes: readonly { name: string; op: string }[] }): (node: string) => string | undefined {
  const m = new Map(g.nodes.map((n) => [n.name, n.op]));
  return (node) => m.get(node);
}

export function rulesTable(rules: Record<string, number>, c?: Colors): string {
  return renderTable(
    [{ header: 'rule' }, { header: 'fired', align: 'right' }],
    Object.entries(rules).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)]),
    c,
  );
}

/** What to call a model in headlines: the file stem, or the folder name for the ONNX-zoo layout `<name>/model.onnx`. */
export function modelLabel(file: string): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  const base = parts[parts.length - 1] ?? file;
  const stem = base.replace(/\.onnx$/i, '');
  return stem === 'model' && parts.length > 1 ? parts[parts.length - 2]! : stem;
}
