// Stage: CLI presentation (reports). Lays out an IR graph with @dagrejs/dagre and draws it as inline SVG or Graphviz dot.
// Contract: pure string rendering of a Graph plus fusion highlights; op nodes carry class "op" so tests can count them.

import dagre from '@dagrejs/dagre';
import type { Graph } from '../../ir/graph.js';
import { esc } from './html-util.js';

/** How one node is highlighted: which fused chain it belongs to and what happened to it. */
export interface NodeMark {
  chain: number;
  /**
   * 'member': a source node that was merged; 'removed': part of a chain that became the identity; 'fused': the node
   * fusion produced; 'folded': applied in an epilogue; 'rejected': a merge the quantized verdict turned down.
   */
  role: 'member' | 'removed' | 'fused' | 'folded' | 'rejected';
  note: string;
}

export interface PictureOptions {
  marks?: Map<string, NodeMark>;
  /** Above this many nodes no picture is drawn (layout is super-linear and the SVG unreadable). */
  maxNodes?: number;
  id: string;
}

interface PicNode {
  id: string;
  label: string;
  sub: string;
  kind: 'op' | 'io';
  mark: NodeMark | undefined;
  width: number;
  height: number;
}

export const DEFAULT_MAX_PICTURE_NODES = 1500;
const CHAR_W = 6.6;

/** Fixed palette for chains: readable on white, distinct for neighbours. */
export const CHAIN_COLORS = ['#e6550d', '#3182bd', '#31a354', '#756bb1', '#d6616b', '#8c6d31', '#17becf', '#e377c2', '#637939', '#bcbd22'];

/** Colour of chain i; a negative index (an activation folded into an epilogue outside any chain) is grey. */
export function chainColor(i: number): string {
  return i < 0 ? '#7f7f7f' : CHAIN_COLORS[i % CHAIN_COLORS.length]!;
}

function picNodes(g: Graph, marks: Map<string, NodeMark>): { nodes: PicNode[]; edges: [string, string][] } {
  const nodes: PicNode[] = [];
  const producer = new Map<string, string>();
  const box = (id: string, label: string, sub: string, kind: PicNode['kind']): PicNode => {
    const width = Math.max(56, Math.ceil(Math.max(label.length, sub.length) * CHAR_W) + 18);
    return { id, label, sub, kind, mark: kind === 'op' ? marks.get(sub) : undefined, width, height: kind === 'op' ? 38 : 26 };
  };
  for (const v of g.inputs) {
    nodes.push(box(`in:${v.name}`, v.name, `[${v.shape.join(',')}]`, 'io'));
    producer.set(v.name, `in:${v.name}`);
  }
  for (const n of g.nodes) {
    nodes.push(box(`n:${n.name}`, n.op, n.name, 'op'));
    for (const o of n.outputs) if (o) producer.set(o, `n:${n.name}`);
  }
  const edges: [string, string][] = [];
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const p = i ? producer.get(i) : undefined;
      if (p) edges.push([p, `n:${n.name}`]);
    }
  }
  for (const v of g.outputs) {
    nodes.push(box(`out:${v.name}`, v.name, `[${v.shape.join(',')}]`, 'io'));
    const p = producer.get(v.name);
    if (p) edges.push([p, `out:${v.name}`]);
  }
  return { nodes, edges };
}

interface Laid {
  nodes: (PicNode & { x: number; y: number })[];
  edges: { points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

function layout(nodes: PicNode[], edges: [string, string][]): Laid {
  const dg = new dagre.graphlib.Graph({ multigraph: true });
  dg.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 26, marginx: 8, marginy: 8 });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) dg.setNode(n.id, { width: n.width, height: n.height });
  edges.forEach(([a, b], k) => dg.setEdge(a, b, {}, `e${k}`));
  dagre.layout(dg);
  const laidNodes = nodes.map((n) => {
    const p = dg.node(n.id) as { x: number; y: number };
    return { ...n, x: p.x, y: p.y };
  });
  const laidEdges = edges.map(([a, b], k) => {
    const e = dg.edge({ v: a, w: b, name: `e${k}` }) as { points?: { x: number; y: number }[] };
    return { points: e.points ?? [] };
  });
  const gl = dg.graph() as { width?: number; height?: number };
  return { nodes: laidNodes, edges: laidEdges, width: Math.ceil(gl.width ?? 100), height: Math.ceil(gl.height ?? 100) };
}

