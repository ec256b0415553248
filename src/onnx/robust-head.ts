/**
 * A more robust embedding head, built into the ONNX graph so the embedding pipeline needs no change:
 *
 * - **GeM pooling** (generalised mean, p = 3) instead of the plain spatial mean: `(mean(x^p))^(1/p)`
 *   over the feature map. It weights the strongest activations more, which keeps a copy close to its
 *   original under blur, grayscale and tiny sizes (measured in docs/quality.md). Same cost as the mean.
 * - **Mirror views** (optional): the graph embeds the batch and its left↔right mirror in one run and
 *   averages the two L2-normalised vectors, so a photo and its mirrored copy get the same embedding.
 *   This doubles the network's work per image.
 *
 * Works on any NCHW ONNX CNN whose named tensor is a float [N, C, H, W] feature map (opset ≥ 11).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeOnnxModel, modelProtoType, OnnxAttrType, OnnxDataType } from './proto';
import { writeFileAtomicSync } from '../frame/atomic';
import { NeardupError } from '../errors';

export interface RobustEmbeddingOptions {
  /** 4-D feature-map tensor to pool (bundled MobileNetV2: `627`). */
  tensor: string;
  /** GeM exponent; 1 is the plain mean. Default 3. */
  p?: number;
  /** Also embed the mirrored image and average. Default false. */
  flip?: boolean;
  /** Name of the new output. Default `embedding`. */
  outName?: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped plain objects */

function int64s(values: number[]): Buffer {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), 8 * i));
  return b;
}
function float32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return b;
}

/**
 * Adds output `outName` = GeM-pooled (optionally mirror-averaged) embedding of `tensor` to the model
 * bytes, frees the input's height and width, and returns the new model bytes.
 */
