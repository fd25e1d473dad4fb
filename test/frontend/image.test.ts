// Tests of image inputs: the preprocessing spec grammar, decoding (pngjs / jpeg-js), resize, channel order, layout,
// normalisation, and images as calibration samples and CLI inputs.

import * as fs from 'node:fs';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { imageTensor, parsePreprocess, readInputFiles } from '../../src/frontend/index.js';
import { loadCalibrationDir } from '../../src/backend/index.js';
import { loadModel } from '../../src/pipeline.js';
import { DspcError } from '../../src/ir/errors.js';
import { dspc, expectOneLineError, json, MODELS, tmpDir, zoo } from '../cli/helpers.js';

/** A w x h PNG whose pixel (x, y) is rgb(x*10 + y, 100 + y, 200 - x), written under dir. */
function writePng(dir: string, name: string, w: number, h: number): string {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set([x * 10 + y, 100 + y, 200 - x, 255], (y * w + x) * 4);
  const f = path.join(dir, name);
  fs.writeFileSync(f, PNG.sync.write(png));
  return f;
}

function pixel(x: number, y: number): number[] {
  return [x * 10 + y, 100 + y, 200 - x];
}

describe('parsePreprocess', () => {
  it('reads lists after a key until the next key', () => {
    expect(parsePreprocess('layout=nchw,mean=0.485,0.456,0.406,std=0.229,0.224,0.225')).toEqual({
      layout: 'nchw', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
    });
    expect(parsePreprocess('order=BGR, scale=0.5 ,offset=-1,resize=nearest')).toEqual({ order: 'bgr', scale: [0.5], offset: [-1], resize: 'nearest' });
  });

  it.each([
    ['lay=nchw', /unknown key 'lay'/],
    ['layout=chw', /layout must be one of nchw, nhwc/],
    ['mean=1,2', /mean takes 1 or 3 numbers, got 2/],
    ['mean=x', /not a finite number/],
    ['mean=0.5,scale=2', /not both/],
    ['std=0', /std must not be 0/],
    ['nchw', /'nchw' is not key=value/],
    ['layout=nchw,layout=nhwc', /given twice/],
  ])('rejects %s', (spec, msg) => {
    expect(() => parsePreprocess(spec)).toThrow(msg);
    try { parsePreprocess(spec); } catch (e) { expect((e as DspcError).code).toBe('E_USAGE'); }
  });

  it('reads @file.json and names the file in errors', () => {
    const dir = tmpDir('pre');
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify({ layout: 'nhwc', scale: 0.0078431, offset: [-1] }));
    expect(parsePreprocess(`@${good}`)).toEqual({ layout: 'nhwc', scale: [0.0078431], offset: [-1] });
    const badKey = path.join(dir, 'bad.json');
    fs.writeFileSync(badKey, JSON.stringify({ means: [1] }));
    expect(() => parsePreprocess(`@${badKey}`)).toThrow(/bad\.json: preprocessing spec: unknown key 'means'/);
    fs.writeFileSync(badKey, '{ not json');
    expect(() => parsePreprocess(`@${badKey}`)).toThrow(/not valid JSON/);
  });
});

