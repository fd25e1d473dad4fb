// Stage: kernel library support. Registry of activation kernels, separate from kernels/index.ts so compute kernels
// can apply epilogues without an import cycle.
// Contract: ACTIVATION_KERNELS holds exactly the role-'activation' kernels; epilogue helpers resolve through it.

import { CLIP } from './clip.js';
import { HARDSIGMOID } from './hardsigmoid.js';
import { HARDSWISH } from './hardswish.js';
import { LEAKY_RELU } from './leaky-relu.js';
import { PRELU } from './prelu.js';
import { RELU } from './relu.js';
import { SIGMOID } from './sigmoid.js';
import { TANH } from './tanh.js';
import { DspcError } from '../src/ir/errors.js';
import type { ActivationDef, Invocation, KernelDef, ParamValues } from './types.js';

export const ACTIVATION_KERNELS: ReadonlyMap<string, KernelDef> = new Map(
  [RELU, CLIP, LEAKY_RELU, PRELU, SIGMOID, TANH, HARDSIGMOID, HARDSWISH].map((k) => [k.name, k]),
);

export function activationDef(kernel: string): ActivationDef | undefined {
  return ACTIVATION_KERNELS.get(kernel)?.activation;
}

/** The epilogue's activation and its table, checked; null without an epilogue. */
function epilogueOf(inv: Invocation, epilogueParams: ParamValues | undefined): { act: ActivationDef; p: ParamValues } | null {
  if (!inv.epilogue) return null;
  const act = activationDef(inv.epilogue.kernel);
  if (!act) throw new DspcError('E_KERNEL', `epilogue '${inv.epilogue.kernel}' is not an activation kernel`, { node: inv.node });
  if (!epilogueParams) throw new DspcError('E_KERNEL', `epilogue '${inv.epilogue.kernel}' has no parameter table`, { node: inv.node });
  return { act, p: epilogueParams };
}

/**
 * int8 epilogue as code tables: `table[c * 256 + code + 128]` for c < channels (channels = 1 when the activation
 * has scalar parameters: then every output channel uses table 0). Null without an epilogue.
 */
export function epilogueTable(inv: Invocation, epilogueParams: ParamValues | undefined): { table: Int16Array; channels: number } | null {
  const e = epilogueOf(inv, epilogueParams);
  if (!e) return null;
  const channels = e.act.channels(e.p);
  const table = new Int16Array(256 * channels);
  for (let c = 0; c < channels; c++) for (let x = -128; x < 128; x++) table[c * 256 + x + 128] = e.act.applyCode(x, c, e.p);
  return { table, channels };
}

/**
 * The epilogue of an invocation as a per-(code, channel) function, or null without one. int8: precomputed
 * per-channel 256-entry tables; int16: the activation's applyCode.
 */
export function epilogueFn(inv: Invocation, epilogueParams: ParamValues | undefined): ((code: number, channel: number) => number) | null {
  const e = epilogueOf(inv, epilogueParams);
  if (!e) return null;
  const { act, p } = e;
  if (inv.outputs[0]?.dtype !== 'int8') return (code, ch) => act.applyCode(code, ch, p);
  const { table: t, channels } = epilogueTable(inv, p)!;
  return channels === 1 ? (code) => t[code + 128]! : (code, ch) => t[ch * 256 + code + 128]!;
}

/** Zero point of the intermediate (pre-activation) codes: the epilogue's in_zp, else the output's own. */
export function preActivationZeroPoint(inv: Invocation, epilogueParams: ParamValues | undefined): number {
  if (inv.epilogue && epilogueParams) {
    const zp = epilogueParams['in_zp'];
    if (zp) return zp[0]!;
  }
  return inv.outputs[0]!.zeroPoint;
}
