// Stage: CLI presentation (reports). SVG charts: the per-kernel cycle timeline (unfused vs fused lanes) and memory use over time.
// Contract: pure functions of schedule.json contents and per-invocation cycles; no layout library, no script needed to read them.

import { esc } from './html-util.js';

/** One kernel invocation on the timeline. */
export interface TimelineKernel {
  index: number;
  kernel: string;
  node: string;
  cycles: number;
  /** 'activation' bars are what fusion and folding remove; drawn in the accent colour. */
  role: string;
  epilogue?: string;
}

export interface TimelineLane {
  label: string;
  kernels: TimelineKernel[];
}

const ROLE_COLORS: Record<string, string> = {
  compute: '#4c78a8', activation: '#f58518', pool: '#72b7b2', elementwise: '#54a24b', movement: '#b279a2', view: '#bab0ac',
};

export function roleColor(role: string): string {
  return ROLE_COLORS[role] ?? '#9d9d9d';
}

function fmtCycles(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Horizontal timeline: one lane per program, one bar per kernel, widths on one shared cycle axis so the lanes compare
 * directly; an optional dashed line marks the ideal total (every standalone activation free).
 */
export function timelineSvg(lanes: TimelineLane[], ideal?: number, width = 1100): string {
  const labelW = 90;
  const laneH = 34;
  const top = 14;
  const totals = lanes.map((l) => l.kernels.reduce((a, k) => a + k.cycles, 0));
  const max = Math.max(1, ...totals, ideal ?? 0);
  const scale = (width - labelW - 80) / max; // room for the total after the longest lane
  const parts: string[] = [];
  lanes.forEach((lane, li) => {
    const y = top + li * (laneH + 12);
    parts.push(`<text x="${labelW - 8}" y="${y + laneH / 2 + 4}" text-anchor="end" class="t-lane">${esc(lane.label)}</text>`);
    let x = labelW;
    for (const k of lane.kernels) {
      const w = k.cycles * scale;
      const title = `#${k.index} ${k.kernel}${k.epilogue ? ` + ${k.epilogue} (epilogue)` : ''} — ${k.node}: ${fmtCycles(k.cycles)} cycles`;
      parts.push(`<rect class="bar role-${esc(k.role)}" x="${x.toFixed(2)}" y="${y}" width="${Math.max(w, 0.5).toFixed(2)}" height="${laneH}" fill="${roleColor(k.role)}"${k.epilogue ? ' stroke="#f58518" stroke-width="1.5"' : ''}><title>${esc(title)}</title></rect>`);
      x += w;
    }
    parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + laneH / 2 + 4}" class="t-total">${fmtCycles(totals[li]!)}</text>`);
  });
  const h = top + lanes.length * (laneH + 12) + 26;
  if (ideal !== undefined) {
    const x = labelW + ideal * scale;
    parts.push(`<line x1="${x.toFixed(1)}" y1="4" x2="${x.toFixed(1)}" y2="${h - 22}" stroke="#333" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${h - 8}" text-anchor="middle" class="t-axis">ideal ${fmtCycles(ideal)}</text>`);
  }
  return `<svg class="chart timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}">${parts.join('')}</svg>`;
}

export function timelineLegend(roles: readonly string[]): string {
  return roles.map((r) => `<span class="legend-item"><span class="swatch" style="background:${roleColor(r)}"></span>${esc(r)}</span>`).join(' ');
}

