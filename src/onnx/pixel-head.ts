/**
 * A preprocessing head built into the ONNX graph: the model takes raw uint8 pixels and does the
 * resize and normalisation itself.
 *
 * Why: on a 2-core machine, resizing a 28x28 image to 224x224 and normalising it in JavaScript costs
 * about 0.5 ms per image on the main thread. That thread then competes with the two inference
 * threads, and a parallel inference step is only as fast as its slowest thread: end-to-end speed
 * fell to 0.6 of inference alone. Inside the graph the same arithmetic runs on the inference
 * threads' vectorised kernels, and a batch crosses to the worker as 784 bytes per image instead of
 * 600 KB of floats.
 *
 * The head computes exactly what `writeArrayImageToTensor` computes (images/array.ts):
 * bilinear resizing with half-pixel centres as two matrix products with the same tap weights
 * (rows of `Ry` and columns of `Rx` hold the two taps of each output pixel), then
 * `(x/255 - mean)/std` per channel. A one-channel source broadcasts to three channels in the
 * normalisation step, as a grayscale image is replicated to RGB.
 */
import { decodeOnnxModel, floatInitializer, modelProtoType, OnnxAttrType, OnnxDataType } from './proto';
import { resizeTaps } from '../images/array';
import { NeardupError } from '../errors';

/** What the raw pixels look like and what the model expects. */
export interface PixelHeadSpec {
  /** Source channels: 1 (grayscale) or 3 (RGB). */
  channels: number;
  /** Source image height and width in pixels. */
  height: number;
  width: number;
  /** Source byte order: `planar` is C×H×W (CIFAR), `interleaved` is H×W×C (IDX, decoded files). */
  layout: 'planar' | 'interleaved';
  /** Model input side in pixels. */
  size: number;
  mean: readonly number[];
  std: readonly number[];
  /** The model's own image layout. */
  modelLayout: 'NCHW' | 'NHWC';
}

/** Name of the new uint8 graph input. */
export const PIXEL_INPUT = 'neardup_pixels';

/** The uint8 input's shape for `count` images. */
export function pixelInputDims(spec: PixelHeadSpec, count: number): number[] {
  return spec.layout === 'planar' ? [count, spec.channels, spec.height, spec.width] : [count, spec.height, spec.width, spec.channels];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped plain objects */

/** [from, to] matrix M with (x · M)[o] = the bilinear resize of row x at output o. */
function resizeMatrix(from: number, to: number): Float32Array {
  const t = resizeTaps(from, to);
  const m = new Float32Array(from * to);
  for (let o = 0; o < to; o++) {
    m[t.i0[o] * to + o] += 1 - t.w[o];
    m[t.i1[o] * to + o] += t.w[o];
  }
  return m;
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

/**
 * Returns the model bytes with a new uint8 input {@link PIXEL_INPUT} that replaces the image input
 * `input`: Cast → (Transpose) → MatMul by the column taps → MatMul by the row taps → Mul/Add
 * normalisation → (Transpose to NHWC) → the original network. Every original node is kept.
 */
export function addPixelHeadToBuffer(modelBytes: Uint8Array, input: string, spec: PixelHeadSpec, label = 'model'): Uint8Array {
  const { channels, height, width, size } = spec;
  if (channels !== 1 && channels !== 3) throw new NeardupError(`${label}: raw pixels with ${channels} channels; the pixel head takes 1 or 3`);
  for (const [k, v] of [['height', height], ['width', width], ['size', size]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NeardupError(`${label}: pixel head ${k} ${v} is not a positive integer`);
  }
  const model = decodeOnnxModel(modelBytes, label);
  const g = model.graph;
  const idx = (g.input ?? []).findIndex((v: any) => v.name === input);
  if (idx < 0) throw new NeardupError(`${label} has no graph input "${input}"`);
  if (g.input.some((v: any) => v.name === PIXEL_INPUT)) throw new NeardupError(`${label} already has a pixel head`);

  const nodes: any[] = [];
  const inits: any[] = [];
  let x = `${PIXEL_INPUT}_f`;
  nodes.push({ op_type: 'Cast', name: `${PIXEL_INPUT}_cast`, input: [PIXEL_INPUT], output: [x], attribute: [{ name: 'to', type: OnnxAttrType.INT, i: OnnxDataType.FLOAT }] });
  const step = (op: string, inputs: string[], attribute: any[] = []) => {
    const out = `${PIXEL_INPUT}_${op.toLowerCase()}${nodes.length}`;
    nodes.push({ op_type: op, name: out, input: inputs, output: [out], attribute });
    x = out;
  };
  if (spec.layout === 'interleaved') step('Transpose', [x], [{ name: 'perm', type: OnnxAttrType.INTS, ints: [0, 3, 1, 2] }]);
  // Normalise first, at the source size: bilinear weights sum to 1, so resizing the normalised
  // image equals normalising the resized one, and the full-size tensor is written only once.
  const scale = [0, 1, 2].map((c) => 1 / (255 * spec.std[c]));
  const bias = [0, 1, 2].map((c) => -spec.mean[c] / spec.std[c]);
  inits.push(floatInitializer(`${PIXEL_INPUT}_scale`, [1, 3, 1, 1], scale), floatInitializer(`${PIXEL_INPUT}_bias`, [1, 3, 1, 1], bias));
  step('Mul', [x, `${PIXEL_INPUT}_scale`]); // a 1-channel image broadcasts to 3 channels here
  step('Add', [x, `${PIXEL_INPUT}_bias`]);
  if (width !== size) {
    inits.push(floatInitializer(`${PIXEL_INPUT}_rx`, [width, size], resizeMatrix(width, size)));
    step('MatMul', [x, `${PIXEL_INPUT}_rx`]); // [N,3,H,W]·[W,S] → [N,3,H,S]
  }
  if (height !== size) {
    inits.push(floatInitializer(`${PIXEL_INPUT}_ry`, [size, height], transpose(resizeMatrix(height, size), height, size)));
    step('MatMul', [`${PIXEL_INPUT}_ry`, x]); // [S,H]·[N,3,H,S] → [N,3,S,S]
  }
  if (spec.modelLayout === 'NHWC') step('Transpose', [x], [{ name: 'perm', type: OnnxAttrType.INTS, ints: [0, 2, 3, 1] }]);
  // The last step writes the original image input, so the network itself is untouched.
  nodes[nodes.length - 1].output = [input];

  const dims = pixelInputDims(spec, 1).map((d, i) => (i === 0 ? { dim_param: 'batch_size' } : { dim_value: d }));
  g.input.splice(idx, 1, { name: PIXEL_INPUT, type: { tensor_type: { elem_type: OnnxDataType.UINT8, shape: { dim: dims } } } });
  g.node = [...nodes, ...g.node];
  g.initializer = [...(g.initializer ?? []), ...inits];
  return modelProtoType().encode(model).finish();
}
