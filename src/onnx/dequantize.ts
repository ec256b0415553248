/**
 * Turns a QOperator int8 ONNX model (QLinearConv, QLinearAdd, QLinearMatMul,
 * QLinearGlobalAveragePool, QuantizeLinear, DequantizeLinear) into a float model with the same
 * weights: every quantized constant is dequantized exactly (`(q - zero_point) * scale`), every
 * QLinear op becomes its float op, and the op's output range (the uint8/int8 range of its output
 * scale and zero point, which is how the int8 file expresses ReLU and ReLU6) becomes a Clip.
 *
 * Why: int8 activations make the embedding brittle. A one-unit change in a single quantized input
 * value can move an image's vector by a cosine of 0.03, and CPUs with and without VNNI round the
 * int8 kernels differently, so the same images give different similarities on different machines.
 * The float model keeps the int8 model's weights (still 68% ImageNet top-1) but computes the
 * activations in float32: smooth, and the same on every CPU up to float rounding.
 */
import { decodeOnnxModel, floatInitializer, modelProtoType, OnnxDataType } from './proto';
import { NeardupError } from '../errors';

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs messages are untyped plain objects */

const INT32 = 6;

/** The values of an initializer as numbers (raw_data or the typed fields). */
function tensorValues(t: any): number[] {
  const count = (t.dims ?? []).reduce((a: number, d: any) => a * Number(d), 1);
  const raw: Uint8Array | undefined = t.raw_data && t.raw_data.length ? t.raw_data : undefined;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const out: number[] = new Array(count);
  switch (t.data_type) {
    case OnnxDataType.FLOAT:
      for (let i = 0; i < count; i++) out[i] = dv ? dv.getFloat32(4 * i, true) : Number(t.float_data[i]);
      return out;
    case OnnxDataType.UINT8:
      for (let i = 0; i < count; i++) out[i] = dv ? dv.getUint8(i) : Number(t.int32_data[i]);
      return out;
    case OnnxDataType.INT8:
      for (let i = 0; i < count; i++) out[i] = dv ? dv.getInt8(i) : Number(t.int32_data[i]);
      return out;
    case INT32:
      for (let i = 0; i < count; i++) out[i] = dv ? dv.getInt32(4 * i, true) : Number(t.int32_data[i]);
      return out;
    default:
      throw new NeardupError(`initializer ${t.name} has data type ${t.data_type}; dequantize reads float, uint8, int8 and int32`);
  }
}


/**
 * Returns float model bytes computing what the int8 model at `modelBytes` computes, with float
 * activations. Graph inputs, outputs and tensor names are kept, so surgery done on the int8 file
 * (an `embedding` output, a pixel head) carries over. Throws NeardupError naming an op it cannot convert.
 */
