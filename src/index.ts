// Stage: library API. What `import ... from 'dspc'` offers: the pipeline entry points, their option/result types, and the building blocks.
// Contract: re-exports only; stable names documented in docs/api.md (nothing here imports src/cli).

export {
  compile, optimize, simulate, loadModel, inspectModel, inspectArtifacts, readArtifacts, run, readTensors, writeTensors,
  bindInputs, resolveTarget, toOnnx, modelIdOf, OPTIMIZED_MODEL_FILE, readInputs, inputSlots, parsePreprocess, qdqModel,
} from './pipeline.js';
export type {
  ArtifactsInfo, CompileOptions, CompileResult, LoadOptions, ModelInfo, NamedTensor, OptimizeOptions, OptimizeResult,
  ProgressFn, Reference, SimulateDirOptions, SimulateResult, TargetSpec, PreprocessArg, PreprocessSpec,
} from './pipeline.js';
export type { Artifacts, BackendReport, FusionVerdict } from './backend/index.js';
export type { SpeedupReport, FunctionalReport, KernelCycles } from './sim/index.js';

// IR and front end
export { DspcError, isDspcError } from './ir/errors.js';
export type { DspcErrorCode } from './ir/errors.js';
export type { Graph, Node, ValueInfo, AttrValue } from './ir/graph.js';
export type { Tensor, DType } from './ir/tensor.js';
export { makeTensor, floatTensor } from './ir/tensor.js';
export { printGraph } from './ir/print.js';
export { graphStats } from './ir/stats.js';
export type { GraphStats } from './ir/stats.js';
export { interpret } from './ir/interpret.js';
export { verifyGraph } from './ir/verify.js';
export { OP_TABLE, isActivation } from './ir/optable.js';
export { importOnnxFile, importOnnxBytes, exportOnnx, readTensorPb, writeTensorPb, imageTensor, decodeImage } from './frontend/index.js';

// passes
export { PASSES } from './passes/registry.js';
export type { ChainReport, Pass, PassContext } from './passes/types.js';
export type { OptimizeReport } from './passes/index.js';

// targets and kernels
export { DEFAULT_TARGET, listTargets, loadTarget, presetNames, activationKernelOps } from '../kernels/target.js';
export type { Target, TargetKernel, MemoryLevel } from '../kernels/target.js';
export { KERNELS } from '../kernels/index.js';
export type { KernelDef, Invocation, QDType } from '../kernels/types.js';
export type { Schedule, ParamsFile, ParamRecord } from '../kernels/artifacts.js';
