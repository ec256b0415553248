/**
 * A minimal ONNX model writer: just enough of onnx.proto (field numbers from the ONNX IR spec)
 * to encode small compute graphs built in memory, such as the similarity tile below.
 * Only the messages and fields we use are declared; protobuf ignores the rest.
 */
import * as protobuf from 'protobufjs';

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } },
        },
        TypeProto: {
          fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } },
        },
        TypeProtoTensor: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
        },
        Dimension: {
          fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX element types we use. */
export const ElemType = { FLOAT: 1, INT64: 7 } as const;
/** ONNX attribute kinds we use. */
const AttrType = { FLOAT: 1, INT: 2, INTS: 7 } as const;

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
      tensorType: {
        elemType: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: number | number[]) {
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if (Number.isInteger(v)) return { name, type: AttrType.INT, i: v };
  return { name, type: AttrType.FLOAT, f: v };
}

/** Encodes a single-graph ONNX model (default domain, given opset) to bytes for `InferenceSession.create`. */
export function encodeModel(g: {
  name: string;
  opset: number;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
}): Uint8Array {
  const msg = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'neardup',
    opsetImport: [{ domain: '', version: g.opset }],
    graph: {
      name: g.name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: (g.initializers ?? []).map((t) => ({
        name: t.name,
        dataType: t.elemType,
        dims: t.dims,
        rawData: t.raw,
      })),
      node: g.nodes.map((nd, i) => ({
        name: `${nd.op}_${i}`,
        opType: nd.op,
        input: nd.inputs,
        output: nd.outputs,
        attribute: Object.entries(nd.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return ModelProto.encode(msg).finish();
}
