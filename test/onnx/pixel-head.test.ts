// The pixel head: raw uint8 pixels resized and normalised inside the ONNX graph must give the
// model the same input as the JavaScript preprocessing, for every array layout; embedDataset's
// fast path must agree with the JavaScript path on real images and keep its own cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import { modelProtoType } from '../../src/onnx/proto';
import { addPixelHeadToBuffer, PIXEL_INPUT, pixelInputDims, type PixelHeadSpec } from '../../src/onnx/pixel-head';
import { writeArrayImageToTensor } from '../../src/images/array';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/images/preprocess';
import { embedDataset } from '../../src/embed';
import { loadDataset } from '../../src/datasets';
import { NeardupError } from '../../src/errors';
import type { Dataset } from '../../src/types';

/** x float [N,3,h,w] (or [N,h,w,3]) → y = Identity(x): shows exactly what the network would be fed. */
function identityModel(layout: 'NCHW' | 'NHWC'): Uint8Array {
  const dims = layout === 'NCHW' ? ['N', 3, 'h', 'w'] : ['N', 'h', 'w', 3];
  const shape = { dim: dims.map((v) => (typeof v === 'string' ? { dim_param: v } : { dim_value: v })) };
  return modelProtoType().encode({
    ir_version: 8,
    opset_import: [{ domain: '', version: 12 }],
    graph: {
      name: 'identity',
      node: [{ input: ['x'], output: ['y'], name: 'id', op_type: 'Identity' }],
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape } } }],
    },
  }).finish();
}

const cases: Array<Omit<PixelHeadSpec, 'mean' | 'std'>> = [
  { channels: 1, height: 28, width: 28, layout: 'interleaved', size: 224, modelLayout: 'NCHW' }, // Fashion-MNIST
  { channels: 3, height: 32, width: 32, layout: 'planar', size: 96, modelLayout: 'NCHW' }, // CIFAR
  { channels: 3, height: 20, width: 30, layout: 'interleaved', size: 64, modelLayout: 'NCHW' }, // not square
  { channels: 3, height: 40, width: 40, layout: 'planar', size: 24, modelLayout: 'NHWC' }, // shrinking, NHWC model
  { channels: 1, height: 16, width: 16, layout: 'planar', size: 16, modelLayout: 'NCHW' }, // no resize at all
];

for (const c of cases) {
  test(`pixel head feeds the network what the JavaScript path computes: ${c.channels}ch ${c.layout} ${c.height}x${c.width} → ${c.size} ${c.modelLayout}`, async () => {
    const spec: PixelHeadSpec = { ...c, mean: IMAGENET_MEAN, std: IMAGENET_STD };
    const n = 3;
    const bytes = c.channels * c.height * c.width;
    const data = new Uint8Array(n * bytes).map((_, i) => (i * 97 + ((i * i) % 13)) % 256);
    const session = await ort.InferenceSession.create(addPixelHeadToBuffer(identityModel(c.modelLayout), 'x', spec));
    assert.deepEqual(session.inputNames, [PIXEL_INPUT]);
    const out = await session.run({ [PIXEL_INPUT]: new ort.Tensor('uint8', data, pixelInputDims(spec, n)) });
    const expected = new Float32Array(n * 3 * c.size * c.size);
    const src = { kind: 'array' as const, width: c.width, height: c.height, channels: c.channels, layout: c.layout, data };
    for (let i = 0; i < n; i++) writeArrayImageToTensor(src, i, c.size, expected, i, spec.mean, spec.std, c.modelLayout);
    const got = out.y.data as Float32Array;
    assert.deepEqual(out.y.dims, c.modelLayout === 'NCHW' ? [n, 3, c.size, c.size] : [n, c.size, c.size, 3]);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  });
}

test('pixel head errors name the model and the problem', () => {
  const spec: PixelHeadSpec = { channels: 2, height: 8, width: 8, layout: 'planar', size: 8, mean: IMAGENET_MEAN, std: IMAGENET_STD, modelLayout: 'NCHW' };
  assert.throws(() => addPixelHeadToBuffer(identityModel('NCHW'), 'x', spec, 'tiny.onnx'), (e: Error) => e instanceof NeardupError && /tiny\.onnx: raw pixels with 2 channels/.test(e.message));
  assert.throws(() => addPixelHeadToBuffer(identityModel('NCHW'), 'nope', { ...spec, channels: 1 }, 'tiny.onnx'), (e: Error) => e instanceof NeardupError && /tiny\.onnx has no graph input "nope"/.test(e.message));
  const once = addPixelHeadToBuffer(identityModel('NCHW'), 'x', { ...spec, channels: 1 });
  assert.throws(() => addPixelHeadToBuffer(once, PIXEL_INPUT, { ...spec, channels: 1 }, 'twice'), /twice already has a pixel head/);
});