function nodeSvg(n: Laid['nodes'][number]): string {
  const x = n.x - n.width / 2;
  const y = n.y - n.height / 2;
  const m = n.mark;
  const cls = ['node', n.kind === 'op' ? 'op' : 'io', m ? `mark-${m.role}` : ''].filter(Boolean).join(' ');
  const stroke = m ? chainColor(m.chain) : n.kind === 'op' ? '#555' : '#999';
  const fill = m && (m.role === 'fused' || m.role === 'folded') ? `${chainColor(m.chain)}22` : n.kind === 'op' ? '#fff' : '#f3f3f3';
  const dash = m && (m.role === 'removed' || m.role === 'folded') ? ' stroke-dasharray="4 3"' : m?.role === 'rejected' ? ' stroke-dasharray="1 3"' : '';
  const sw = m ? 2.5 : 1;
  const rx = n.kind === 'op' ? 4 : 12;
  const title = `${n.label} ${n.sub}${m ? ` — ${m.note}` : ''}`;
  const chainAttr = m && m.chain >= 0 ? ` data-chain="${m.chain}"` : '';
  const text =
    n.kind === 'op'
      ? `<text x="${n.x}" y="${y + 15}" class="t-op">${esc(n.label)}</text><text x="${n.x}" y="${y + 29}" class="t-name">${esc(n.sub)}</text>`
      : `<text x="${n.x}" y="${n.y + 4}" class="t-name">${esc(n.label)} ${esc(n.sub)}</text>`;
  return (
    `<g class="${cls}" data-name="${esc(n.sub)}"${chainAttr}><title>${esc(title)}</title>` +
    `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width}" height="${n.height}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${dash}/>` +
    `${text}</g>`
  );
}

function edgeSvg(e: Laid['edges'][number]): string {
  if (e.points.length < 2) return '';
  const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  return `<path class="edge" d="${d}" marker-end="url(#arrow)"/>`;
}

/** The graph as one <svg> element (or a short note when it is too large to draw), op nodes marked by fusion role. */
export function graphSvg(g: Graph, opts: PictureOptions): string {
  const max = opts.maxNodes ?? DEFAULT_MAX_PICTURE_NODES;
  if (g.nodes.length > max) {
    return `<p class="note" id="${opts.id}-skipped" data-op-nodes="${g.nodes.length}">Graph of ${g.nodes.length} nodes not drawn (limit ${max}); see the tables and the --dot output.</p>`;
  }
  const { nodes, edges } = picNodes(g, opts.marks ?? new Map());
  const laid = layout(nodes, edges);
  const body = laid.edges.map(edgeSvg).join('') + laid.nodes.map(nodeSvg).join('');
  return (
    `<svg id="${opts.id}" class="graph" xmlns="http://www.w3.org/2000/svg" width="${laid.width}" height="${laid.height}" viewBox="0 0 ${laid.width} ${laid.height}" data-op-nodes="${g.nodes.length}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>` +
    `${body}</svg>`
  );
}

function dotId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Graphviz statements for one graph, ids prefixed so two graphs can share a file; fused/removed nodes coloured by chain. */
function dotBody(g: Graph, marks: Map<string, NodeMark>, prefix: string, indent: string): string[] {
  const lines: string[] = [];
  const id = (s: string): string => dotId(`${prefix}${s}`);
  const producer = new Map<string, string>();
  const io = (key: string, v: { name: string; shape: number[] }): void => {
    lines.push(`${indent}${id(key)} [label=${dotId(`${v.name}\n[${v.shape.join(',')}]`)}, shape=ellipse, color=gray40];`);
  };
  for (const v of g.inputs) {
    io(`in:${v.name}`, v);
    producer.set(v.name, `in:${v.name}`);
  }
  for (const n of g.nodes) {
    const m = marks.get(n.name);
    const attrs = [`label=${dotId(`${n.op}\n${n.name}`)}`];
    if (m) {
      attrs.push(`color=${dotId(chainColor(m.chain))}`, 'penwidth=2.5', `tooltip=${dotId(m.note)}`);
      if (m.role === 'removed' || m.role === 'folded') attrs.push('style="rounded,dashed"');
      else if (m.role === 'rejected') attrs.push('style="rounded,dotted"');
      else if (m.role === 'fused') attrs.push('style="rounded,filled"', `fillcolor=${dotId(`${chainColor(m.chain)}33`)}`);
    }
    lines.push(`${indent}${id(`n:${n.name}`)} [${attrs.join(', ')}];`);
    for (const o of n.outputs) if (o) producer.set(o, `n:${n.name}`);
  }
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const p = i ? producer.get(i) : undefined;
      if (p) lines.push(`${indent}${id(p)} -> ${id(`n:${n.name}`)};`);
    }
  }
  for (const v of g.outputs) {
    io(`out:${v.name}`, v);
    const p = producer.get(v.name);
    if (p) lines.push(`${indent}${id(p)} -> ${id(`out:${v.name}`)};`);
  }
  return lines;
}

export interface DotGraph {
  title: string;
  graph: Graph;
  marks: Map<string, NodeMark>;
}

/** One Graphviz digraph; with several graphs (before/after) each becomes a labelled cluster so `dot -Tsvg` draws them side by side. */
export function graphDot(graphs: DotGraph[], name = 'dspc'): string {
  const lines = [`digraph ${dotId(name)} {`, '  rankdir=TB;', '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];'];
  if (graphs.length === 1) {
    lines.push(...dotBody(graphs[0]!.graph, graphs[0]!.marks, '', '  '));
  } else {
    graphs.forEach((dg, k) => {
      lines.push(`  subgraph cluster_${k} {`, `    label=${dotId(dg.title)};`, '    color=gray80;');
      lines.push(...dotBody(dg.graph, dg.marks, `g${k}/`, '    '));
      lines.push('  }');
    });
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
