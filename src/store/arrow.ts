/**
 * Building Arrow record batches straight from typed arrays (no per-row JavaScript objects), so a
 * million 1280-d vectors go into Lance in batches without copying them through `number[]`.
 */
import { Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, vectorFromArray, type DataType } from 'apache-arrow';

/** `FixedSizeList<float32>[dim]`: Lance's vector column type. */
export function vectorType(dim: number): FixedSizeList<Float32> {
  return new FixedSizeList(dim, new Field('item', new Float32(), true));
}

/** A column given as typed data or plain values. */
export type Column =
  | { kind: 'int32'; data: Int32Array }
  | { kind: 'float32'; data: Float32Array }
  | { kind: 'vector'; data: Float32Array; dim: number }
  | { kind: 'utf8'; data: (string | null)[] }
  | { kind: 'int32list'; data: Int32Array; width: number }
  | { kind: 'float32list'; data: Float32Array; width: number };

function fixedList(type: Float32 | Int32, data: Float32Array | Int32Array, width: number, length: number) {
  const t = new FixedSizeList(width, new Field('item', type, true));
  // apache-arrow's makeData overloads do not narrow on a union element type; the props are right.
  const child = makeData({ type, length: length * width, nullCount: 0, data } as never);
  return { type: t as DataType, data: makeData({ type: t, length, nullCount: 0, child } as never) };
}

/** One Arrow table (one batch) of `length` rows from the given columns. */
export function arrowTable(columns: Record<string, Column>, length: number): Table {
  const fields: Field[] = [];
  const children = [];
  for (const [name, c] of Object.entries(columns)) {
    let type: DataType;
    let data;
    switch (c.kind) {
      case 'int32':
        type = new Int32();
        data = makeData({ type: new Int32(), length, nullCount: 0, data: c.data });
        break;
      case 'float32':
        type = new Float32();
        data = makeData({ type: new Float32(), length, nullCount: 0, data: c.data });
        break;
      case 'vector':
        ({ type, data } = fixedList(new Float32(), c.data, c.dim, length));
        break;
      case 'int32list':
        ({ type, data } = fixedList(new Int32(), c.data, c.width, length));
        break;
      case 'float32list':
        ({ type, data } = fixedList(new Float32(), c.data, c.width, length));
        break;
      case 'utf8': {
        const v = vectorFromArray(c.data, new Utf8());
        type = new Utf8();
        data = v.data[0];
        break;
      }
    }
    fields.push(new Field(name, type, c.kind === 'utf8'));
    children.push(data);
  }
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children });
  return new Table([new RecordBatch(schema, struct)]);
}

