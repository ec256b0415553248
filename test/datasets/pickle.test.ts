import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readPickle, pyString, ndarrayNumbers, type PyNdarray } from '../../src/datasets/pickle';
import { FIXTURES, python } from './cifar-fixtures';

test('reads the official CIFAR-100 meta pickle (Python 2, protocol 2)', () => {
  const meta = readPickle(fs.readFileSync(path.join(FIXTURES, 'cifar100-meta'))) as Record<string, Uint8Array[]>;
  assert.deepEqual(Object.keys(meta).sort(), ['coarse_label_names', 'fine_label_names']);
  const fine = meta.fine_label_names.map(pyString);
  const coarse = meta.coarse_label_names.map(pyString);
  assert.equal(fine.length, 100);
  assert.equal(coarse.length, 20);
  assert.deepEqual(fine.slice(0, 3), ['apple', 'aquarium_fish', 'baby']);
  assert.equal(fine[99], 'worm');
  assert.equal(coarse[0], 'aquatic_mammals');
  // Same names as the bundled CSV (written from the official lists).
  const csv = fs.readFileSync(path.join(FIXTURES, '..', '..', 'data', 'cifar100_label_names.csv'), 'utf8').trim().split('\n').slice(1);
  assert.deepEqual(csv.map((l) => l.split(',')[1]), fine);
});

/** A batch pickled the way Python 2 cPickle + numpy wrote the CIFAR files (BINSTRING data, GLOBAL opcodes). */
function py2Batch(data: Uint8Array, labels: number[]): Buffer {
  const parts: Buffer[] = [];
  const op = (...b: number[]) => parts.push(Buffer.from(b));
  const sstr = (s: string | Buffer) => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1');
    if (b.length < 256) op(0x55, b.length);
    else { op(0x54); const l = Buffer.alloc(4); l.writeUInt32LE(b.length); parts.push(l); }
    parts.push(b);
  };
  const glob = (m: string, n: string) => parts.push(Buffer.from(`c${m}\n${n}\n`, 'latin1'));
  op(0x80, 2, 0x7d, 0x71, 1, 0x28); // PROTO 2, EMPTY_DICT, BINPUT 1, MARK
  sstr('labels'); op(0x5d, 0x28); for (const l of labels) op(0x4b, l); op(0x65); // list of BININT1 + APPENDS
  sstr('data');
  glob('numpy.core.multiarray', '_reconstruct'); glob('numpy', 'ndarray');
  op(0x4b, 0, 0x85); sstr('b'); op(0x87, 0x52); // (ndarray, (0,), 'b') REDUCE
  op(0x28, 0x4b, 1); op(0x4d, labels.length, 0); op(0x4d, 0, 0x0c); op(0x86); // MARK 1 (n, 3072)
  glob('numpy', 'dtype'); sstr('u1'); op(0x4b, 0, 0x4b, 1, 0x87, 0x52); // dtype('u1', 0, 1)
  op(0x28, 0x4b, 3); sstr('|'); op(0x4e, 0x4e, 0x4e); op(0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0, 0x74, 0x62); // dtype state BUILD
  op(0x89); sstr(Buffer.from(data)); op(0x74, 0x62); // False, raw bytes, TUPLE, BUILD
  sstr('batch_label'); sstr('training batch 1 of 5');
  op(0x75, 0x2e); // SETITEMS STOP
  return Buffer.concat(parts);
}

test('reads a numpy uint8 array pickled Python-2 style (BINSTRING payload) without copying it wrongly', () => {
  const n = 3;
  const data = new Uint8Array(n * 3072).map((_, i) => (i * 31) % 251);
  const d = readPickle(py2Batch(data, [4, 0, 9])) as Record<string, unknown>;
  const arr = d.data as PyNdarray;
  assert.equal(arr.kind, 'ndarray');
  assert.equal(arr.dtype, '|u1');
  assert.deepEqual(arr.shape, [3, 3072]);
  assert.ok(Buffer.from(arr.bytes).equals(Buffer.from(data)));
  assert.deepEqual(d.labels, [4, 0, 9]);
  assert.equal(pyString(d.batch_label as Uint8Array), 'training batch 1 of 5');
});

test('reads pickles written by Python 3 (protocols 2 and 4: _codecs.encode bytes, int64 arrays, unicode)', () => {
  const script = `
import pickle, sys, types
np = types.ModuleType('numpy'); core = types.ModuleType('numpy.core'); ma = types.ModuleType('numpy.core.multiarray')
sys.modules.update({'numpy': np, 'numpy.core': core, 'numpy.core.multiarray': ma})
class ndarray: pass
class dtype:
    def __init__(self, s): self.s = s
    def __reduce__(self): return (dtype, (self.s, 0, 1), (3, '<', None, None, None, -1, -1, 0))
def _reconstruct(*a): pass
ndarray.__module__ = 'numpy'; dtype.__module__ = 'numpy'; _reconstruct.__module__ = 'numpy.core.multiarray'
np.ndarray = ndarray; np.dtype = dtype; ma._reconstruct = _reconstruct
class A:
    def __reduce__(self): return (_reconstruct, (ndarray, (0,), b'b'), (1, (3,), dtype('i8'), False, (5).to_bytes(8,'little') + (70000).to_bytes(8,'little') + (2**40).to_bytes(8,'little')))
obj = {'names': ['caf\\u00e9', 'x'], 'n': 70000, 'big': 2**70, 'neg': -3, 'f': 0.5, 'ok': True, 'none': None, 'arr': A(), 't': (1, 2)}
sys.stdout.buffer.write(pickle.dumps(obj, protocol=int(sys.argv[1])))`;
  for (const proto of ['2', '4']) {
    const r = spawnSync(python(), ['-c', script, proto]);
    assert.equal(r.status, 0, String(r.stderr));
    const d = readPickle(r.stdout) as Record<string, any>;
    assert.deepEqual(d.names, ['café', 'x']);
    assert.equal(d.n, 70000);
    assert.equal(d.big, 2n ** 70n);
    assert.equal(d.neg, -3);
    assert.equal(d.f, 0.5);
    assert.equal(d.ok, true);
    assert.equal(d.none, null);
    assert.deepEqual(d.t.items, [1, 2]);
    assert.equal(d.arr.dtype, '<i8');
    assert.deepEqual(ndarrayNumbers(d.arr), [5, 70000, 2 ** 40]);
  }
});

test('refuses pickles that name anything but the numpy array constructors', () => {
  const r = spawnSync(python(), ['-c', `import pickle, os, sys
class E:
    def __reduce__(self): return (os.system, ('echo pwned',))
sys.stdout.buffer.write(pickle.dumps({'a': E()}, protocol=2))`]);
  assert.equal(r.status, 0, String(r.stderr));
  assert.throws(() => readPickle(r.stdout), /posix\.system|os\.system|not allowed/);
  assert.throws(() => readPickle(Buffer.from([0x80, 2, 0x7d, 0x28])), /truncated/);
});
