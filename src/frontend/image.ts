// Stage: frontend (input handling). PNG/JPEG images -> float input tensors through a preprocessing spec: resize to the
// model input's H x W, channel order, normalisation, NCHW or NHWC layout. Decoding is pngjs / jpeg-js, never by hand.
// Contract: parsePreprocess() accepts exactly the documented keys and rejects anything else with a DspcError('E_USAGE'); imageTensor() is deterministic.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DspcError } from '../ir/errors.js';
import { floatTensor } from '../ir/tensor.js';
import type { Tensor } from '../ir/tensor.js';

export type ImageLayout = 'nchw' | 'nhwc';
export type ChannelOrder = 'rgb' | 'bgr' | 'gray';
export type ResizeMode = 'bilinear' | 'nearest' | 'none';

/**
 * How an image becomes a model input. Normalisation is either mean/std on pixels in [0, 1]
 * (x = (p/255 - mean[c]) / std[c], the torchvision convention) or scale/offset on raw pixels in [0, 255]
 * (x = p * scale + offset); with neither, x = p / 255.
 */
export interface PreprocessSpec {
  /** Default: inferred from the input shape (channels 1 or 3 at axis 1 -> nchw, else at axis 3 -> nhwc). */
  layout?: ImageLayout;
  /** Channel order the model expects (default rgb); gray converts to luma and repeats it over every channel. */
  order?: ChannelOrder;
  /** Resampling to the input's H x W (default bilinear, half-pixel centres); none requires an exact size. */
  resize?: ResizeMode;
  mean?: number[];
  std?: number[];
  scale?: number[];
  offset?: number[];
}

/** Decoded pixels: 8-bit RGBA, row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(file).toLowerCase());
}

const KEYS = ['layout', 'order', 'resize', 'mean', 'std', 'scale', 'offset'] as const;
type Key = (typeof KEYS)[number];
const LISTS: readonly Key[] = ['mean', 'std', 'scale', 'offset'];
const CHOICES: Partial<Record<Key, readonly string[]>> = {
  layout: ['nchw', 'nhwc'], order: ['rgb', 'bgr', 'gray'], resize: ['bilinear', 'nearest', 'none'],
};

function bad(problem: string): DspcError {
  return new DspcError('E_USAGE', `--preprocess: ${problem}`);
}

/**
 * Parse `key=value,...` where list keys take comma-separated numbers (`mean=0.485,0.456,0.406,std=...`), or
 * `@file.json` holding the same keys as a JSON object (lists as arrays or single numbers).
 */
export function parsePreprocess(text: string): PreprocessSpec {
  if (text.startsWith('@')) return preprocessFromJson(text.slice(1));
  const raw: Partial<Record<Key, string[]>> = {};
  let current: Key | undefined;
  for (const tok of text.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const eq = tok.indexOf('=');
    if (eq < 0) {
      if (!current || !LISTS.includes(current)) throw bad(`'${tok}' is not key=value`);
      raw[current]!.push(tok);
      continue;
    }
    const key = tok.slice(0, eq).trim().toLowerCase();
    if (!(KEYS as readonly string[]).includes(key)) throw bad(`unknown key '${key}' (keys: ${KEYS.join(', ')})`);
    current = key as Key;
    if (raw[current]) throw bad(`key '${key}' given twice`);
    raw[current] = [tok.slice(eq + 1).trim()];
  }
  return checkSpec(raw);
}

function preprocessFromJson(file: string): PreprocessSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DspcError('E_USAGE', code ? `cannot read preprocessing spec (${code})` : `preprocessing spec is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DspcError('E_USAGE', 'preprocessing spec must be a JSON object', { file });
  const raw: Partial<Record<Key, string[]>> = {};
  for (const [k, v] of Object.entries(json)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new DspcError('E_USAGE', `preprocessing spec: unknown key '${k}' (keys: ${KEYS.join(', ')})`, { file });
    const vals = Array.isArray(v) ? v : [v];
    if (!vals.every((x) => typeof x === 'number' || typeof x === 'string')) throw new DspcError('E_USAGE', `preprocessing spec: '${k}' must be a string, a number or a list of numbers`, { file });
    raw[k as Key] = vals.map(String);
  }
  try {
    return checkSpec(raw);
  } catch (e) {
    throw e instanceof DspcError ? new DspcError('E_USAGE', e.problem, { file }) : e;
  }
}

function numbers(key: Key, vals: string[]): number[] {
  const out = vals.map(Number);
  const k = out.findIndex((v, i) => vals[i] === '' || !Number.isFinite(v));
  if (k >= 0) throw bad(`${key} value '${vals[k]}' is not a finite number`);
  if (out.length !== 1 && out.length !== 3) throw bad(`${key} takes 1 or 3 numbers, got ${out.length}`);
  return out;
}

function checkSpec(raw: Partial<Record<Key, string[]>>): PreprocessSpec {
  const spec: PreprocessSpec = {};
  for (const key of KEYS) {
    const vals = raw[key];
    if (!vals) continue;
    if (LISTS.includes(key)) {
      (spec as Record<string, number[]>)[key] = numbers(key, vals);
      continue;
    }
    const v = vals.length === 1 ? vals[0]!.toLowerCase() : '';
    if (!CHOICES[key]!.includes(v)) throw bad(`${key} must be one of ${CHOICES[key]!.join(', ')}, got '${vals.join(',')}'`);
    (spec as Record<string, string>)[key] = v;
  }
  if ((spec.mean || spec.std) && (spec.scale || spec.offset)) throw bad('give mean/std or scale/offset, not both');
  if (spec.std?.some((s) => s === 0)) throw bad('std must not be 0');
  return spec;
}

/** Decode a PNG or JPEG file into RGBA pixels (gray and palette images are expanded by the decoders). */
export function decodeImage(file: string): Rgba {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DspcError('E_FILE', `cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (ext === '.jpg' || ext === '.jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw new DspcError('E_FILE', `corrupt or unsupported ${ext.slice(1).toUpperCase()} image: ${(e as Error).message}`, { file });
  }
  throw new DspcError('E_FILE', `not an image file (expected ${IMAGE_EXTENSIONS.join(', ')})`, { file });
}

