// Stage: backend (calibration input). Reads a --calib directory of ONNX TensorProto .pb files and PNG/JPEG images into calibration samples.
// Contract: deterministic order (sorted paths); single-input models take every file as one sample; multi-input models one sample per directory (.pb only).

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { imageTensor, isImageFile, preprocessSpecOf, readTensorPb } from '../frontend/index.js';
import type { PreprocessArg } from '../frontend/index.js';
import type { Graph } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import type { CalibrationInfo, Sample } from '../quant/index.js';

function listPb(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if ((e.endsWith('.pb') && !e.startsWith('output_')) || isImageFile(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Calibration samples from `dir`: .pb tensors (files named output_*.pb, as in ONNX test-data folders, are skipped)
 * and PNG/JPEG images, preprocessed to the model input's shape as `preprocess` says.
 */
export function loadCalibrationDir(dir: string, g: Graph, preprocess?: PreprocessArg): { samples: Sample[]; info: CalibrationInfo } {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new DspcError('E_FILE', 'calibration directory does not exist', { file: dir });
  }
  if (!isDir) throw new DspcError('E_FILE', 'calibration path is not a directory', { file: dir });
  const files = listPb(dir);
  if (files.length === 0) throw new DspcError('E_FILE', 'calibration directory holds no .pb tensor or PNG/JPEG image files', { file: dir });
  const spec = preprocessSpecOf(preprocess);
  const samples: Sample[] = [];
  if (g.inputs.length === 1) {
    const inp = g.inputs[0]!;
    for (const f of files) samples.push(new Map([[inp.name, isImageFile(f) ? imageTensor(f, inp.shape, spec) : readTensorPb(f).tensor]]));
  } else {
    const image = files.find(isImageFile);
    if (image) throw new DspcError('E_USAGE', `images calibrate single-input models only; this model has ${g.inputs.length} inputs`, { file: image });
    const groups = new Map<string, string[]>();
    for (const f of files) groups.set(dirname(f), [...(groups.get(dirname(f)) ?? []), f]);
    for (const [d, fs] of groups) samples.push(bindGroup(g, d, fs.map((f) => ({ file: f, ...readTensorPb(f) }))));
  }
  return { samples, info: { source: 'files', samples: samples.length, files: files.map((f) => relative(dir, f) || basename(f)) } };
}

function bindGroup(g: Graph, d: string, ts: { file: string; name: string; tensor: Tensor }[]): Sample {
  if (ts.length !== g.inputs.length) {
    throw new DspcError('E_FILE', `calibration sample holds ${ts.length} tensors, the model has ${g.inputs.length} inputs (${g.inputs.map((v) => v.name).join(', ')})`, { file: d });
  }
  const byName = g.inputs.every((v) => ts.some((t) => t.name === v.name));
  return new Map(g.inputs.map((v, i) => [v.name, (byName ? ts.find((t) => t.name === v.name)! : ts[i]!).tensor]));
}