describe('imageTensor', () => {
  const dir = tmpDir('img');
  const f = writePng(dir, 'a.png', 4, 3);

  it('NCHW, no resize: (p/255 - mean)/std per channel, RGB order', () => {
    const t = imageTensor(f, [1, 3, 3, 4], { resize: 'none', mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] });
    const d = t.data as Float32Array;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) {
      const p = pixel(x, y);
      [0.5, 0.25, 0].forEach((m, c) => expect(d[c * 12 + y * 4 + x]).toBeCloseTo((p[c]! / 255 - m) / [0.5, 0.25, 2][c]!, 5));
    }
  });

  it('NHWC, BGR, scale/offset on raw pixels', () => {
    const t = imageTensor(f, [1, 3, 4, 3], { layout: 'nhwc', order: 'bgr', scale: [2], offset: [-1], resize: 'none' });
    const d = t.data as Float32Array;
    const p = pixel(2, 1);
    expect([0, 1, 2].map((c) => d[(1 * 4 + 2) * 3 + c])).toEqual([p[2]! * 2 - 1, p[1]! * 2 - 1, p[0]! * 2 - 1]);
  });

  it('gray repeats the luma over every channel; a 1-channel input gets luma too', () => {
    const t = imageTensor(f, [1, 3, 3, 4], { order: 'gray', resize: 'none', scale: [1] });
    const d = t.data as Float32Array;
    const p = pixel(1, 2);
    const luma = 0.299 * p[0]! + 0.587 * p[1]! + 0.114 * p[2]!;
    for (let c = 0; c < 3; c++) expect(d[c * 12 + 2 * 4 + 1]).toBeCloseTo(luma, 3);
    expect((imageTensor(f, [1, 1, 3, 4], { resize: 'none', scale: [1] }).data as Float32Array)[2 * 4 + 1]).toBeCloseTo(luma, 3);
  });

  it('bilinear resize keeps a linear ramp linear and a constant image constant', () => {
    const big = imageTensor(f, [1, 3, 6, 8], { scale: [1] }).data as Float32Array;
    // blue = 200 - x is linear in x: interior samples at half-pixel centres of the 2x upsample step by 0.5
    const row = Array.from({ length: 6 }, (_, x) => big[2 * 48 + 2 * 8 + 1 + x]!);
    for (let i = 1; i < row.length; i++) expect(row[i]! - row[i - 1]!).toBeCloseTo(-0.5, 5);
    const png = new PNG({ width: 5, height: 7 });
    png.data.fill(77);
    const c = path.join(dir, 'const.png');
    fs.writeFileSync(c, PNG.sync.write(png));
    for (const v of imageTensor(c, [1, 3, 3, 2], { scale: [1] }).data as Float32Array) expect(v).toBeCloseTo(77, 4);
  });

  it('decodes JPEG with jpeg-js', () => {
    const w = 16, h = 8;
    const data = Buffer.alloc(w * h * 4, 128);
    const file = path.join(dir, 'gray.jpg');
    fs.writeFileSync(file, jpeg.encode({ data, width: w, height: h }, 95).data);
    for (const v of imageTensor(file, [1, 3, 4, 8], {}).data as Float32Array) expect(v).toBeCloseTo(128 / 255, 1);
  });

  it('bad images and shapes are DspcErrors naming the file', () => {
    const corrupt = path.join(dir, 'corrupt.png');
    fs.writeFileSync(corrupt, 'not a png at all');
    expect(() => imageTensor(corrupt, [1, 3, 4, 4])).toThrow(/corrupt\.png: corrupt or unsupported PNG image/);
    expect(() => imageTensor(f, [1, 3, 4, 4], { resize: 'none' })).toThrow(/image is 4x3, the input wants 4x4/);
    expect(() => imageTensor(f, [1, 5, 4, 4])).toThrow(/cannot tell the layout/);
    expect(() => imageTensor(f, [3, 4, 4])).toThrow(/\[1,C,H,W\] or \[1,H,W,C\]/);
    expect(() => imageTensor(f, [1, 3, 4, 4], { mean: [0, 0, 0] , std: [1, 1, 1], layout: 'nhwc' })).toThrow(/4 channels/);
  });

  it('readInputFiles mixes .pb tensors and images by position', () => {
    const pb = path.join(MODELS, 'zoo/tiny_cnn/test_data_set_0/input_0.pb');
    const [a, b] = readInputFiles([pb, f], [{ name: 'x', shape: [1, 3, 8, 8] }, { name: 'y', shape: [1, 3, 6, 6] }]);
    expect(a!.tensor.dims.length).toBeGreaterThan(0);
    expect(b).toMatchObject({ name: 'y', tensor: { dims: [1, 3, 6, 6] } });
  });
});

describe('images as calibration samples and CLI inputs', () => {
  const images = path.join(MODELS, 'real/images');

  it('a --calib directory of PNGs gives one sample per image, in sorted order', () => {
    const g = loadModel(zoo('tiny_cnn'));
    const c = loadCalibrationDir(images, g, 'mean=0.485,0.456,0.406,std=0.229,0.224,0.225');
    expect(c.info.files).toEqual(['astronaut.png', 'chelsea.png', 'coffee.png', 'page.png', 'text.png']);
    expect(c.samples[0]!.get(g.inputs[0]!.name)!.dims).toEqual(g.inputs[0]!.shape);
  });

  it('compile --calib DIR --preprocess calibrates on images; run takes an image input', () => {
    const r = json<{ report?: unknown }>(dspc(['compile', zoo('tiny_cnn'), '--calib', images, '--preprocess', 'layout=nchw,mean=0.485,0.456,0.406,std=0.229,0.224,0.225', '--calib-method', 'percentile', '--json']));
    expect(JSON.stringify(r)).toContain('"source":"files"');
    expect(JSON.stringify(r)).toContain('"method":"percentile"');
    const run = json<{ outputs: { shape: number[] }[] }>(dspc(['run', zoo('tiny_cnn'), '--input', path.join(images, 'coffee.png'), '--preprocess', 'scale=0.0039215686', '--json']));
    expect(run.outputs[0]!.shape.length).toBeGreaterThan(0);
  });

  it('bad specs and bad images: one line, exit 2', () => {
    expect(expectOneLineError(dspc(['run', zoo('tiny_cnn'), '--input', path.join(images, 'coffee.png'), '--preprocess', 'layout=sideways']))).toMatch(/layout must be one of/);
    expect(expectOneLineError(dspc(['compile', zoo('tiny_cnn'), '--json', '--calib', images, '--preprocess', 'mean=1,2']))).toMatch(/mean takes 1 or 3 numbers/);
    expect(expectOneLineError(dspc(['run', zoo('tiny_cnn'), '--input', path.join(images, 'LICENSE-NOTE.txt')]))).toMatch(/LICENSE-NOTE/);
  });
});
