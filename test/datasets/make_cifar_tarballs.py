"""Writes small CIFAR tarballs in the official layouts, for the loader tests.

usage: make_cifar_tarballs.py <pixels.raw> <n_train> <n_test> <meta-pickle> <outdir>

pixels.raw holds (n_train + n_test) images of 3,072 bytes (planar R, G, B rows of 32x32).
Labels are deterministic: fine = (7*i + 3) % 100, coarse = i % 20, cifar10 label = i % 10.
The python versions are pickled with protocol 2 the way numpy does it (numpy.core.multiarray._reconstruct
+ numpy.dtype + BUILD), using stand-in classes so numpy itself is not needed.
"""
import io, pickle, sys, tarfile, types

raw_path, n_train, n_test, meta_path, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
raw = open(raw_path, 'rb').read()
assert len(raw) == (n_train + n_test) * 3072
meta_bytes = open(meta_path, 'rb').read()

# Stand-in numpy modules: pickle looks globals up by module + name, so these pickle exactly as numpy does.
np = types.ModuleType('numpy'); core = types.ModuleType('numpy.core'); ma = types.ModuleType('numpy.core.multiarray')
np.core = core; core.multiarray = ma
sys.modules.update({'numpy': np, 'numpy.core': core, 'numpy.core.multiarray': ma})
class ndarray: pass
class dtype:
    def __init__(self, s): self.s = s
    def __reduce__(self): return (dtype, (self.s, 0, 1), (3, '|', None, None, None, -1, -1, 0))
def _reconstruct(*a): pass
ndarray.__module__ = 'numpy'; dtype.__module__ = 'numpy'; _reconstruct.__module__ = 'numpy.core.multiarray'
np.ndarray = ndarray; np.dtype = dtype; ma._reconstruct = _reconstruct
class Array:
    def __init__(self, shape, data): self.shape, self.data = shape, data
    def __reduce__(self):
        return (_reconstruct, (ndarray, (0,), b'b'), (1, self.shape, dtype('u1'), False, self.data))

def fine(i): return (7 * i + 3) % 100
def coarse(i): return i % 20
def lab10(i): return i % 10

def add(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))

def images(start, n): return raw[start * 3072:(start + n) * 3072]

splits = [('train', 0, n_train), ('test', n_train, n_test)]

# CIFAR-100 binary: <coarse><fine><3072 pixels> records.
with tarfile.open(f'{outdir}/cifar-100-binary.tar.gz', 'w:gz') as tar:
    for name, start, n in splits:
        recs = b''.join(bytes([coarse(i), fine(i)]) + raw[(start + i) * 3072:(start + i + 1) * 3072] for i in range(n))
        add(tar, f'cifar-100-binary/{name}.bin', recs)
    meta = pickle.loads(meta_bytes, encoding='latin1')
    add(tar, 'cifar-100-binary/fine_label_names.txt', ('\n'.join(meta['fine_label_names']) + '\n').encode())
    add(tar, 'cifar-100-binary/coarse_label_names.txt', ('\n'.join(meta['coarse_label_names']) + '\n').encode())

# CIFAR-100 python: pickled dicts + the real meta pickle.
with tarfile.open(f'{outdir}/cifar-100-python.tar.gz', 'w:gz') as tar:
    for name, start, n in splits:
        d = {'filenames': [f'img_{name}_{i:05d}.png' for i in range(n)], 'batch_label': f'{name}ing batch 1 of 1',
             'fine_labels': [fine(i) for i in range(n)], 'coarse_labels': [coarse(i) for i in range(n)],
             'data': Array((n, 3072), images(start, n))}
        add(tar, f'cifar-100-python/{name}', pickle.dumps(d, protocol=2))
    add(tar, 'cifar-100-python/meta', meta_bytes)

# CIFAR-10: the training images split over data_batch_1..5 (as unequal as n allows), one test batch.
names10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
bounds = [round(k * n_train / 5) for k in range(6)]
batches = [(f'data_batch_{k + 1}', bounds[k], bounds[k + 1] - bounds[k]) for k in range(5)] + [('test_batch', n_train, n_test)]
with tarfile.open(f'{outdir}/cifar-10-binary.tar.gz', 'w:gz') as tar:
    for name, start, n in batches:
        first = 0 if name.startswith('data') else n_train
        add(tar, f'cifar-10-batches-bin/{name}.bin', b''.join(bytes([lab10(start + i - first)]) + raw[(start + i) * 3072:(start + i + 1) * 3072] for i in range(n)))
    add(tar, 'cifar-10-batches-bin/batches.meta.txt', ('\n'.join(names10) + '\n\n').encode())
with tarfile.open(f'{outdir}/cifar-10-python.tar.gz', 'w:gz') as tar:
    for name, start, n in batches:
        first = 0 if name.startswith('data') else n_train
        d = {'batch_label': name, 'labels': [lab10(start + i - first) for i in range(n)],
             'data': Array((n, 3072), images(start, n)), 'filenames': [f'{name}_{i}.png' for i in range(n)]}
        add(tar, f'cifar-10-batches-py/{name}', pickle.dumps(d, protocol=2))
    add(tar, 'cifar-10-batches-py/batches.meta', pickle.dumps({'label_names': names10, 'num_cases_per_batch': 10000, 'num_vis': 3072}, protocol=2))
print('ok')
