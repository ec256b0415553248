// The quality options on real photos (UKBench fixtures): the in-graph mirror views make a flipped
// copy embed exactly like its original, GeM pooling keeps copies closer than mean pooling, and the
// pixel-level view helpers agree with the in-graph ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { addRobustEmbeddingToBuffer } from '../../src/onnx/robust-head';
import { addEmbeddingOutputToBuffer } from '../../src/onnx/surgery';
import { averageViews, flipRgb, grayRgb, makeViews } from '../../bench/lib/views';
import { decodeImageFile } from '../../src/images/decode';
import { IMAGENET_MEAN, IMAGENET_STD, normalisationTables, writeRgbToTensor } from '../../src/images/preprocess';

const FIX = resolve(__dirname, '../fixtures/imagededup');
const MODEL = resolve(__dirname, '../../models/mobilenetv2-12-int8.onnx');
const FILES = [
  'mixed_images/ukbench00120.jpg',
  'mixed_images/ukbench00120_hflip.jpg',
  'mixed_images/ukbench00120_resize.jpg',
  'mixed_images/ukbench00120_rotation.jpg',
  'base_images/ukbench01380.jpg',
  'base_images/ukbench09012.jpg',
  'base_images/ukbench09380.jpg',
].map((f) => resolve(FIX, f));

async function batch(size = 224): Promise<{ tensor: Float32Array; rgbs: Uint8Array[] }> {
  const tables = normalisationTables(IMAGENET_MEAN, IMAGENET_STD);
  const tensor = new Float32Array(FILES.length * 3 * size * size);
  const rgbs: Uint8Array[] = [];
  for (let i = 0; i < FILES.length; i++) {
    const d = await decodeImageFile(FILES[i], { size });
    assert.ok(d.ok, FILES[i]);
    rgbs.push(d.rgb);
    writeRgbToTensor(d.rgb, size, tensor, i, tables, 'NCHW');
  }
  return { tensor, rgbs };
}

async function embed(model: Uint8Array, tensor: Float32Array, n: number, size = 224): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
  try {
    const out = await s.run({ input: new ort.Tensor('float32', tensor, [n, 3, size, size]) }, ['embedding']);
    const v = Float32Array.from(out.embedding.data as Float32Array);
    assert.deepEqual(out.embedding.dims.map(Number), [n, 1280]);
    return averageViews(v, n, 1, 1280); // L2-normalise rows
  } finally {
    await s.release();
  }
}
const cos = (v: Float32Array, i: number, j: number) => {
  let s = 0;
  for (let d = 0; d < 1280; d++) s += v[i * 1280 + d] * v[j * 1280 + d];
  return s;
};

test('mirror views: the flipped copy of ukbench00120 gets (nearly) the same embedding as the original', async () => {
  const base = readFileSync(MODEL);
  const { tensor } = await batch();
  const plain = await embed(addRobustEmbeddingToBuffer(base, { tensor: '627' }), tensor, FILES.length);
  const flip = await embed(addRobustEmbeddingToBuffer(base, { tensor: '627', flip: true }), tensor, FILES.length);
  const before = cos(plain, 0, 1);
  const after = cos(flip, 0, 1);
  console.log(`cos(original, hflip copy): GeM ${before.toFixed(4)}, GeM + mirror views ${after.toFixed(4)}`);
  assert.ok(after > before, `${after} <= ${before}`);
  assert.ok(after > 0.985, `${after}`);
  // Unrelated photos stay well below the default threshold with the views on.
  for (let j = 4; j < FILES.length; j++) assert.ok(cos(flip, 0, j) < 0.8, `unrelated ${j}: ${cos(flip, 0, j)}`);
});

test('GeM pooling keeps every copy of ukbench00120 closer than mean pooling does', async () => {
  const base = readFileSync(MODEL);
  const { tensor } = await batch();
  const gem = await embed(addRobustEmbeddingToBuffer(base, { tensor: '627' }), tensor, FILES.length);
  const mean = await embed(addEmbeddingOutputToBuffer(base, { tensor: '627' }), tensor, FILES.length);
  for (const c of [1, 2, 3]) assert.ok(cos(gem, 0, c) > cos(mean, 0, c), `copy ${c}: gem ${cos(gem, 0, c)} mean ${cos(mean, 0, c)}`);
  // p = 1 is exactly the mean.
  const p1 = await embed(addRobustEmbeddingToBuffer(base, { tensor: '627', p: 1 }), tensor, FILES.length);
  for (let i = 0; i < FILES.length; i++) assert.ok(cos(p1, i, i) > 0.9999 && Math.abs(cos(p1, 0, i) - cos(mean, 0, i)) < 1e-4);
});

test('pixel views: flip is an involution, gray is flip-invariant, makeViews is closed under mirroring', async () => {
  const { rgbs } = await batch(64);
  const img = Uint8Array.from(rgbs[0]);
  assert.deepEqual(flipRgb(flipRgb(img, 64, 64), 64, 64), img);
  assert.deepEqual(grayRgb(flipRgb(img, 64, 64)), flipRgb(grayRgb(img), 64, 64));
  const views = makeViews(img, 64, ['flip', 'gray']);
  const mirrored = makeViews(flipRgb(img, 64, 64), 64, ['flip', 'gray']);
  assert.equal(views.length, 4);
  const key = (vs: Uint8Array[]) => vs.map((v) => Buffer.from(v).toString('base64')).sort();
  assert.deepEqual(key(views), key(mirrored));
});
