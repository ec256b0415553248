// The dequantized model (float activations, same weights) and the dataset-aware embedding defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { DataFrame } from 'danfojs-node';
import { EmbeddingModel, embedDataset, dequantizeModel } from '../../src/embed';
import { decodeImageFile } from '../../src/images/decode';
import { rgbToTensor } from '../../src/images/preprocess';
import { modelProtoType } from '../../src/onnx/proto';
import { loadDataset } from '../../src/datasets';
import { scan } from '../../src/pipeline';
import { NeardupError } from '../../src/errors';
import type { Dataset } from '../../src/types';

const FIX = resolve(__dirname, '../fixtures/imagededup');

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function unit(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v));
  return v.map((x) => x / n);
}

test('the dequantized model is the same network: same top class, embeddings close to int8, smooth in its input', async () => {
  const [int8, float] = [await EmbeddingModel.load(), await EmbeddingModel.load({ dequantize: true })];
  try {
    assert.match(float.id, /\(dequantized\)$/);
    assert.match(float.preprocessing, / dequantized$/);
    assert.notEqual(float.preprocessing, int8.preprocessing, 'separate caches');
    const img = await decodeImageFile(join(FIX, 'base_images/ukbench09012.jpg'), { size: 224 });
    assert.ok(img.ok);
    const x = rgbToTensor(img.rgb, 224, float.config);
    const [top] = await float.classify(x.slice(), 1, 3);
    console.log(`dequantized: ukbench09012.jpg top-3: ${top.map((c) => `${c.label} ${(100 * c.probability).toFixed(1)}%`).join('; ')}`);
    assert.equal(top[0].label, 'acoustic guitar');
    const ef = unit((await float.embedBatch(x.slice(), 1)).data);
    const eq = unit((await int8.embedBatch(x.slice(), 1)).data);
    const across = dot(ef, eq);
    // One grey level on one pixel: float activations move the vector by a rounding error.
    const nudged = x.slice();
    nudged[224 * 112 + 112] += 1 / (255 * 0.229);
    const ef2 = unit((await float.embedBatch(nudged, 1)).data);
    console.log(`int8 vs dequantized embedding of the same photo: cosine ${across.toFixed(4)}; dequantized, one pixel +1 grey level: ${dot(ef, ef2).toFixed(7)}`);
    assert.ok(across > 0.9, `int8 and dequantized disagree: ${across}`);
    assert.ok(dot(ef, ef2) > 0.99999, `one grey level moved the float embedding to ${dot(ef, ef2)}`);
  } finally {
    await int8.release();
    await float.release();
  }
});

test('dequantize refuses a quantized op it cannot convert, naming it', () => {
  const bytes = modelProtoType().encode({
    ir_version: 8,
    opset_import: [{ domain: '', version: 12 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'q',
      node: [{ input: ['x', 's', 'z', 's', 'z'], output: ['y'], name: 'odd', op_type: 'QLinearSigmoid', domain: 'com.microsoft' }],
      input: [{ name: 'x', type: { tensor_type: { elem_type: 2 } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 2 } } }],
    },
  }).finish();
  assert.throws(() => dequantizeModel(bytes, 'odd.onnx'), (e: Error) => e instanceof NeardupError && /odd\.onnx: cannot dequantize com\.microsoft\.QLinearSigmoid \(node odd\)/.test(e.message));
});

test('dataset-aware defaults: tiny grayscale arrays get the dequantized model at 128 px and 0.98; photos and an explicit model keep int8 at 224', async () => {
  const sample = await loadDataset('sample', { limit: 64 });
  const ds: Dataset = { name: 'sample64', df: new DataFrame({ id: sample.df.column('id').values as string[] }), pixels: sample.pixels };
  const settings = async (opts: Parameters<typeof embedDataset>[1]) => (await embedDataset(ds, { cacheDir: false, ...opts })).settings;
  assert.deepEqual(await settings({}), { size: 128, dequantized: true });
  assert.deepEqual(await settings({ size: 224 }), { size: 224, dequantized: true });
  assert.deepEqual(await settings({ model: { dequantize: false } }), { size: 224, dequantized: false });
  const photos: Dataset = { name: 'photos', df: new DataFrame({ id: ['a', 'b'] }), pixels: { kind: 'files', paths: ['ukbench09012.jpg', 'ukbench00120.jpg'].map((f) => join(FIX, 'base_images', f)) } };
  assert.deepEqual((await embedDataset(photos, { cacheDir: false })).settings, { size: 224, dequantized: false });

  const byDefault = await scan(sample, { cacheDir: false });
  assert.equal(byDefault.threshold, 0.98);
  assert.match(byDefault.summary.model, /dequantized/);
  const int8 = await scan(sample, { cacheDir: false, model: { dequantize: false } });
  assert.equal(int8.threshold, 0.97);
  assert.doesNotMatch(int8.summary.model, /dequantized/);
});
