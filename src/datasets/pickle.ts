import { NeardupError } from '../errors';
/**
 * A minimal, safe reader for the Python pickles the CIFAR "python version" ships: protocol 2
 * (written by Python 2 cPickle) dicts of byte strings, lists, ints and strings, plus numpy arrays
 * (`numpy.core.multiarray._reconstruct` + `numpy.dtype` + BUILD). Protocols 3–5 opcodes for the same
 * structures are accepted too. Nothing is ever executed: only the globals listed in
 * `ALLOWED_GLOBALS` are recognised, and they are interpreted as data, not called.
 */

/** A numpy array read from a pickle: dtype string like `|u1` or `<i8`, shape, and raw bytes. */
export interface PyNdarray {
  kind: 'ndarray';
  dtype: string;
  shape: number[];
  /** Raw element bytes (a view into the pickle's buffer when possible). */
  bytes: Uint8Array;
}

/** Python 2 `str` / Python 3 `bytes`: raw bytes. Use {@link pyString} to read them as text. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | { [key: string]: PyValue }
  | PyNdarray
  | PyTuple;

/** Python tuples are kept apart from lists (numpy state is a tuple). */
export class PyTuple {
  constructor(public readonly items: PyValue[]) {}
}

class PyGlobal {
  constructor(public readonly name: string) {}
}
class PyDtype {
  constructor(public str: string) {}
}
class PyPendingArray {
  constructor(public readonly dtype0: string) {}
}
const MARK = Symbol('mark');

/** The only globals a CIFAR pickle needs. */
export const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
]);

/** Text of a pickled string (bytes are decoded as latin-1, as Python 2 `str` is byte-for-byte). */
export function pyString(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  throw new NeardupError(`expected a string in the pickle, got ${describe(v)}`, 'bad_format');
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  return typeof v === 'object' ? (v as { kind?: string }).kind ?? 'object' : typeof v;
}

function dictKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array) return pyString(k);
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  throw new NeardupError(`unsupported dict key type ${describe(k)}`, 'unsupported');
}