export function dequantizeModel(modelBytes: Uint8Array, label = 'model'): Uint8Array {
  const model = decodeOnnxModel(modelBytes, label);
  const g = model.graph;
  const inits = new Map<string, any>((g.initializer ?? []).map((t: any) => [t.name, t]));
  const scalar = (name: string): number => {
    const t = inits.get(name);
    if (!t) throw new NeardupError(`${label}: quantization parameter ${name} is not a constant`);
    const v = tensorValues(t);
    if (v.length !== 1) throw new NeardupError(`${label}: ${name} should be a single value`);
    return v[0];
  };
  const added: any[] = [];
  let seq = 0;
  const constant = (base: string, dims: number[], values: ArrayLike<number>): string => {
    const name = `${base}_dq${seq++}`;
    added.push(floatInitializer(name, dims, values));
    return name;
  };
  /** A quantized input: a constant becomes a dequantized float constant; an activation is already float. */
  const input = (q: string, scale: string, zp: string): string => {
    const t = inits.get(q);
    if (!t) return q;
    const v = tensorValues(t);
    const s = tensorValues(inits.get(scale));
    const z = tensorValues(inits.get(zp));
    const dims = (t.dims ?? []).map(Number);
    // Per-tensor, or per-output-channel along axis 0 (weights [Cout, Cin/g, kh, kw]).
    const per = v.length / (s.length || 1);
    return constant(q, dims, v.map((x, i) => (x - z[s.length === 1 ? 0 : Math.floor(i / per)]) * s[s.length === 1 ? 0 : Math.floor(i / per)]));
  };
  /** Clip to the float range an output scale and zero point can represent. */
  const clipRange = (scale: string, zp: string): [string, string] => {
    const s = scalar(scale);
    const zt = inits.get(zp);
    const z = scalar(zp);
    const [lo, hi] = zt?.data_type === OnnxDataType.INT8 ? [-128, 127] : [0, 255];
    return [constant(`${scale}_min`, [], [(lo - z) * s]), constant(`${scale}_max`, [], [(hi - z) * s])];
  };

  const nodes: any[] = [];
  const emit = (op: string, inputs: string[], output: string, attribute: any[] = [], name?: string) =>
    nodes.push({ op_type: op, input: inputs, output: [output], attribute, name: name ?? `${output}_${op}` });
  const clipped = (op: string, inputs: string[], out: string, scale: string, zp: string, attribute: any[] = []) => {
    const mid = `${out}_float`;
    emit(op, inputs, mid, attribute);
    emit('Clip', [mid, ...clipRange(scale, zp)], out);
  };

  for (const n of g.node) {
    const i = n.input;
    const out = n.output[0];
    switch (n.op_type) {
      case 'QuantizeLinear':
      case 'DequantizeLinear':
        emit('Identity', [i[0]], out);
        break;
      case 'QLinearConv': {
        const x = input(i[0], i[1], i[2]);
        const w = input(i[3], i[4], i[5]);
        const inputs = [x, w];
        if (i[8]) {
          // The int32 bias is quantized with scale x_scale * w_scale (per output channel), zero point 0.
          const b = tensorValues(inits.get(i[8]));
          const xs = scalar(i[1]);
          const ws = tensorValues(inits.get(i[4]));
          inputs.push(constant(i[8], [b.length], b.map((v, c) => v * xs * ws[ws.length === 1 ? 0 : c])));
        }
        clipped('Conv', inputs, out, i[6], i[7], n.attribute);
        break;
      }
      case 'QLinearAdd':
        clipped('Add', [input(i[0], i[1], i[2]), input(i[3], i[4], i[5])], out, i[6], i[7]);
        break;
      case 'QLinearMatMul':
        clipped('MatMul', [input(i[0], i[1], i[2]), input(i[3], i[4], i[5])], out, i[6], i[7]);
        break;
      case 'QLinearGlobalAveragePool': {
        const last = (n.attribute ?? []).find((a: any) => a.name === 'channels_last');
        if (last && Number(last.i)) throw new NeardupError(`${label}: QLinearGlobalAveragePool with channels_last is not supported`);
        clipped('GlobalAveragePool', [input(i[0], i[1], i[2])], out, i[3], i[4]);
        break;
      }
      default:
        if (/^QLinear|^QGemm|^DynamicQuantize|^MatMulInteger|^ConvInteger/.test(n.op_type)) {
          throw new NeardupError(`${label}: cannot dequantize ${n.domain ? `${n.domain}.` : ''}${n.op_type} (node ${n.name || out})`);
        }
        nodes.push(n);
    }
  }
  g.node = nodes;
  // Keep only the constants something still reads.
  const used = new Set<string>(nodes.flatMap((n: any) => n.input));
  g.initializer = [...(g.initializer ?? []), ...added].filter((t: any) => used.has(t.name));
  // Recorded types of former uint8 tensors would contradict the float graph.
  g.value_info = [];
  model.metadata_props = (model.metadata_props ?? []).filter((p: any) => p.key !== 'neardup.dequantized');
  model.metadata_props.push({ key: 'neardup.dequantized', value: 'float activations, weights from the int8 file' });
  return modelProtoType().encode(model).finish();
}
