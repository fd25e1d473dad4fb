// Stage: frontend. Public API of the ONNX front end: import, export and TensorProto (.pb) I/O.
// Contract: re-exports only; everything here imports nothing of ours outside src/ir.

export { importOnnxFile, importOnnxBytes, DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_WORK } from './onnx/import.js';
export type { ImportOptions } from './onnx/import.js';
export { exportOnnx, EXPORT_OPSET } from './onnx/export.js';
export { decodeTensorProto, encodeTensorProto, readTensorPb, writeTensorPb } from './onnx/tensorproto.js';
export { MAX_OPSET, MIN_OPSET } from './onnx/model.js';
export { decodeImage, imageTensor, isImageFile, parsePreprocess, IMAGE_EXTENSIONS } from './image.js';
export type { ChannelOrder, ImageLayout, PreprocessSpec, ResizeMode, Rgba } from './image.js';
export { preprocessSpecOf, readInputFiles } from './inputs.js';
export type { InputSlot, PreprocessArg } from './inputs.js';
export { exportQdq, QDQ_OPSET } from './onnx/qdq.js';
export type { QdqConstant, QdqSpec, QdqValue } from './onnx/qdq.js';