function kib(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`;
}

export interface MemorySeries {
  /** Live activation bytes before the first invocation and after each one (report.json memory.timeline). */
  fused: number[];
  unfused?: number[];
  /** Capacity of the first (on-chip) memory level. */
  capacity: number;
  capacityName: string;
}

/**
 * Step chart of live activation bytes over the program (x = position in the program, so a shorter fused program
 * and the unfused one share the axis), with the on-chip capacity as a dashed line when it is within sight.
 */
export function memorySvg(m: MemorySeries, width = 1100, height = 220): string {
  const left = 70;
  const bottom = height - 24;
  const plotW = width - left - 16;
  const peak = Math.max(1, ...m.fused, ...(m.unfused ?? []));
  const yMax = m.capacity > 0 && m.capacity < peak * 2 ? Math.max(peak, m.capacity) * 1.05 : peak * 1.1;
  const y = (v: number): number => bottom - (v / yMax) * (bottom - 10);
  const step = (vals: number[]): string => {
    const w = plotW / Math.max(1, vals.length);
    return vals.map((v, i) => `${i === 0 ? 'M' : 'L'}${(left + i * w).toFixed(1)},${y(v).toFixed(1)} L${(left + (i + 1) * w).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  };
  const parts: string[] = [];
  const line = step(m.fused);
  parts.push(`<path d="${line} L${(left + plotW).toFixed(1)},${bottom} L${left},${bottom} Z" fill="#4c78a8" fill-opacity="0.45" stroke="#4c78a8"><title>fused program: peak ${kib(Math.max(...m.fused))}</title></path>`);
  if (m.unfused?.length) {
    parts.push(`<path d="${step(m.unfused)}" fill="none" stroke="#555" stroke-width="1.2" stroke-dasharray="3 2"><title>unfused program: peak ${kib(Math.max(...m.unfused))}</title></path>`);
  }
  if (m.capacity > 0 && m.capacity <= yMax) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(m.capacity).toFixed(1)}" y2="${y(m.capacity).toFixed(1)}" stroke="#b00" stroke-dasharray="6 3"/>`);
    parts.push(`<text x="${left + plotW}" y="${(y(m.capacity) - 4).toFixed(1)}" text-anchor="end" class="t-axis">${esc(m.capacityName)} capacity ${kib(m.capacity)}</text>`);
  }
  for (const frac of [0, 0.5, 1]) {
    parts.push(`<text x="${left - 6}" y="${(y(peak * frac) + 4).toFixed(1)}" text-anchor="end" class="t-axis">${kib(Math.round(peak * frac))}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${bottom}" y2="${bottom}" stroke="#999"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="t-axis">position in the program (start → end)</text>`);
  const legend = '<span class="legend-item"><span class="swatch" style="background:#4c78a8"></span>fused program</span>' +
    (m.unfused ? ' <span class="legend-item"><span class="swatch dashed"></span>unfused program</span>' : '');
  return `<svg class="chart memory" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>` +
    `<div class="legend">${legend}</div>`;
}

/** One kernel's output accuracy (report.json accuracy.kernels). */
export interface AccuracyBar {
  index: number;
  kernel: string;
  node: string;
  /** null: no error at all (drawn at the axis maximum) or no signal. */
  sqnrDb: number | null;
  dtype: string;
}

/**
 * Vertical bars, one per kernel in program order: output SQNR against float in dB (errors accumulate, so the bars
 * fall where accuracy is lost). int16 kernels are drawn in a second colour; an optional dashed line marks a target.
 */
export function accuracySvg(bars: AccuracyBar[], target?: number, width = 1100, height = 240): string {
  const left = 50;
  const bottom = height - 26;
  const plotW = width - left - 16;
  const finite = bars.map((b) => b.sqnrDb).filter((v): v is number => v !== null);
  const top = Math.max(10, Math.ceil((Math.max(0, ...finite, target ?? 0) + 5) / 10) * 10);
  const y = (v: number): number => bottom - (Math.max(0, Math.min(top, v)) / top) * (bottom - 10);
  const w = plotW / Math.max(1, bars.length);
  const parts: string[] = [];
  bars.forEach((b, i) => {
    const v = b.sqnrDb ?? top;
    const title = `#${b.index} ${b.kernel} (${b.dtype}) — ${b.node}: ${b.sqnrDb === null ? 'exact' : `${b.sqnrDb.toFixed(1)} dB`}`;
    const color = b.dtype === 'int16' ? '#e45756' : '#4c78a8';
    parts.push(`<rect class="bar" x="${(left + i * w + w * 0.1).toFixed(2)}" y="${y(v).toFixed(1)}" width="${Math.max(0.5, w * 0.8).toFixed(2)}" height="${(bottom - y(v)).toFixed(1)}" fill="${color}"><title>${esc(title)}</title></rect>`);
  });
  for (let t = 0; t <= top; t += top > 60 ? 20 : 10) {
    parts.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="t-axis">${t}</text>`);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
  }
  if (target !== undefined) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(target).toFixed(1)}" y2="${y(target).toFixed(1)}" stroke="#b00" stroke-dasharray="6 3"/>`);
    parts.push(`<text x="${left + plotW}" y="${(y(target) - 4).toFixed(1)}" text-anchor="end" class="t-axis">target ${target} dB</text>`);
  }
  parts.push(`<text x="14" y="${(bottom / 2).toFixed(0)}" class="t-axis" transform="rotate(-90 14 ${(bottom / 2).toFixed(0)})" text-anchor="middle">SQNR dB</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="t-axis">kernel invocation (program order)</text>`);
  return `<svg class="chart accuracy" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}