export function addRobustEmbeddingToBuffer(modelBytes: Uint8Array, opts: RobustEmbeddingOptions, label = 'model'): Uint8Array {
  const T = modelProtoType();
  const model = decodeOnnxModel(modelBytes, label);
  const g = model.graph;
  const p = opts.p ?? 3;
  if (!(p >= 1 && p <= 16)) throw new NeardupError(`GeM exponent p must be from 1 to 16 (got ${p})`);
  const out = opts.outName ?? 'embedding';
  const produced = new Set<string>(g.node.flatMap((n: any) => n.output));
  if (!produced.has(opts.tensor)) throw new NeardupError(`--tensor ${opts.tensor}: no node of ${label} produces a tensor of that name`);
  if (produced.has(out) || g.output.some((o: any) => o.name === out)) throw new NeardupError(`${label} already has a tensor named ${out}`);
  const opset = Number((model.opset_import ?? []).find((o: any) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1);
  if (opset < 11) throw new NeardupError(`${label} uses ONNX opset ${opset}; the robust head needs opset 11 or later`);

  const inits = new Set((g.initializer ?? []).map((t: any) => t.name));
  const input = g.input.find((v: any) => !inits.has(v.name));
  if (!input) throw new NeardupError(`${label} has no image input`);
  const dims = input.type?.tensor_type?.shape?.dim;
  if (!dims || dims.length !== 4) throw new NeardupError(`input ${input.name} of ${label} is not a 4-D NCHW image tensor`);

  const pre = `${out}_robust`;
  const nodes: any[] = [];
  const init = (name: string, dimsOf: number[], type: number, raw: Buffer) => g.initializer.push({ name: `${pre}_${name}`, dims: dimsOf, data_type: type, raw_data: raw });
  const node = (op: string, inputs: string[], outputs: string[], attribute: any[] = []) =>
    nodes.push({ op_type: op, input: inputs, output: outputs, name: `${pre}_${op}_${nodes.length}`, attribute });
  const reduceMean = (x: string, axes: number[], y: string) => {
    if (opset >= 18) {
      init(`axes${nodes.length}`, [axes.length], OnnxDataType.INT64, int64s(axes));
      node('ReduceMean', [x, `${pre}_axes${nodes.length}`], [y], [{ name: 'keepdims', type: OnnxAttrType.INT, i: 0 }]);
    } else {
      node('ReduceMean', [x], [y], [
        { name: 'axes', type: OnnxAttrType.INTS, ints: axes },
        { name: 'keepdims', type: OnnxAttrType.INT, i: 0 },
      ]);
    }
  };

  // Mirror views: the network sees concat([x, reverse_W(x)]) on the batch axis.
  if (opts.flip) {
    const views = `${pre}_views`;
    for (const n of g.node) n.input = n.input.map((name: string) => (name === input.name ? views : name));
    init('flip_starts', [1], OnnxDataType.INT64, int64s([-1]));
    init('flip_ends', [1], OnnxDataType.INT64, int64s([-(2 ** 53)]));
    init('flip_axes', [1], OnnxDataType.INT64, int64s([3]));
    init('flip_steps', [1], OnnxDataType.INT64, int64s([-1]));
    node('Slice', [input.name, `${pre}_flip_starts`, `${pre}_flip_ends`, `${pre}_flip_axes`, `${pre}_flip_steps`], [`${pre}_mirrored`]);
    node('Concat', [input.name, `${pre}_mirrored`], [views], [{ name: 'axis', type: OnnxAttrType.INT, i: 0 }]);
  }

  // GeM: (mean(max(x, eps)^p))^(1/p) over H, W.
  init('eps', [], OnnxDataType.FLOAT, float32(1e-6));
  init('p', [], OnnxDataType.FLOAT, float32(p));
  init('inv_p', [], OnnxDataType.FLOAT, float32(1 / p));
  node('Max', [opts.tensor, `${pre}_eps`], [`${pre}_clamped`]);
  node('Pow', [`${pre}_clamped`, `${pre}_p`], [`${pre}_pow`]);
  reduceMean(`${pre}_pow`, [2, 3], `${pre}_mean`);
  const gem = opts.flip ? `${pre}_gem` : out;
  node('Pow', [`${pre}_mean`, `${pre}_inv_p`], [gem]);

  if (opts.flip) {
    // [2N, C] → normalise rows → [2, N, C] → mean over the two views → [N, C].
    node('LpNormalization', [gem], [`${pre}_unit`], [
      { name: 'axis', type: OnnxAttrType.INT, i: 1 },
      { name: 'p', type: OnnxAttrType.INT, i: 2 },
    ]);
    init('two_minus1', [2], OnnxDataType.INT64, int64s([2, -1]));
    init('one', [1], OnnxDataType.INT64, int64s([1]));
    init('two', [1], OnnxDataType.INT64, int64s([2]));
    init('zero', [1], OnnxDataType.INT64, int64s([0]));
    node('Shape', [`${pre}_unit`], [`${pre}_shape`]);
    node('Slice', [`${pre}_shape`, `${pre}_one`, `${pre}_two`, `${pre}_zero`], [`${pre}_c`]);
    node('Concat', [`${pre}_two_minus1`, `${pre}_c`], [`${pre}_shape3`], [{ name: 'axis', type: OnnxAttrType.INT, i: 0 }]);
    node('Reshape', [`${pre}_unit`, `${pre}_shape3`], [`${pre}_pairs`]);
    reduceMean(`${pre}_pairs`, [0], out);
  }

  g.node.push(...nodes);
  g.output.push({ name: out, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: 'batch_size' }, { dim_param: `${out}_dim` }] } } } });
  // Free H and W so smaller inputs run; drop recorded intermediate shapes that would contradict them.
  dims[2] = { dim_param: 'height' };
  dims[3] = { dim_param: 'width' };
  for (const v of [...(g.value_info ?? []), ...g.output]) {
    const s = v.type?.tensor_type?.shape;
    if (s && s.dim && s.dim.length >= 3) delete v.type.tensor_type.shape;
  }
  if (opts.flip) {
    // Other outputs (class logits) now carry 2N rows: originals first, then the mirrors.
    for (const v of g.output) if (v.name !== out) delete v.type?.tensor_type?.shape;
  }
  model.metadata_props = (model.metadata_props ?? []).filter((m: any) => !String(m.key).startsWith('neardup.'));
  model.metadata_props.push(
    { key: 'neardup.embedding_output', value: out },
    { key: 'neardup.embedding_source', value: opts.tensor },
    { key: 'neardup.embedding_pooling', value: `gem p=${p}${opts.flip ? ', mirror-averaged' : ''}` },
  );
  return T.encode(model).finish();
}

/** File form of {@link addRobustEmbeddingToBuffer}; writes `outPath` atomically and returns its sha256. */
export function addRobustEmbedding(inPath: string, opts: RobustEmbeddingOptions, outPath: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(inPath);
  } catch (err) {
    throw new NeardupError(`cannot read model file ${inPath}: ${(err as Error).message}`);
  }
  const result = addRobustEmbeddingToBuffer(bytes, opts, inPath);
  writeFileAtomicSync(outPath, result);
  return createHash('sha256').update(result).digest('hex');
}
