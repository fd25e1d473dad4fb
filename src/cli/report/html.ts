// Stage: CLI presentation (reports). The self-contained HTML report: before/after graphs, cycle timeline, memory over time, tables.
// Contract: one file, no external resources; a tiny inline script adds chain highlighting and writes #dspc-status (read by tests).

import type { Graph } from '../../ir/graph.js';
import type { ChainReport } from '../../passes/types.js';
import { accuracySvg, memorySvg, timelineLegend, timelineSvg } from './charts.js';
import type { AccuracyBar, MemorySeries, TimelineLane } from './charts.js';
import { chainColor, graphSvg } from './graph-svg.js';
import type { NodeMark } from './graph-svg.js';
import { esc } from './html-util.js';
import { PAGE_CSS, PAGE_SCRIPT } from './page-assets.js';

export interface ReportCard {
  label: string;
  value: string;
  /** Smaller line under the value (e.g. "before 27"). */
  sub?: string;
}

export interface ReportTable {
  title: string;
  columns: { header: string; numeric?: boolean }[];
  rows: string[][];
  footer?: string[];
  note?: string;
}

export interface ReportInput {
  title: string;
  subtitle: string;
  cards: ReportCard[];
  before: Graph;
  after: Graph;
  /** Chains as fusion reported them; index = colour in both pictures. */
  chains: ChainReport[];
  /** Short label per chain (its op sequence). */
  chainLabels: string[];
  beforeMarks: Map<string, NodeMark>;
  afterMarks: Map<string, NodeMark>;
  timeline?: { lanes: TimelineLane[]; ideal?: number; caption: string };
  memory?: { series: MemorySeries; caption: string };
  accuracy?: { bars: AccuracyBar[]; target?: number; caption: string };
  tables: ReportTable[];
  notes: string[];
}

function cardsHtml(cards: ReportCard[]): string {
  return `<div class="cards">${cards
    .map((c) => `<div class="card"><div class="card-label">${esc(c.label)}</div><div class="card-value">${esc(c.value)}</div>${c.sub ? `<div class="card-sub">${esc(c.sub)}</div>` : ''}</div>`)
    .join('')}</div>`;
}

function legendHtml(chains: ChainReport[], labels: string[]): string {
  if (!chains.length) return '<p class="note">No activation chains in this model.</p>';
  return `<div class="legend chains">${chains
    .map((ch, i) => `<span class="legend-item chain-key" data-chain="${i}" tabindex="0" title="${esc(ch.nodes.join(' → '))}"><span class="swatch" style="background:${chainColor(i)}"></span>${i + 1}: ${esc(labels[i] ?? ch.nodes.join(' → '))} ⇒ ${esc(ch.result)}</span>`)
    .join('')}</div>`;
}

export function tableHtml(t: ReportTable): string {
  const head = t.columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${esc(c.header)}</th>`).join('');
  const row = (r: string[], tag = 'td'): string =>
    `<tr>${r.map((cell, i) => `<${tag}${t.columns[i]?.numeric ? ' class="num"' : ''}>${esc(cell)}</${tag}>`).join('')}</tr>`;
  const body = t.rows.map((r) => row(r)).join('');
  const foot = t.footer ? `<tfoot>${row(t.footer, 'th')}</tfoot>` : '';
  return `<section class="table"><h3>${esc(t.title)}</h3>${t.note ? `<p class="note">${esc(t.note)}</p>` : ''}` +
    `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody>${foot}</table></div></section>`;
}

/** The complete HTML document. Deterministic: the same input gives the same bytes (no timestamps). */
export function renderReportHtml(r: ReportInput): string {
  const before = graphSvg(r.before, { id: 'graph-before', marks: r.beforeMarks });
  const after = graphSvg(r.after, { id: 'graph-after', marks: r.afterMarks });
  const sections: string[] = [];
  sections.push(`<section><h2>Graph before and after fusion</h2>${legendHtml(r.chains, r.chainLabels)}
<p class="note">Coloured outlines: nodes of one activation chain (dashed = removed, or folded into the producer's epilogue; dotted = merge rejected by the quantized verdict); filled = the node fusion produced. Hover a chain to highlight it in both graphs.</p>
<div class="graphs"><figure><figcaption>before: ${r.before.nodes.length} nodes</figcaption><div class="scroll graph-box">${before}</div></figure>
<figure><figcaption>after: ${r.after.nodes.length} nodes</figcaption><div class="scroll graph-box">${after}</div></figure></div></section>`);
  if (r.timeline) {
    const roles = [...new Set(r.timeline.lanes.flatMap((l) => l.kernels.map((k) => k.role)))].sort();
    sections.push(`<section><h2>Cycle timeline</h2><p class="note">${esc(r.timeline.caption)}</p><div class="legend">${timelineLegend(roles)}</div>` +
      `<div class="scroll">${timelineSvg(r.timeline.lanes, r.timeline.ideal)}</div></section>`);
  }
  if (r.memory) {
    sections.push(`<section><h2>Memory use over time</h2><p class="note">${esc(r.memory.caption)}</p>` +
      `<div class="scroll">${memorySvg(r.memory.series)}</div></section>`);
  }
  if (r.accuracy) {
    sections.push(`<section><h2>Accuracy per kernel</h2><p class="note">${esc(r.accuracy.caption)}</p>` +
      `<div class="scroll">${accuracySvg(r.accuracy.bars, r.accuracy.target)}</div></section>`);
  }
  sections.push(`<section><h2>Tables</h2>${r.tables.map(tableHtml).join('')}</section>`);
  if (r.notes.length) sections.push(`<section><h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)}</title><style>${PAGE_CSS}</style></head>
<body><header><h1>${esc(r.title)}</h1><p class="subtitle">${esc(r.subtitle)}</p></header>
<main>${cardsHtml(r.cards)}
${sections.join('\n')}
</main>
<footer><div id="dspc-status" data-state="loading">loading</div></footer>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