test('embedDataset on real Fashion-MNIST images: the in-graph path matches the JavaScript path and keeps its own cache', async () => {
  const sample = await loadDataset('sample', { limit: 96 });
  const ds: Dataset = { name: 'sample96', df: new DataFrame({ id: sample.df.column('id').values as string[] }), pixels: sample.pixels };
  const cacheDir = mkdtempSync(join(tmpdir(), 'neardup-head-'));
  const js = await embedDataset(ds, { cacheDir, pixelHead: false });
  const graph = await embedDataset(ds, { cacheDir, pixelHead: true });
  // Different preprocessing keys: the second run computes rather than reading the first run's vectors.
  assert.deepEqual([js.stats.computed, graph.stats.computed, graph.stats.cached], [96, 96, 0]);
  const again = await embedDataset(ds, { cacheDir });
  assert.deepEqual([again.stats.cached, again.stats.computed], [96, 0], 'the default for arrays is the in-graph path, cached');
  assert.deepEqual(again.vectors, graph.vectors);
  const d = js.dim;
  const cosines: number[] = [];
  for (let i = 0; i < 96; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += js.vectors[i * d + k] * graph.vectors[i * d + k];
    cosines.push(s);
  }
  cosines.sort((a, b) => a - b);
  const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
  console.log(`in-graph vs JavaScript preprocessing, 96 real images: min cosine ${cosines[0].toFixed(4)}, median ${cosines[48].toFixed(4)}, mean ${mean.toFixed(4)}`);
  // Most vectors are identical; the int8 network turns rare one-ulp input differences into small changes.
  assert.ok(cosines[48] > 0.9999, `median cosine ${cosines[48]}`);
  assert.ok(cosines[0] > 0.95, `min cosine ${cosines[0]}`);
});

test('a folder of same-size tiny PNGs embeds through a pixel head like the array it came from; mixed sizes take the JavaScript path', async () => {
  const sample = await loadDataset('sample', { limit: 40 });
  const px = sample.pixels;
  assert.equal(px.kind, 'array');
  if (px.kind !== 'array') return;
  const dir = mkdtempSync(join(tmpdir(), 'neardup-pngs-'));
  for (let i = 0; i < 40; i++) {
    await sharp(Buffer.from(px.data.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(dir, `${String(i).padStart(3, '0')}.png`));
  }
  const settings = { cacheDir: false as const, model: { dequantize: true }, size: 128 };
  const arr = await embedDataset(sample, settings);
  const folder = await loadDataset(dir);
  const viaHead = await embedDataset(folder, settings);
  const viaJs = await embedDataset(folder, { ...settings, pixelHead: false });
  const cosAt = (a: Float32Array, b: Float32Array, i: number) => {
    let s = 0;
    for (let k = 0; k < 1280; k++) s += a[i * 1280 + k] * b[i * 1280 + k];
    return s;
  };
  for (let i = 0; i < 40; i++) {
    assert.ok(cosAt(viaHead.vectors, arr.vectors, i) > 0.9999, `row ${i}: folder through the head vs array ${cosAt(viaHead.vectors, arr.vectors, i)}`);
    assert.ok(cosAt(viaJs.vectors, arr.vectors, i) > 0.9999, `row ${i}: folder in JavaScript vs array ${cosAt(viaJs.vectors, arr.vectors, i)}`);
  }
  // One image of another size: no common side, so every file goes the JavaScript way, and all embed.
  await sharp({ create: { width: 30, height: 30, channels: 3, background: '#808080' } }).png().toFile(join(dir, 'odd.png'));
  const mixed = await embedDataset(await loadDataset(dir), settings);
  assert.equal(mixed.stats.computed, 41);
  assert.ok(mixed.status.every((s) => s === 'ok'));
});
