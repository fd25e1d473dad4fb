// Tests of `dspc compile --report/--dot`: the HTML report loads in headless Chromium without console errors and shows the node counts.
// Why: the report is a self-contained file people open in a browser; only a real browser proves the SVG and script work.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, DEMO, dspc, json, tmpDir } from './helpers.js';

const hasChromium = fs.existsSync(CHROMIUM);
const work = tmpDir('report');
const html = path.join(work, 'report.html');
const dot = path.join(work, 'graph.dot');

interface PageResult {
  status: { state: string; before: number; after: number; text: string } | null;
  consoleLines: string[];
}

/**
 * Load a file in headless Chromium, dump the DOM after scripts ran and collect every console message (Chromium
 * logs them to stderr as `INFO:CONSOLE...`). The page writes #dspc-status after its script ran.
 */
function loadInChromium(file: string): PageResult {
  const profile = fs.mkdtempSync(path.join(work, 'chrome-'));
  const r = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--dump-dom',
    `file://${file}`,
  ], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
  const m = /<div id="dspc-status" data-state="([^"]*)"(?: data-before-nodes="(-?\d+)" data-after-nodes="(-?\d+)")?[^>]*>([^<]*)</.exec(r.stdout);
  // attribute order is the browser's; read each one separately to be safe
  const attr = (name: string): string | undefined => new RegExp(`<div id="dspc-status"[^>]*\\b${name}="([^"]*)"`).exec(r.stdout)?.[1];
  const status = m ? { state: attr('data-state') ?? '', before: Number(attr('data-before-nodes')), after: Number(attr('data-after-nodes')), text: m[4]! } : null;
  return { status, consoleLines: r.stderr.split('\n').filter((l) => l.includes(':CONSOLE')) };
}

describe('dspc compile --report / --dot', () => {
  let nodesBefore = 0;
  let nodesAfter = 0;
  let invocations = 0;

  beforeAll(() => {
    const r = dspc(['compile', DEMO, '--report', html, '--dot', dot]);
    if (r.code !== 0) throw new Error(r.stderr);
    nodesBefore = json<{ nodes: number }>(dspc(['inspect', DEMO, '--json'])).nodes;
    nodesAfter = json<{ nodes: { after: number } }>(dspc(['optimize', DEMO, '-o', path.join(work, 'o.onnx'), '--json'])).nodes.after;
    invocations = json<{ kernels: { after: number } }>(dspc(['compile', DEMO, '--json'])).kernels.after;
  });

  it('is one self-contained file: no external scripts, styles, images or fonts', () => {
    const text = fs.readFileSync(html, 'utf8');
    expect(text.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(text).not.toMatch(/<link\b/i);
    expect(text).not.toMatch(/\bsrc\s*=/i);
    expect(text).not.toMatch(/(href|url)\(?\s*=?\s*["']?https?:/i);
    expect(text).not.toMatch(/@import/);
    // the pictures are there: two graphs, the timeline and the memory chart
    expect(text.match(/<svg id="graph-(before|after)"/g)?.length).toBe(2);
    expect(text).toContain('class="chart timeline"');
    expect(text).toContain('class="chart memory"');
    // and the per-kernel accuracy bars: one per invocation
    const svg = /<svg class="chart accuracy"[\s\S]*?<\/svg>/.exec(text)?.[0] ?? '';
    expect(svg.match(/<rect class="bar"/g)?.length).toBe(invocations);
    expect(svg).toMatch(/dB<\/title>/);
    expect(text.match(/<g class="node op\b/g)?.length).toBe(nodesBefore + nodesAfter);
  });

  it.skipIf(!hasChromium)('loads in headless Chromium with no console messages and shows the node counts', () => {
    const page = loadInChromium(html);
    expect(page.consoleLines).toEqual([]);
    expect(page.status).not.toBeNull();
    expect(page.status!.state).toBe('ready');
    expect(page.status!.before).toBe(nodesBefore);
    expect(page.status!.after).toBe(nodesAfter);
  });

  it.skipIf(!hasChromium)('the Chromium check does catch a broken page (negative control)', () => {
    const broken = path.join(work, 'broken.html');
    fs.writeFileSync(broken, fs.readFileSync(html, 'utf8').replace('</body>', '<script>notDefinedAnywhere();</script></body>'));
    const page = loadInChromium(broken);
    expect(page.consoleLines.join('\n')).toMatch(/notDefinedAnywhere/);
  });

  it.runIf(!hasChromium)(`skipped the browser checks: ${CHROMIUM} is absent (Debian: apt-get install -y chromium)`, () => {
    expect(hasChromium).toBe(false);
  });

  it('--dot holds both graphs as clusters with every op node', () => {
    const text = fs.readFileSync(dot, 'utf8');
    expect(text).toMatch(/^digraph "/);
    expect(text.match(/subgraph cluster_\d+/g)?.length).toBe(2);
    expect(text.match(/^\s+"g0\/n:[^"]*" \[/gm)?.length).toBe(nodesBefore);
    expect(text.match(/^\s+"g1\/n:[^"]*" \[/gm)?.length).toBe(nodesAfter);
    expect(text.trimEnd().endsWith('}')).toBe(true);
  });
});
