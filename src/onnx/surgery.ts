/**
 * ONNX model surgery: expose a pooled embedding from a CNN that only outputs class logits.
 *
 * Classification models compute their feature map (e.g. MobileNetV2's [N,1280,7,7] tensor `627`)
 * but only return the logits. `addEmbeddingOutput` appends a ReduceMean over the spatial axes of a
 * named 4-D tensor and declares its result a new graph output, keeping every existing node and
 * output. It can also free the input's height/width (symbolic `dim_param`s) so the same model runs
 * at 96–160 px for speed: convolutional layers and global pooling accept any size.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeOnnxModel, modelProtoType, OnnxAttrType, OnnxDataType } from './proto';
import { writeFileAtomicSync } from '../frame/atomic';
import { NeardupError } from '../errors';

export interface AddEmbeddingOptions {
  /** Name of the 4-D feature-map tensor to pool (for the bundled MobileNetV2: `627`). */
  tensor: string;
  /** Name of the new graph output. Default `embedding`. */
  outName?: string;
  /** Replace the input's fixed height and width with symbolic dims. Default true. */
  freeInputSize?: boolean;
  /** Layout of the pooled tensor and the image input. Default `NCHW` (pool axes 2,3). */
  layout?: 'NCHW' | 'NHWC';
  /** Image input to free; default: the first graph input that is not an initializer. */
  input?: string;
}

export interface SurgeryResult {
  /** Graph inputs and outputs of the written model. */
  inputs: string[];
  outputs: string[];
  /** sha256 of the written file. */
  sha256: string;
  bytes: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped plain objects */

/** Opset version of the default ONNX domain ('' or 'ai.onnx'), which decides the ReduceMean form. */
function defaultOpset(model: any): number {
  for (const op of model.opset_import ?? []) {
    if (!op.domain || op.domain === 'ai.onnx') return Number(op.version);
  }
  return 1;
}

function tensorNames(graph: any): Set<string> {
  const names = new Set<string>();
  for (const v of graph.input ?? []) names.add(v.name);
  for (const t of graph.initializer ?? []) names.add(t.name);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) names.add(o);
  return names;
}

/**
 * Adds `outName = ReduceMean(tensor, spatial axes, keepdims=0)` as a new output of the model at
 * `inPath` and writes the result atomically to `outPath`. Works on any ONNX model whose named
 * tensor is a float 4-D feature map; all other nodes and outputs are kept unchanged.
 * Throws NeardupError naming the tensor/file when the input does not fit.
 */
export function addEmbeddingOutput(inPath: string, opts: AddEmbeddingOptions, outPath: string): SurgeryResult {
  const bytes = addEmbeddingOutputToBuffer(readModelFile(inPath), opts, inPath);
  writeFileAtomicSync(outPath, bytes);
  const model: any = modelProtoType().decode(bytes);
  return {
    inputs: model.graph.input.map((v: any) => v.name),
    outputs: model.graph.output.map((v: any) => v.name),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}

function readModelFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new NeardupError(`cannot read model file ${path}: ${(err as Error).message}`);
  }
}

/** The in-memory form of {@link addEmbeddingOutput}: model bytes in, model bytes out. */
export function addEmbeddingOutputToBuffer(modelBytes: Uint8Array, opts: AddEmbeddingOptions, label = 'model'): Uint8Array {
  const T = modelProtoType();
  const model = decodeOnnxModel(modelBytes, label);
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0) throw new NeardupError(`${label} has no graph nodes; is it an ONNX model?`);
  const outName = opts.outName ?? 'embedding';
  const layout = opts.layout ?? 'NCHW';
  const names = tensorNames(graph);
  if (!opts.tensor) throw new NeardupError('--tensor: a tensor name is required');
  if (!names.has(opts.tensor)) {
    const floats = graph.node.filter((n: any) => n.op_type === 'DequantizeLinear' || n.op_type === 'Relu' || n.op_type === 'Clip').map((n: any) => n.output[0]);
    const hint = floats.length ? ` (candidates near the end: ${floats.slice(-5).join(', ')})` : '';
    throw new NeardupError(`--tensor ${opts.tensor}: no tensor of that name in ${label}${hint}`);
  }
  if (names.has(outName) || graph.output.some((o: any) => o.name === outName)) {
    throw new NeardupError(`--out-name ${outName}: ${label} already has a tensor of that name`);
  }

  const axes = layout === 'NCHW' ? [2, 3] : [1, 2];
  const opset = defaultOpset(model);
  const node: any = { input: [opts.tensor], output: [outName], name: `${outName}_ReduceMean`, op_type: 'ReduceMean', attribute: [] };
  node.attribute.push({ name: 'keepdims', type: OnnxAttrType.INT, i: 0 });
  if (opset >= 18) {
    // Since opset 18 the axes are an input tensor rather than an attribute.
    const axesName = `${outName}_axes`;
    const raw = Buffer.alloc(8 * axes.length);
    axes.forEach((a, i) => raw.writeBigInt64LE(BigInt(a), 8 * i));
    graph.initializer.push({ name: axesName, dims: [axes.length], data_type: OnnxDataType.INT64, raw_data: raw });
    node.input.push(axesName);
  } else {
    node.attribute.push({ name: 'axes', type: OnnxAttrType.INTS, ints: axes });
  }
  graph.node.push(node);
  // Batch dim symbolic, feature dim unknown until run time: declare the rank only.
  graph.output.push({
    name: outName,
    type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: 'batch_size' }, { dim_param: `${outName}_dim` }] } } },
  });

  if (opts.freeInputSize ?? true) freeInputSize(graph, layout, opts.input, label);
  model.metadata_props = (model.metadata_props ?? []).filter((p: any) => !String(p.key).startsWith('neardup.'));
  model.metadata_props.push({ key: 'neardup.embedding_output', value: outName }, { key: 'neardup.embedding_source', value: opts.tensor });
  return T.encode(model).finish();
}

function freeInputSize(graph: any, layout: 'NCHW' | 'NHWC', inputName: string | undefined, label: string): void {
  const inits = new Set((graph.initializer ?? []).map((t: any) => t.name));
  const inputs = graph.input.filter((v: any) => !inits.has(v.name));
  const input = inputName ? inputs.find((v: any) => v.name === inputName) : inputs[0];
  if (!input) throw new NeardupError(`--input ${inputName}: ${label} has no such graph input (inputs: ${inputs.map((v: any) => v.name).join(', ')})`);
  const dims = input.type?.tensor_type?.shape?.dim;
  if (!dims || dims.length !== 4) throw new NeardupError(`input ${input.name} of ${label} is not a 4-D image tensor; use --keep-size`);
  const [h, w] = layout === 'NCHW' ? [2, 3] : [1, 2];
  dims[h] = { dim_param: 'height' };
  dims[w] = { dim_param: 'width' };
  // Recorded intermediate shapes would contradict other input sizes; keep only their element types.
  for (const v of graph.value_info ?? []) {
    const s = v.type?.tensor_type?.shape;
    if (s && s.dim && s.dim.length >= 3) delete v.type.tensor_type.shape;
  }
  for (const v of graph.output ?? []) {
    const s = v.type?.tensor_type?.shape;
    if (s && s.dim && s.dim.length >= 3) delete v.type.tensor_type.shape;
  }
}
