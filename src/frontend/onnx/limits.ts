// Stage: frontend (ONNX). Resource limits applied before anything large is allocated (issue 7 item 4).
// Contract: documented defaults; callers override them through ImportOptions.

/** Default refusal threshold for a model file (plus its external data): 2 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024;

/** Largest element count of any tensor (constant or inferred): typed arrays and kernel offsets index with int32. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;