interface Geometry {
  layout: ImageLayout;
  channels: number;
  h: number;
  w: number;
}

function geometryOf(shape: readonly number[], spec: PreprocessSpec, file: string): Geometry {
  if (shape.length !== 4 || shape[0] !== 1) {
    throw new DspcError('E_USAGE', `an image can feed only a [1,C,H,W] or [1,H,W,C] input, the model input is [${shape.join(',')}]`, { file });
  }
  const cFirst = shape[1] === 1 || shape[1] === 3;
  const cLast = shape[3] === 1 || shape[3] === 3;
  const layout = spec.layout ?? (cFirst ? 'nchw' : cLast ? 'nhwc' : undefined);
  if (!layout) throw new DspcError('E_USAGE', `cannot tell the layout of input [${shape.join(',')}]: give layout=nchw or layout=nhwc`, { file });
  const channels = layout === 'nchw' ? shape[1]! : shape[3]!;
  if (channels !== 1 && channels !== 3) {
    throw new DspcError('E_USAGE', `layout ${layout} puts ${channels} channels in input [${shape.join(',')}]; images give 1 or 3`, { file });
  }
  return layout === 'nchw' ? { layout, channels, h: shape[2]!, w: shape[3]! } : { layout, channels, h: shape[1]!, w: shape[2]! };
}

/** One channel (0..2 = R, G, B) of the image resampled to h x w, as floats in [0, 255]. */
function resample(img: Rgba, ch: number, h: number, w: number, mode: ResizeMode): Float64Array {
  const out = new Float64Array(h * w);
  const at = (y: number, x: number): number => img.data[(y * img.width + x) * 4 + ch]!;
  const sy = img.height / h;
  const sx = img.width / w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mode !== 'bilinear') {
        out[y * w + x] = at(Math.min(img.height - 1, Math.floor((y + 0.5) * sy)), Math.min(img.width - 1, Math.floor((x + 0.5) * sx)));
        continue;
      }
      const fy = Math.min(img.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const fx = Math.min(img.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const y0 = Math.floor(fy), x0 = Math.floor(fx);
      const y1 = Math.min(img.height - 1, y0 + 1), x1 = Math.min(img.width - 1, x0 + 1);
      const dy = fy - y0, dx = fx - x0;
      out[y * w + x] = (at(y0, x0) * (1 - dx) + at(y0, x1) * dx) * (1 - dy) + (at(y1, x0) * (1 - dx) + at(y1, x1) * dx) * dy;
    }
  }
  return out;
}

/** Per-channel affine map p -> p * a[c] + b[c] that the spec's normalisation amounts to (p in [0, 255]). */
function affineOf(spec: PreprocessSpec, channels: number, file: string): { a: number[]; b: number[] } {
  const per = (v: number[] | undefined, dflt: number, key: string): number[] => {
    if (!v) return Array<number>(channels).fill(dflt);
    if (v.length === 1) return Array<number>(channels).fill(v[0]!);
    if (v.length !== channels) throw new DspcError('E_USAGE', `--preprocess: ${key} has ${v.length} values, the input has ${channels} channel(s)`, { file });
    return v;
  };
  if (spec.scale || spec.offset) return { a: per(spec.scale, 1, 'scale'), b: per(spec.offset, 0, 'offset') };
  const mean = per(spec.mean, 0, 'mean');
  const std = per(spec.std, 1, 'std');
  return { a: std.map((s) => 1 / (255 * s)), b: mean.map((m, c) => -m / std[c]!) };
}

/** An image file as the float tensor of a model input of `shape`, preprocessed as `spec` says. */
export function imageTensor(file: string, shape: readonly number[], spec: PreprocessSpec = {}): Tensor {
  const g = geometryOf(shape, spec, file);
  const img = decodeImage(file);
  const mode = spec.resize ?? 'bilinear';
  if (mode === 'none' && (img.width !== g.w || img.height !== g.h)) {
    throw new DspcError('E_USAGE', `image is ${img.width}x${img.height}, the input wants ${g.w}x${g.h} (resize=none)`, { file });
  }
  const order = spec.order ?? 'rgb';
  const rgb = [0, 1, 2].map((c) => resample(img, c, g.h, g.w, mode));
  const gray = order === 'gray' || g.channels === 1 ? rgb[0]!.map((r, i) => 0.299 * r + 0.587 * rgb[1]![i]! + 0.114 * rgb[2]![i]!) : undefined;
  const planes = gray ? Array<Float64Array>(g.channels).fill(gray) : order === 'bgr' ? [rgb[2]!, rgb[1]!, rgb[0]!] : rgb;
  const { a, b } = affineOf(spec, g.channels, file);
  const t = floatTensor([...shape]);
  const d = t.data as Float32Array;
  const hw = g.h * g.w;
  for (let c = 0; c < g.channels; c++) {
    const p = planes[c]!;
    for (let i = 0; i < hw; i++) d[g.layout === 'nchw' ? c * hw + i : i * g.channels + c] = p[i]! * a[c]! + b[c]!;
  }
  return t;
}
