/**
 * IDX datasets (MNIST, Fashion-MNIST): a big-endian header (magic 0x0000 08 <ndim>, then one
 * uint32 per dimension) followed by uint8 data. Files may be gzipped (.gz) or raw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { buildArrayDataset, type ArraySplit } from './arrays';
import { gunzipIfGzip } from './tarball';
import type { LoadOptions } from './options';

/** Fashion-MNIST class names, in label order (from the Fashion-MNIST README). */
export const FASHION_MNIST_LABELS = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
/** MNIST class names: the digits. */
export const MNIST_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Where Debian's `dataset-fashion-mnist` package installs the four files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** A decoded IDX array: dimensions and the raw uint8 payload (a view, no copy). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Decodes IDX bytes (gunzipping when they start with the gzip magic). `name` is used in errors. */
export function decodeIdx(bytes: Uint8Array, name: string): IdxArray {
  const buf = gunzipIfGzip(bytes, name);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new NeardupError(`${name}: not an IDX file (bad magic)`);
  if (buf[2] !== 0x08) throw new NeardupError(`${name}: IDX data type 0x${buf[2].toString(16)} is not uint8`);
  const ndim = buf[3];
  if (ndim < 1 || buf.length < 4 + 4 * ndim) throw new NeardupError(`${name}: truncated IDX header`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length < start + size) {
    throw new NeardupError(`${name}: truncated IDX data (${buf.length - start} bytes, header says ${size})`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, size) };
}

/** Encodes a uint8 IDX array (used by the sample generator and tests). */
export function encodeIdx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** The four files of an IDX dataset, by split. */
const SPLIT_PREFIX: Record<string, string> = { train: 'train', test: 't10k' };

/** Finds `<prefix>-<kind>-idx<N>-ubyte[.gz]` (or the `.idx` dotted variant) in `dir`. */
export function findIdxFile(dir: string, split: 'train' | 'test', kind: 'images' | 'labels'): string | undefined {
  const n = kind === 'images' ? 3 : 1;
  const p = SPLIT_PREFIX[split];
  const candidates = [`${p}-${kind}-idx${n}-ubyte`, `${p}-${kind}.idx${n}-ubyte`];
  for (const c of candidates) {
    for (const suffix of ['.gz', '']) {
      const f = path.join(dir, c + suffix);
      if (fs.existsSync(f)) return f;
    }
  }
  return undefined;
}

/** True when `dir` holds at least one split's images+labels. */
export function isIdxFolder(dir: string): boolean {
  return (['train', 'test'] as const).some((s) => findIdxFile(dir, s, 'images') && findIdxFile(dir, s, 'labels'));
}

/**
 * Loads an IDX dataset from a folder holding `train-*` and/or `t10k-*` image+label files.
 * `name` is `fashion-mnist` or `mnist` (sets the label names).
 */
export async function loadIdxFolder(dir: string, name: 'fashion-mnist' | 'mnist', opts: LoadOptions = {}): Promise<Dataset> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new NeardupError(`${name}: folder ${dir} does not exist`);
  const splits: ArraySplit[] = [];
  let width = 0;
  let height = 0;
  for (const split of ['train', 'test'] as const) {
    if (opts.splits && opts.splits.length && !opts.splits.includes(split)) continue;
    const imgFile = findIdxFile(dir, split, 'images');
    const labFile = findIdxFile(dir, split, 'labels');
    if (!imgFile && !labFile) continue;
    if (!imgFile || !labFile) {
      throw new NeardupError(`${name}: ${dir} has the ${split} ${imgFile ? 'images' : 'labels'} but not the ${imgFile ? 'labels' : 'images'} file`);
    }
    const imgs = decodeIdx(await fs.promises.readFile(imgFile), imgFile);
    const labs = decodeIdx(await fs.promises.readFile(labFile), labFile);
    if (imgs.dims.length !== 3) throw new NeardupError(`${imgFile}: expected 3 dimensions (N, rows, cols), got ${imgs.dims.length}`);
    if (labs.dims.length !== 1) throw new NeardupError(`${labFile}: expected 1 dimension, got ${labs.dims.length}`);
    if (imgs.dims[0] !== labs.dims[0]) {
      throw new NeardupError(`${name}: ${imgFile} has ${imgs.dims[0]} images but ${labFile} has ${labs.dims[0]} labels`);
    }
    if (width && (imgs.dims[1] !== height || imgs.dims[2] !== width)) throw new NeardupError(`${imgFile}: image size differs from the other split`);
    height = imgs.dims[1];
    width = imgs.dims[2];
    splits.push({ split, data: imgs.data, count: imgs.dims[0], labels: labs.data, source: imgFile });
  }
  if (!splits.length) {
    throw new NeardupError(`${name}: no IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and labels) in ${dir}`);
  }
  const labelNames = name === 'fashion-mnist' ? FASHION_MNIST_LABELS : MNIST_LABELS;
  return buildArrayDataset({ name, width, height, channels: 1, layout: 'interleaved', labelNames }, splits, opts);
}
