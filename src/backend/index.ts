// Stage: backend. Public API of lowering and emission: the pipeline and library users import only this file.
// Contract: compileGraph/lowerGraph/fusionVerdicts are pure (no I/O); writeArtifacts is the only writer; loaders re-exported from kernels/artifacts.

export { compileGraph, artifactFiles, calibrationOf } from './emit.js';
export type { AccuracyReport, PrecisionReport, Artifacts, BackendOptions, BackendReport, CalibrationData, KernelAccuracy } from './emit.js';
export { lowerGraph } from './lower.js';
export type { LowerOptions, LowerStats, Lowering } from './lower.js';
export { fusionVerdicts } from './verdict.js';
export type { FusionVerdict, VerdictOptions, VerdictResult } from './verdict.js';
export { writeArtifacts, existingModelId } from './write.js';
export type { WriteOptions } from './write.js';
export { selectKernels, foldEpilogues, selectAndFold } from './select.js';
export type { Selection, SelectionResult } from './select.js';
export { planMemory } from './memory.js';
export type { LiveTensor, MemoryLevelCap, MemoryPlan } from './memory.js';
export { encodeParamsBin } from './params.js';
export type { ParamTable, ParamsImage } from './params.js';
export { emitParamsHeader } from './header.js';
export { loadCalibrationDir } from './calib.js';
export { bindParams } from './bind.js';
export { parseParamsBin, validateSchedule, crc32 } from '../../kernels/artifacts.js';
export type { ParamsFile, ParamRecord, Schedule, IOTensor, MemoryUse } from '../../kernels/artifacts.js';
export { precisionUnits, widenToUnits } from './precision.js';
export type { PrecisionUnit } from './precision.js';
export { qdqSpecOf } from './qdq.js';
