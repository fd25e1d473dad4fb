// Stage: frontend (input handling). Input files of any supported kind -> named float tensors: ONNX TensorProto .pb
// files as stored, PNG/JPEG images preprocessed to the shape of the model input they feed.
// Contract: one tensor per file, in order; an image binds to the input at its position (its shape decides the resize).

import { DspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { imageTensor, isImageFile, parsePreprocess } from './image.js';
import type { PreprocessSpec } from './image.js';
import { readTensorPb } from './onnx/tensorproto.js';

/** A model input as input readers need it. */
export interface InputSlot {
  name: string;
  shape: readonly number[];
}

/** A spec object, or its text form (`key=value,...` or `@file.json`). */
export type PreprocessArg = PreprocessSpec | string;

export function preprocessSpecOf(p: PreprocessArg | undefined): PreprocessSpec {
  if (p === undefined) return {};
  return typeof p === 'string' ? parsePreprocess(p) : p;
}

/**
 * Read input files for a model whose inputs are `slots`: .pb files keep their stored name, an image file at
 * position k becomes input k, named after it. A preprocessing spec without any image is a usage error
 * only in the CLI (library callers may pass one spec for mixed lists).
 */
export function readInputFiles(files: readonly string[], slots: readonly InputSlot[], preprocess?: PreprocessArg): { name: string; tensor: Tensor }[] {
  const spec = preprocessSpecOf(preprocess);
  return files.map((f, k) => {
    if (!isImageFile(f)) return readTensorPb(f);
    const slot = slots[k];
    if (!slot) throw new DspcError('E_USAGE', `image input ${k + 1} has no model input to feed (the model has ${slots.length})`, { file: f });
    return { name: slot.name, tensor: imageTensor(f, slot.shape, spec) };
  });
}
