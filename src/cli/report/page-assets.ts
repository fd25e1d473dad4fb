// Stage: CLI presentation (reports). The inline stylesheet and script of the HTML report.
// Contract: no external resources; the script only reads the DOM it is in and reports success or failure in #dspc-status.

export const PAGE_CSS = `
:root { --fg:#222; --muted:#666; --line:#ddd; --bg:#fafafa; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:var(--fg); background:#fff; }
header { padding:18px 28px 8px; border-bottom:1px solid var(--line); background:var(--bg); }
h1 { margin:0; font-size:22px; } h2 { font-size:18px; margin:26px 0 8px; } h3 { font-size:15px; margin:18px 0 6px; }
.subtitle { margin:4px 0 8px; color:var(--muted); }
main { padding:8px 28px 40px; }
footer { padding:8px 28px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0; }
.card { border:1px solid var(--line); border-radius:6px; padding:10px 14px; min-width:150px; background:#fff; }
.card-label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card-value { font-size:22px; font-weight:600; } .card-sub { color:var(--muted); font-size:12px; }
.note { color:var(--muted); margin:4px 0 8px; }
.graphs { display:flex; gap:16px; align-items:flex-start; }
.graphs figure { margin:0; flex:1 1 0; min-width:0; } figcaption { font-weight:600; margin-bottom:4px; }
.scroll { overflow:auto; } .graph-box { max-height:900px; border:1px solid var(--line); border-radius:6px; }
svg text { font-family: ui-monospace, Menlo, Consolas, monospace; }
.t-op { font-size:11px; font-weight:700; text-anchor:middle; } .t-name { font-size:9.5px; fill:#555; text-anchor:middle; }
.t-lane { font-size:12px; font-weight:600; } .t-total { font-size:11px; } .t-axis { font-size:10px; fill:#555; }
.edge { fill:none; stroke:#999; stroke-width:1; }
.graph .dim { opacity:.18; } .graph .hot rect { stroke-width:4; }
.legend { margin:6px 0; } .legend-item { display:inline-flex; align-items:center; gap:5px; margin:2px 12px 2px 0; font-size:12px; }
.chain-key { cursor:pointer; } .swatch { display:inline-block; width:12px; height:12px; border-radius:2px; }
.swatch.dashed { background:none; border-top:2px dashed #555; height:0; }
table { border-collapse:collapse; font-size:12.5px; } th, td { padding:3px 10px; border-bottom:1px solid #eee; text-align:left; white-space:nowrap; }
thead th { border-bottom:2px solid #ccc; } tfoot th { border-top:2px solid #ccc; } .num { text-align:right; font-variant-numeric:tabular-nums; }
.bar:hover { opacity:.75; }
`;

/**
 * Counts the drawn op nodes, wires chain highlighting, and writes the outcome into #dspc-status:
 * data-state="ready" with data-before-nodes / data-after-nodes on success, data-state="error" with the message otherwise.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var status = document.getElementById('dspc-status');
  function fail(msg) { status.setAttribute('data-state', 'error'); status.textContent = 'error: ' + msg; }
  window.addEventListener('error', function (e) { fail(e.message || 'script error'); });
  function count(id) {
    var svg = document.getElementById(id);
    if (svg) return svg.querySelectorAll('g.op').length;
    var skipped = document.getElementById(id + '-skipped');
    return skipped ? Number(skipped.getAttribute('data-op-nodes')) : -1;
  }
  try {
    var graphs = document.querySelectorAll('svg.graph');
    function highlight(chain) {
      for (var i = 0; i < graphs.length; i++) {
        var nodes = graphs[i].querySelectorAll('g.node');
        for (var j = 0; j < nodes.length; j++) {
          var n = nodes[j];
          var on = chain !== null && n.getAttribute('data-chain') === chain;
          n.classList.toggle('hot', on);
          n.classList.toggle('dim', chain !== null && !on);
        }
      }
    }
    var keys = document.querySelectorAll('.chain-key');
    for (var k = 0; k < keys.length; k++) {
      keys[k].addEventListener('mouseenter', function () { highlight(this.getAttribute('data-chain')); });
      keys[k].addEventListener('focus', function () { highlight(this.getAttribute('data-chain')); });
      keys[k].addEventListener('mouseleave', function () { highlight(null); });
      keys[k].addEventListener('blur', function () { highlight(null); });
    }
    var before = count('graph-before');
    var after = count('graph-after');
    status.setAttribute('data-before-nodes', String(before));
    status.setAttribute('data-after-nodes', String(after));
    status.setAttribute('data-state', 'ready');
    status.textContent = 'dspc report: ' + before + ' nodes before, ' + after + ' after';
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
`;
