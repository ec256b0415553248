/**
 * CIFAR-100 and CIFAR-10, in the binary and the python (pickle) versions, from the official
 * tarball or an extracted folder. Pixels stay the original bytes (planar 32x32: 1,024 R, then G,
 * then B); both splits are loaded, original indices kept (published duplicate lists refer to them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { buildArrayDataset, type ArraySplit } from './arrays';
import type { LoadOptions } from './options';
import { readPickle, pyString, ndarrayNumbers, type PyValue, type PyNdarray } from './pickle';
import { readTarFile } from './tarball';

type CifarName = 'cifar100' | 'cifar10';
const PIXELS = 32 * 32 * 3;

/** Names of the official tarballs and the folders they extract to. */
const LAYOUT = {
  cifar100: { tarballs: ['cifar-100-binary.tar.gz', 'cifar-100-python.tar.gz'], folders: ['cifar-100-binary', 'cifar-100-python'] },
  cifar10: { tarballs: ['cifar-10-binary.tar.gz', 'cifar-10-python.tar.gz'], folders: ['cifar-10-batches-bin', 'cifar-10-batches-py'] },
};

/** Files of a CIFAR source by base name, read lazily. */
type Source = { describe: string; has(name: string): boolean; read(name: string): Promise<Uint8Array> };

function hasMarker(names: (n: string) => boolean, name: CifarName): boolean {
  return name === 'cifar100'
    ? (names('train.bin') && names('test.bin')) || (names('train') && names('test') && names('meta')) || names('train.bin') || names('test.bin')
    : names('data_batch_1.bin') || names('test_batch.bin') || names('data_batch_1') || names('test_batch');
}

/** Finds a CIFAR copy (extracted folder or tarball) in `dir`, or undefined. */
export function findCifarSource(dir: string, name: CifarName): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  for (const f of LAYOUT[name].folders) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
  for (const f of LAYOUT[name].tarballs) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
  return undefined;
}

async function openSource(p: string, name: CifarName): Promise<Source> {
  const st = fs.statSync(p);
  if (st.isFile()) {
    const tar = await readTarFile(p);
    const byBase = new Map<string, Uint8Array>();
    for (const [k, v] of tar) byBase.set(path.posix.basename(k), v);
    const src: Source = {
      describe: p,
      has: (n) => byBase.has(n),
      read: async (n) => byBase.get(n)!,
    };
    if (!hasMarker(src.has, name)) throw new NeardupError(`${p} does not contain ${name} data (no train/test batches found)`);
    return src;
  }
  const inDir = (d: string): Source => ({
    describe: d,
    has: (n) => fs.existsSync(path.join(d, n)),
    read: async (n) => fs.promises.readFile(path.join(d, n)),
  });
  const direct = inDir(p);
  if (hasMarker(direct.has, name)) return direct;
  const nested = findCifarSource(p, name);
  if (nested) return openSource(nested, name);
  throw new NeardupError(`${p} holds no ${name} data: expected ${LAYOUT[name].tarballs.join(' or ')} or an extracted ${LAYOUT[name].folders.join(' / ')} folder`);
}

function textLines(b: Uint8Array): string[] {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/** Splits binary records (labelBytes + 3,072 pixels) into contiguous pixels and label arrays. */
function parseBinary(bytes: Uint8Array, labelBytes: 1 | 2, file: string) {
  const rec = labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % rec !== 0) {
    throw new NeardupError(`${file}: ${bytes.length} bytes is not a whole number of ${rec}-byte CIFAR records`);
  }
  const n = bytes.length / rec;
  const data = new Uint8Array(n * PIXELS);
  const fine = new Uint8Array(n);
  const coarse = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * rec;
    if (labelBytes === 2) {
      coarse[i] = bytes[o];
      fine[i] = bytes[o + 1];
    } else fine[i] = bytes[o];
    data.set(bytes.subarray(o + labelBytes, o + rec), i * PIXELS);
  }
  return { n, data, fine, coarse };
}

function dictOf(v: PyValue, file: string): Record<string, PyValue> {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || 'kind' in v || 'items' in v) {
    throw new NeardupError(`${file}: expected a pickled dict`);
  }
  return v as Record<string, PyValue>;
}

function numbersOf(v: PyValue | undefined, what: string, file: string): ArrayLike<number> {
  if (Array.isArray(v)) return v.map(Number);
  if (v && typeof v === 'object' && 'kind' in v && v.kind === 'ndarray') return ndarrayNumbers(v as PyNdarray);
  throw new NeardupError(`${file}: "${what}" is missing or not a list`);
}

function pickleFile(bytes: Uint8Array, file: string): Record<string, PyValue> {
  try {
    return dictOf(readPickle(bytes), file);
  } catch (e) {
    if (e instanceof NeardupError) throw e;
    throw new NeardupError(`${file}: cannot read pickle (${(e as Error).message})`);
  }
}

/** One python batch: pixel bytes (N x 3072) plus label lists. */
function parsePythonBatch(d: Record<string, PyValue>, file: string) {
  const data = d.data as PyNdarray;
  if (!data || typeof data !== 'object' || (data as PyNdarray).kind !== 'ndarray') throw new NeardupError(`${file}: no "data" array`);
  if (!/u1$/.test(data.dtype)) throw new NeardupError(`${file}: "data" has dtype ${data.dtype}, expected uint8`);
  const n = data.shape[0];
  if (data.bytes.length !== n * PIXELS) throw new NeardupError(`${file}: "data" has shape ${data.shape.join('x')}, expected N x 3072`);
  const filenames = Array.isArray(d.filenames) ? d.filenames.map((f) => pyString(f)) : undefined;
  return { n, data: data.bytes, filenames };
}

