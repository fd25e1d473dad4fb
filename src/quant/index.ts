// Stage: fixed point. Public surface of post-training quantization (imports only src/ir).
// Contract: calibration ranges, quantization parameters and the BatchNorm fold; integer multipliers come from kernels/ in the backend.

export { collectRanges, collectRangesMany, defaultSampleCount, randomSamples, DEFAULT_CALIB_SEED, CALIB_MAC_BUDGET, MAX_DEFAULT_SAMPLES } from './calibrate.js';
export type { CalibrationInfo, Range, Ranges, Sample, ValueObserver } from './calibrate.js';
export { activationQParams, assignQParams, roundAway, QRANGE } from './qparams.js';
export type { ActDType, QParams } from './qparams.js';
export { foldBatchNorm } from './bnfold.js';
export type { BnFoldResult } from './bnfold.js';
export { mulberry32, normalSampler } from './prng.js';
export { narrowRanges, clampChainInterval } from './narrow.js';
export { CALIB_METHODS, HIST_BINS, HistogramSet, PERCENTILE, ValueHistogram, percentileRange, rangeByMethod, mseOf, klAt } from './methods.js';
export type { CalibMethod } from './methods.js';
