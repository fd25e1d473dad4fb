// Stage: CLI presentation. Terminal output: colour only on a TTY, aligned tables, a delayed progress bar, quiet/json silence.
// Contract: every byte the CLI writes goes through an Output; with --quiet or --json nothing but the result (or errors) is written.

import pc from 'picocolors';
import cliProgress from 'cli-progress';
import type { PhaseTiming, Timings } from '../timings.js';

export type Colors = ReturnType<typeof pc.createColors>;

/** Colour on only when the stream is a terminal and NO_COLOR is unset (FORCE_COLOR forces it, for demos). */
export function colorsFor(stream: NodeJS.WriteStream): Colors {
  const env = process.env;
  const forced = env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0';
  const on = forced || (stream.isTTY === true && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb');
  return pc.createColors(on);
}

export interface OutputMode {
  quiet: boolean;
  json: boolean;
}

/** A unit of work whose progress may be shown; the pipeline reports (phase, done, total). */
export type ProgressFn = (phase: string, done: number, total: number) => void;

/** Milliseconds of work before a bar appears: short work never flickers a bar. */
const PROGRESS_DELAY_MS = 1000;

export class Output {
  readonly c: Colors;
  readonly ce: Colors;
  private bar: cliProgress.SingleBar | undefined;
  private barPhase = '';
  private phaseStart = 0;
  private phase = '';

  /** The --timings recorder of this command, if asked for: pass it to the pipeline. */
  readonly timings: Timings | undefined;

  constructor(readonly mode: OutputMode, timings?: Timings, private readonly out = process.stdout, private readonly err = process.stderr) {
    this.c = colorsFor(out);
    this.ce = colorsFor(err);
    this.timings = timings;
  }

  /** Human-readable text (suppressed by --quiet and --json). */
  info(text = ''): void {
    if (this.mode.quiet || this.mode.json) return;
    this.out.write(text + '\n');
  }

  /** The machine-readable result of a --json command: exactly one JSON document on stdout. */
  json(value: unknown): void {
    // with --timings the phases so far join the document (an object result; other results are left as they are)
    const plain = typeof value === 'object' && value !== null && !Array.isArray(value);
    const doc = this.timings && plain ? { ...value, timings: this.timings.phases } : value;
    this.out.write(JSON.stringify(doc, null, 2) + '\n');
  }

  /** Progress callback for the pipeline: a bar appears only on a TTY, after a second of work, and never in quiet/json. */
  readonly progress: ProgressFn = (phase, done, total) => {
    if (this.mode.quiet || this.mode.json || this.err.isTTY !== true) return;
    const now = Date.now();
    if (phase !== this.phase) {
      this.stopProgress();
      this.phase = phase;
      this.phaseStart = now;
    }
    if (!this.bar && now - this.phaseStart >= PROGRESS_DELAY_MS && done < total) {
      this.bar = new cliProgress.SingleBar(
        { format: `${phase.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`, stream: this.err, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, done);
      this.barPhase = phase;
    }
    if (this.bar && this.barPhase === phase) {
      this.bar.update(done);
      if (done >= total) this.stopProgress();
    }
  };

  stopProgress(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }
}

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** Visible width of a string that may contain ANSI colour sequences. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(s: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Aligned plain-text table (columns separated by two spaces, a rule under the header), like Vela's per-layer output. */
export function renderTable(columns: Column[], rows: string[][], c?: Colors, footer?: string[]): string {
  const all = footer ? [...rows, footer] : rows;
  const widths = columns.map((col, i) => Math.max(visibleLength(col.header), ...all.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'left')).join('  ').trimEnd();
  const head = line(columns.map((col) => col.header));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [c ? c.bold(head) : head, rule, ...rows.map(line)];
  if (footer) out.push(rule, c ? c.bold(line(footer)) : line(footer));
  return out.join('\n');
}

/** 1234567 -> '1,234,567' (stable, locale-independent). */
export function fmtInt(n: number): string {
  const s = Math.round(n).toString();
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Byte counts in binary units with one decimal. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function fmtPct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Shape as [1,3,224,224]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** The --timings table: one row per phase (steps indented under their phase), then the whole command. */
export function renderTimings(phases: readonly PhaseTiming[], totalMs: number): string {
  const rows = phases.map((p) => [`${'  '.repeat(p.depth)}${p.phase}`, p.ms.toFixed(1), p.rssMB.toFixed(1), p.peakRssMB.toFixed(1), p.heapMB.toFixed(1)]);
  const peak = Math.max(0, ...phases.map((p) => p.peakRssMB));
  return renderTable(
    [{ header: 'phase' }, { header: 'ms', align: 'right' }, { header: 'rss MiB', align: 'right' }, { header: 'peak rss MiB', align: 'right' }, { header: 'heap MiB', align: 'right' }],
    rows, undefined, ['total', totalMs.toFixed(1), '', peak.toFixed(1), ''],
  );
}