/** Reads one pickle from `bytes`. Throws (naming the opcode and offset) on anything unsupported. */
export function readPickle(bytes: Uint8Array): PyValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (pos + n > buf.length) throw new NeardupError(`truncated pickle at byte ${pos}`, 'bad_format');
  };
  const take = (n: number) => {
    need(n);
    const v = new Uint8Array(buf.buffer, buf.byteOffset + pos, n);
    pos += n;
    return v;
  };
  const u8 = () => (need(1), buf[pos++]);
  const u32 = () => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = Number(buf.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new NeardupError(`truncated pickle at byte ${pos}`, 'bad_format');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new NeardupError('pickle MARK missing', 'bad_format');
    return stack.splice(m);
  };
  const top = () => {
    if (!stack.length) throw new NeardupError(`pickle stack underflow at byte ${pos}`, 'bad_format');
    return stack[stack.length - 1];
  };
  const pop = () => {
    if (!stack.length) throw new NeardupError(`pickle stack underflow at byte ${pos}`, 'bad_format');
    return stack.pop();
  };
  const utf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

  function setItems(d: unknown, items: unknown[]) {
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw new NeardupError('SETITEM on a non-dict', 'bad_format');
    for (let i = 0; i + 1 < items.length; i += 2) (d as Record<string, unknown>)[dictKey(items[i])] = items[i + 1];
  }

  function reduce(fn: unknown, args: unknown): unknown {
    if (!(fn instanceof PyGlobal) || !(args instanceof PyTuple)) throw new NeardupError('unsupported REDUCE', 'unsupported');
    const a = args.items;
    switch (fn.name) {
      case 'numpy.core.multiarray._reconstruct':
      case 'numpy._core.multiarray._reconstruct':
        return new PyPendingArray(pyString(a[2] ?? 'b'));
      case 'numpy.dtype':
        return new PyDtype(pyString(a[0] as PyValue));
      case '_codecs.encode': {
        // Python 3 pickles bytes for protocol < 3 as _codecs.encode(text, 'latin1').
        const enc = pyString(a[1] as PyValue).toLowerCase();
        if (enc !== 'latin1' && enc !== 'latin-1') throw new NeardupError(`unsupported _codecs.encode encoding ${enc}`, 'unsupported');
        return new Uint8Array(Buffer.from(pyString(a[0] as PyValue), 'latin1'));
      }
      default:
        throw new NeardupError(`unsupported global ${fn.name}`, 'unsupported');
    }
  }

  function build(obj: unknown, state: unknown): unknown {
    if (obj instanceof PyDtype && state instanceof PyTuple) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
      const order = pyString(state.items[1] as PyValue);
      obj.str = (order === '|' || order === '=' ? (obj.str.startsWith('u1') || obj.str.startsWith('i1') || obj.str === 'b1' ? '|' : '<') : order) + obj.str;
      return obj;
    }
    if (obj instanceof PyPendingArray && state instanceof PyTuple) {
      // (version, shape, dtype, is_fortran, raw data)
      const [, shape, dtype, fortran, raw] = state.items as unknown[];
      if (fortran === true) throw new NeardupError('Fortran-ordered numpy arrays are not supported', 'unsupported');
      const dims = (shape instanceof PyTuple ? shape.items : (shape as unknown[])).map((d) => Number(d));
      const dt = dtype instanceof PyDtype ? dtype.str : '|u1';
      let data: Uint8Array;
      if (raw instanceof Uint8Array) data = raw;
      else if (typeof raw === 'string') data = new Uint8Array(Buffer.from(raw, 'latin1'));
      else throw new NeardupError('numpy array data is not a byte string', 'bad_format');
      const arr: PyNdarray = { kind: 'ndarray', dtype: dt, shape: dims, bytes: data };
      return arr;
    }
    throw new NeardupError('unsupported BUILD', 'unsupported');
  }

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: { // STOP
        if (stack.length !== 1) throw new NeardupError('malformed pickle: stack not empty at STOP', 'bad_format');
        const v = stack.pop();
        if (v instanceof PyPendingArray || v instanceof PyGlobal || v instanceof PyDtype) throw new NeardupError('unsupported pickle result', 'unsupported');
        return v as PyValue;
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push({}); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: { need(2); stack.push(buf.readUInt16LE(pos)); pos += 2; break; } // BININT2
      case 0x4a: { need(4); stack.push(buf.readInt32LE(pos)); pos += 4; break; } // BININT
      case 0x8a: { // LONG1
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: { need(8); stack.push(buf.readDoubleBE(pos)); pos += 8; break; } // BINFLOAT
      case 0x49: { // INT (text): also True/False in protocol 0
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x55: stack.push(take(u8())); break; // SHORT_BINSTRING (py2 str)
      case 0x54: stack.push(take(u32())); break; // BINSTRING
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x8e: stack.push(take(u64())); break; // BINBYTES8
      case 0x8c: stack.push(utf8(take(u8()))); break; // SHORT_BINUNICODE
      case 0x58: stack.push(utf8(take(u32()))); break; // BINUNICODE
      case 0x8d: stack.push(utf8(take(u64()))); break; // BINUNICODE8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) throw new NeardupError(`pickle memo ${k} missing at byte ${at}`, 'bad_format');
        stack.push(memo.get(k));
        break;
      }
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw new NeardupError('APPEND on a non-list', 'bad_format'); l.push(v); break; }
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) throw new NeardupError('APPENDS on a non-list', 'bad_format'); for (const v of items) l.push(v); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x74: stack.push(new PyTuple(popMark() as PyValue[])); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop() as PyValue])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b] as PyValue[])); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c] as PyValue[])); break; }
      case 0x64: { const items = popMark(); const d = {}; setItems(d, items); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x63: { // GLOBAL
        const name = `${line()}.${line()}`;
        if (!ALLOWED_GLOBALS.has(name)) throw new NeardupError(`pickle refers to ${name}, which is not allowed`, 'unsupported');
        stack.push(new PyGlobal(name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const n = pop();
        const m = pop();
        const name = `${m}.${n}`;
        if (!ALLOWED_GLOBALS.has(name)) throw new NeardupError(`pickle refers to ${name}, which is not allowed`, 'unsupported');
        stack.push(new PyGlobal(name));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(reduce(fn, args)); break; } // REDUCE
      case 0x62: { const state = pop(); const obj = pop(); stack.push(build(obj, state)); break; } // BUILD
      default:
        throw new NeardupError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${at}`, 'unsupported');
    }
  }
}

/** Reads an ndarray's elements as numbers (uint8/int8/int16/int32/int64/uint16/uint32, little-endian). */
export function ndarrayNumbers(a: PyNdarray): number[] | Uint8Array {
  const t = a.dtype.replace(/^[<|=]/, '');
  const b = Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
  if (a.dtype.startsWith('>')) throw new NeardupError(`big-endian numpy arrays are not supported (${a.dtype})`, 'unsupported');
  switch (t) {
    case 'u1': return a.bytes;
    case 'i1': return Array.from(new Int8Array(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength));
    case 'i2': return Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i));
    case 'u2': return Array.from({ length: b.length / 2 }, (_, i) => b.readUInt16LE(2 * i));
    case 'i4': return Array.from({ length: b.length / 4 }, (_, i) => b.readInt32LE(4 * i));
    case 'u4': return Array.from({ length: b.length / 4 }, (_, i) => b.readUInt32LE(4 * i));
    case 'i8': return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(8 * i)));
    case 'u8': return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigUInt64LE(8 * i)));
    default: throw new NeardupError(`unsupported numpy dtype ${a.dtype}`, 'unsupported');
  }
}