/**
 * Loads CIFAR-100 or CIFAR-10 from `p`: the official `.tar.gz` (binary or python version), its
 * extracted folder, or a folder containing either.
 */
export async function loadCifar(p: string, name: CifarName, opts: LoadOptions = {}): Promise<Dataset> {
  if (!fs.existsSync(p)) throw new NeardupError(`${name}: ${p} does not exist`);
  const src = await openSource(p, name);
  const want = (s: string) => !opts.splits || !opts.splits.length || opts.splits.includes(s);
  const where = (n: string) => `${src.describe}${fs.existsSync(src.describe) && fs.statSync(src.describe).isFile() ? ':' : '/'}${n}`;
  const splits: ArraySplit[] = [];
  let labelNames: string[];
  let coarseNames: string[] | undefined;
  const binary = name === 'cifar100' ? src.has('train.bin') || src.has('test.bin') : src.has('data_batch_1.bin') || src.has('test_batch.bin');

  if (name === 'cifar100' && binary) {
    for (const f of ['fine_label_names.txt', 'coarse_label_names.txt']) if (!src.has(f)) throw new NeardupError(`${where(f)} is missing`);
    labelNames = textLines(await src.read('fine_label_names.txt'));
    coarseNames = textLines(await src.read('coarse_label_names.txt'));
    for (const split of ['train', 'test']) {
      if (!want(split) || !src.has(`${split}.bin`)) continue;
      const r = parseBinary(await src.read(`${split}.bin`), 2, where(`${split}.bin`));
      splits.push({ split, data: r.data, count: r.n, labels: r.fine, coarseLabels: r.coarse, source: where(`${split}.bin`) });
    }
  } else if (name === 'cifar100') {
    if (!src.has('meta')) throw new NeardupError(`${where('meta')} is missing`);
    const meta = pickleFile(await src.read('meta'), where('meta'));
    labelNames = (meta.fine_label_names as PyValue[] | undefined)?.map((x) => pyString(x)) ?? [];
    coarseNames = (meta.coarse_label_names as PyValue[] | undefined)?.map((x) => pyString(x)) ?? [];
    for (const split of ['train', 'test']) {
      if (!want(split) || !src.has(split)) continue;
      const file = where(split);
      const d = pickleFile(await src.read(split), file);
      const b = parsePythonBatch(d, file);
      const fine = numbersOf(d.fine_labels, 'fine_labels', file);
      const coarse = numbersOf(d.coarse_labels, 'coarse_labels', file);
      if (fine.length !== b.n || coarse.length !== b.n) throw new NeardupError(`${file}: ${b.n} images but ${fine.length} fine / ${coarse.length} coarse labels`);
      splits.push({ split, data: b.data, count: b.n, labels: fine, coarseLabels: coarse, source: file, extra: b.filenames ? { filename: b.filenames } : undefined });
    }
  } else {
    // CIFAR-10: five training batches of 10,000 and one test batch; train indices run across batches.
    const ext = binary ? '.bin' : '';
    if (binary) {
      labelNames = src.has('batches.meta.txt') ? textLines(await src.read('batches.meta.txt')) : [];
    } else {
      labelNames = src.has('batches.meta')
        ? ((pickleFile(await src.read('batches.meta'), where('batches.meta')).label_names as PyValue[] | undefined) ?? []).map((x) => pyString(x))
        : [];
    }
    const groups: Array<[string, string[]]> = [
      ['train', [1, 2, 3, 4, 5].map((k) => `data_batch_${k}${ext}`)],
      ['test', [`test_batch${ext}`]],
    ];
    for (const [split, files] of groups) {
      if (!want(split)) continue;
      const parts: { data: Uint8Array; labels: ArrayLike<number>; n: number; filenames?: string[]; file: string }[] = [];
      for (const f of files) {
        if (!src.has(f)) continue;
        const file = where(f);
        if (binary) {
          const r = parseBinary(await src.read(f), 1, file);
          parts.push({ data: r.data, labels: r.fine, n: r.n, file });
        } else {
          const d = pickleFile(await src.read(f), file);
          const b = parsePythonBatch(d, file);
          const labels = numbersOf(d.labels, 'labels', file);
          if (labels.length !== b.n) throw new NeardupError(`${file}: ${b.n} images but ${labels.length} labels`);
          parts.push({ data: b.data, labels, n: b.n, filenames: b.filenames, file });
        }
      }
      if (!parts.length) continue;
      const n = parts.reduce((a, x) => a + x.n, 0);
      const data = parts.length === 1 ? parts[0].data : new Uint8Array(n * PIXELS);
      const labels = new Uint8Array(n);
      const filenames: (string | null)[] = [];
      const sources: string[] = [];
      let o = 0;
      for (const x of parts) {
        if (parts.length > 1) data.set(x.data, o * PIXELS);
        for (let i = 0; i < x.n; i++) {
          labels[o + i] = x.labels[i];
          filenames.push(x.filenames ? x.filenames[i] : null);
        }
        sources.push(x.file);
        o += x.n;
      }
      const hasNames = parts.some((x) => x.filenames);
      // Several batch files: the filepath names the folder/tarball, the id carries the index.
      const source = parts.length === 1 ? parts[0].file : `${src.describe}:${split}`;
      splits.push({ split, data, count: n, labels, source, extra: hasNames ? { filename: filenames } : undefined });
    }
  }
  if (!splits.length) throw new NeardupError(`${name}: no ${opts.splits?.length ? opts.splits.join('/') + ' ' : ''}batches found in ${src.describe}`);
  return buildArrayDataset(
    { name, width: 32, height: 32, channels: 3, layout: 'planar', labelNames, coarseLabelNames: coarseNames },
    splits,
    opts,
  );
}
