// Stage: CLI presentation (reports). Escaping and number formatting shared by the HTML/SVG renderers.
// Contract: every string that reaches HTML or SVG text or attributes passes through esc().

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/** JSON safe to embed inside <script>: no '</script>' or HTML comment openers can end the element early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}
