// Stage: frontend (ONNX). Reads and decodes a ModelProto, refusing empty, truncated, non-ONNX and too-new models.
// Contract: returns a ModelProto with a graph and a supported default-domain opset, or throws E_FILE/E_PARSE/E_LIMIT/E_UNSUPPORTED naming the file.

import * as fs from 'node:fs';
import { DspcError } from '../../ir/errors.js';
import { int64ToNumber, onnx } from './proto.js';
import type { OnnxTypes } from './proto.js';

/** Default-domain opsets the importer understands (issue 2: opsets 6 to 18; older IR-1/2 ops are handled the same way). */
export const MIN_OPSET = 1;
export const MAX_OPSET = 18;

/** Domains that mean the default ONNX operator set. */
export function isDefaultDomain(domain: string | null | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** Read a model file, checking its size against the limit from stat() before reading a byte. */
export function readModelFile(file: string, maxBytes: number): Uint8Array {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new DspcError('E_FILE', 'not a regular file', { file });
    size = st.size;
  } catch (e) {
    if (e instanceof DspcError) throw e;
    throw new DspcError('E_FILE', `cannot read model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  if (size > maxBytes) throw new DspcError('E_LIMIT', `model file has ${size} bytes, more than the limit of ${maxBytes} bytes`, { file });
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new DspcError('E_FILE', `cannot read model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

export interface DecodedModel {
  model: OnnxTypes.ModelProto;
  graph: OnnxTypes.IGraphProto;
  opset: number;
}

/** Decode a ModelProto; protobuf failures become E_FILE (truncated/corrupt) or E_PARSE (not a model). */
export function decodeModel(bytes: Uint8Array, file: string): DecodedModel {
  if (bytes.length === 0) throw new DspcError('E_FILE', 'empty file (expected an ONNX model)', { file });
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    // protobufjs reports reading past the end as "index out of range": the file was cut short or a length is corrupt.
    if (/index out of range/.test(msg)) throw new DspcError('E_FILE', `truncated or corrupt ONNX model (protobuf: ${msg})`, { file });
    // Subgraph attributes nest Graph -> Node -> Attribute -> Graph; a hostile file can nest until the decoder's stack ends.
    if (e instanceof RangeError && /call stack/i.test(msg)) {
      throw new DspcError('E_PARSE', 'not an ONNX model dspc can read: protobuf messages nested too deeply (subgraphs within subgraphs)', { file });
    }
    throw new DspcError('E_PARSE', `not an ONNX model or corrupt (protobuf: ${msg})`, { file });
  }
  const graph = model.graph;
  const ir = int64ToNumber(model.irVersion);
  if (!graph || ir <= 0) {
    throw new DspcError('E_PARSE', `not an ONNX model (${!graph ? 'no graph' : 'no ir_version'} in the decoded protobuf)`, { file });
  }
  return { model, graph, opset: defaultOpset(model, file) };
}

function defaultOpset(model: OnnxTypes.ModelProto, file: string): number {
  const entries = model.opsetImport ?? [];
  // IR version 1/2 models predate opset_import and mean opset 1.
  if (entries.length === 0) return int64ToNumber(model.irVersion) < 3 ? 1 : refuseNoOpset(file);
  const def = entries.find((e) => isDefaultDomain(e.domain));
  if (!def) return 0; // only custom domains: every node will be reported as unsupported
  const v = int64ToNumber(def.version);
  if (v > MAX_OPSET) {
    throw new DspcError('E_UNSUPPORTED', `default-domain opset ${v} is newer than dspc supports (${MIN_OPSET}..${MAX_OPSET}); re-export with opset <= ${MAX_OPSET}`, { file });
  }
  if (v < MIN_OPSET) throw new DspcError('E_PARSE', `invalid default-domain opset ${v}`, { file });
  return v;
}

function refuseNoOpset(file: string): never {
  throw new DspcError('E_PARSE', 'ONNX model declares no opset_import', { file });
}
