// ONNX model surgery: schema round trip, the bundled model, a synthetic CNN at opsets 12 and 18.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import * as ort from 'onnxruntime-node';
import { modelProtoType } from '../../src/onnx/proto';
import { addEmbeddingOutput, addEmbeddingOutputToBuffer } from '../../src/onnx/surgery';
import { NeardupError } from '../../src/errors';

const MODELS = resolve(__dirname, '../../models');
const ORIGINAL = join(MODELS, 'mobilenetv2-12-int8.onnx');

test('our ONNX schema round-trips the zoo model byte for byte (no field dropped)', () => {
  const bytes = readFileSync(ORIGINAL);
  const T = modelProtoType();
  const again = T.encode(T.decode(bytes)).finish();
  assert.equal(Buffer.compare(Buffer.from(again), bytes), 0);
});

test('the committed default model is exactly what add-embedding produces, and runs at 224 and 128 px', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-surgery-'));
  const out = join(dir, 'embed.onnx');
  const res = addEmbeddingOutput(ORIGINAL, { tensor: '627' }, out);
  assert.deepEqual(res.outputs, ['output', 'embedding']);
  assert.equal(Buffer.compare(readFileSync(out), readFileSync(join(MODELS, 'mobilenetv2-12-int8-embed.onnx'))), 0);

  const orig = await ort.InferenceSession.create(ORIGINAL);
  const cut = await ort.InferenceSession.create(out);
  // A smooth deterministic pattern rather than noise, so the logits mean something.
  const x224 = new Float32Array(2 * 3 * 224 * 224).map((_, i) => Math.sin(i / 997) * 1.5);
  const t224 = new ort.Tensor('float32', x224, [2, 3, 224, 224]);
  const a = await orig.run({ input: t224 });
  const b = await cut.run({ input: t224 });
  assert.deepEqual(Array.from(b.output.data as Float32Array), Array.from(a.output.data as Float32Array), 'logits unchanged');
  assert.deepEqual(b.embedding.dims, [2, 1280]);
  const e = b.embedding.data as Float32Array;
  assert.ok(e.every((v) => v >= 0 && v <= 6), 'mean of ReLU6 activations lies in [0, 6]');
  assert.ok(new Set(e).size > 100, 'embedding is not constant');
  const small = await cut.run({ input: new ort.Tensor('float32', new Float32Array(2 * 3 * 128 * 128), [2, 3, 128, 128]) });
  assert.deepEqual(small.embedding.dims, [2, 1280]);
  await assert.rejects(orig.run({ input: new ort.Tensor('float32', new Float32Array(3 * 128 * 128), [1, 3, 128, 128]) }), 'the original model is fixed at 224');
});

/** A tiny CNN-like model: y = Relu(x), x float [N,3,8,8], at the given opset. */
function tinyModel(opset: number): Uint8Array {
  const dims = (...d: Array<number | string>) => ({ dim: d.map((v) => (typeof v === 'string' ? { dim_param: v } : { dim_value: v })) });
  return modelProtoType().encode({
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'neardup-test',
    graph: {
      name: 'tiny',
      node: [{ input: ['x'], output: ['y'], name: 'relu', op_type: 'Relu' }],
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: dims('N', 3, 8, 8) } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: dims('N', 3, 8, 8) } } }],
    },
  }).finish();
}

for (const opset of [12, 18]) {
  test(`works on another model (opset ${opset}: axes as ${opset >= 18 ? 'an input' : 'an attribute'}): embedding = spatial mean, any input size`, async () => {
    const bytes = addEmbeddingOutputToBuffer(tinyModel(opset), { tensor: 'y', outName: 'feat' });
    const s = await ort.InferenceSession.create(bytes);
    assert.deepEqual(s.outputNames, ['y', 'feat']);
    for (const side of [8, 13]) {
      const x = new Float32Array(2 * 3 * side * side).map((_, i) => ((i * 37) % 11) - 5);
      const r = await s.run({ x: new ort.Tensor('float32', x, [2, 3, side, side]) }, ['feat']);
      assert.deepEqual(r.feat.dims, [2, 3]);
      for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let p = 0; p < side * side; p++) sum += Math.max(0, x[(n * 3 + c) * side * side + p]);
        assert.ok(Math.abs((r.feat.data as Float32Array)[n * 3 + c] - sum / (side * side)) < 1e-5);
      }
    }
  });
}

test('surgery errors name the tensor or file', () => {
  assert.throws(() => addEmbeddingOutputToBuffer(tinyModel(12), { tensor: 'nope' }), (e: Error) => e instanceof NeardupError && /--tensor nope: no tensor of that name/.test(e.message));
  assert.throws(() => addEmbeddingOutputToBuffer(tinyModel(12), { tensor: 'y', outName: 'x' }), /already has a tensor of that name/);
  const dir = mkdtempSync(join(tmpdir(), 'neardup-surgery-'));
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, 'definitely not protobuf');
  assert.throws(() => addEmbeddingOutput(junk, { tensor: '627' }, join(dir, 'o.onnx')), /junk\.onnx/);
  assert.throws(() => addEmbeddingOutput(join(dir, 'missing.onnx'), { tensor: '627' }, join(dir, 'o.onnx')), /cannot read model file .*missing\.onnx/);
});
