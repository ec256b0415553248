/**
 * Small compute graphs built in memory, such as the similarity tile (src/similarity/knn-tile.ts),
 * encoded with the one ONNX schema of this folder (./proto.ts) for `InferenceSession.create`.
 */
import { modelProtoType, OnnxAttrType, OnnxDataType } from './proto';

/** ONNX element types the graphs here use (TensorProto.DataType codes). */
export const ElemType = { FLOAT: OnnxDataType.FLOAT, INT64: OnnxDataType.INT64 } as const;

/** A dimension is a fixed size or a symbolic name. */
export type Dim = number | string;

export interface ValueSpec {
  name: string;
  elemType: number;
  shape: Dim[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Numbers become INT attributes (FLOAT when not an integer), number arrays INTS. */
  attrs?: Record<string, number | number[]>;
}

export interface InitializerSpec {
  name: string;
  elemType: number;
  dims: number[];
  /** Little-endian raw bytes of the tensor. */
  raw: Uint8Array;
}

function valueInfo(v: ValueSpec) {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attribute(name: string, v: number | number[]) {
  if (Array.isArray(v)) return { name, type: OnnxAttrType.INTS, ints: v };
  if (Number.isInteger(v)) return { name, type: OnnxAttrType.INT, i: v };
  return { name, type: OnnxAttrType.FLOAT, f: v };
}

/**
 * Encodes a single-graph ONNX model (IR version 8, default domain at opset `g.opset`) to bytes.
 * Nodes are named `<op>_<index>`; initializers carry their bytes as `raw_data`.
 */
export function encodeModel(g: {
  name: string;
  opset: number;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
}): Uint8Array {
  const T = modelProtoType();
  const msg = T.fromObject({
    ir_version: 8,
    producer_name: 'neardup',
    opset_import: [{ domain: '', version: g.opset }],
    graph: {
      name: g.name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: (g.initializers ?? []).map((t) => ({
        name: t.name,
        data_type: t.elemType,
        dims: t.dims,
        raw_data: t.raw,
      })),
      node: g.nodes.map((nd, i) => ({
        name: `${nd.op}_${i}`,
        op_type: nd.op,
        input: nd.inputs,
        output: nd.outputs,
        attribute: Object.entries(nd.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return T.encode(msg).finish();
}
