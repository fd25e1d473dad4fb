// Stage: shared by every stage (ir has no dependencies of ours).
// Contract: every user-facing failure is a DspcError carrying a stable code, the file and node at fault; the CLI prints message only and exits 2.

/** Stable error categories; tests and tools match on these, never on message text. */
export type DspcErrorCode =
  | 'E_FILE'          // unreadable, empty, truncated or corrupt input file
  | 'E_PARSE'         // not an ONNX model / not a TensorProto
  | 'E_UNSUPPORTED'   // unsupported op, opset, dtype or attribute form
  | 'E_GRAPH'         // inconsistent graph: cycle, undefined or duplicated tensor, shape mismatch
  | 'E_ATTR'          // invalid attribute value (NaN slope, negative dim, ...)
  | 'E_LIMIT'         // resource limit exceeded (model size, tensor size)
  | 'E_TARGET'        // invalid or unknown target description
  | 'E_KERNEL'        // no kernel of the target can implement a node
  | 'E_ARTIFACT'      // corrupt or inconsistent emitted artifact (params.bin, schedule.json)
  | 'E_USAGE'         // bad command-line usage
  | 'E_IO';           // output cannot be written

export interface ErrorSite {
  file?: string;
  node?: string;
  /** The pipeline stage (pass name) after which the problem was found, e.g. by the verifier. */
  stage?: string;
}

export class DspcError extends Error {
  readonly code: DspcErrorCode;
  readonly file: string | undefined;
  readonly node: string | undefined;
  readonly stage: string | undefined;
  /** The problem text without the file/stage/node prefix. */
  readonly problem: string;

  constructor(code: DspcErrorCode, problem: string, site: ErrorSite = {}) {
    super(formatMessage(problem, site));
    this.name = 'DspcError';
    this.code = code;
    this.file = site.file;
    this.node = site.node;
    this.stage = site.stage;
    this.problem = problem;
  }

  /** Same error with the file filled in, for errors raised below the layer that knows the path. */
  withFile(file: string): DspcError {
    if (this.file !== undefined) return this;
    return new DspcError(this.code, this.problem, { file, node: this.node, stage: this.stage });
  }
}

function formatMessage(problem: string, site: ErrorSite): string {
  const parts: string[] = [];
  if (site.file !== undefined) parts.push(site.file);
  if (site.stage !== undefined) parts.push(`after pass '${site.stage}'`);
  if (site.node !== undefined) parts.push(`node '${site.node}'`);
  return parts.length ? `${parts.join(': ')}: ${problem}` : problem;
}

export function isDspcError(e: unknown): e is DspcError {
  return e instanceof DspcError;
}
