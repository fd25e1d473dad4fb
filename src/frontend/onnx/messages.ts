// Stage: frontend (ONNX). Error text built from a hostile file stays one readable line.
// Contract: printable() escapes control characters and shortens absurdly long tokens; cleanError() applies it to a DspcError.

import { DspcError } from '../../ir/errors.js';

/** Longest token (run of non-space characters) kept whole; longer ones are names made of garbage bytes. */
const MAX_TOKEN = 160;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControl(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

export function printable(s: string): string {
  return s
    .replace(CONTROL, escapeControl)
    .replace(new RegExp(`\\S{${MAX_TOKEN + 1},}`, 'g'), (t) => `${t.slice(0, 100)}...(${t.length} characters)`);
}

/** The same error with its problem and node name made printable, and the file filled in. */
export function cleanError(e: DspcError, file: string): DspcError {
  const problem = printable(e.problem);
  const node = e.node === undefined ? undefined : printable(e.node);
  if (problem === e.problem && node === e.node && e.file !== undefined) return e;
  return new DspcError(e.code, problem, { file: e.file ?? file, node, stage: e.stage });
}
