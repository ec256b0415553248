/**
 * Datasets → DataFrame. `loadDataset(spec)` turns a dataset argument (see {@link parseDatasetSpec})
 * into a {@link Dataset}: a danfo DataFrame with one row per sample plus its pixel source.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { parseDatasetSpec, type DatasetSpec } from './spec';
import { resolveCacheDir, type LoadOptions } from './options';
import { loadFolder } from './folder';
import { loadManifest } from './manifest';
import { loadSample } from './sample';
import { DEBIAN_FASHION_MNIST_DIR, isIdxFolder, loadIdxFolder } from './idx';
import { loadCifar, findCifarSource } from './cifar';
import { ZOO_FILES, ensureZooFile, type ZooFile } from './zoo';

export { parseDatasetSpec, type DatasetSpec, type ZooName } from './spec';
export { resolveCacheDir, type LoadOptions } from './options';
export { loadFolder, listImageFiles, looksLikeImage, IMAGE_EXTENSIONS, SPLIT_NAMES } from './folder';
export { loadManifest } from './manifest';
export { loadSample, SAMPLE_DIR } from './sample';
export { loadIdxFolder, decodeIdx, encodeIdx, FASHION_MNIST_LABELS, MNIST_LABELS, DEBIAN_FASHION_MNIST_DIR } from './idx';
export { loadCifar } from './cifar';
export { readPickle, type PyNdarray } from './pickle';
export { downloadFile, ensureZooFile, md5File, zooUrl, ZOO_FILES, type ZooFile, type DownloadOptions } from './zoo';
export { arrayId } from './arrays';

function progressFor(opts: LoadOptions, url: string) {
  let last = -1;
  return (received: number, total: number) => {
    if (!opts.onProgress) return;
    const pct = total ? Math.floor((100 * received) / total) : -1;
    if (pct !== last && (pct % 10 === 0 || pct < 0)) {
      last = pct;
      opts.onProgress(`downloading ${url}: ${total ? `${pct}%` : `${received} bytes`}`);
    }
  };
}

async function ensureAll(files: ZooFile[], dir: string, opts: LoadOptions): Promise<void> {
  for (const f of files) await ensureZooFile(f, dir, opts.download !== false, { onProgress: progressFor(opts, f.url) });
}

async function loadIdxZoo(name: 'fashion-mnist' | 'mnist', p: string | undefined, opts: LoadOptions): Promise<Dataset> {
  if (p) {
    const dir = fs.statSync(p).isDirectory() ? p : path.dirname(p);
    return loadIdxFolder(dir, name, opts);
  }
  if (name === 'fashion-mnist' && isIdxFolder(DEBIAN_FASHION_MNIST_DIR)) return loadIdxFolder(DEBIAN_FASHION_MNIST_DIR, name, opts);
  const dir = path.join(resolveCacheDir(opts), name);
  if (!isIdxFolder(dir)) await ensureAll(ZOO_FILES[name], dir, opts);
  return loadIdxFolder(dir, name, opts);
}

async function loadCifarZoo(name: 'cifar100' | 'cifar10', p: string | undefined, opts: LoadOptions): Promise<Dataset> {
  if (p) return loadCifar(p, name, opts);
  const cache = resolveCacheDir(opts);
  const found = findCifarSource(cache, name);
  if (found) return loadCifar(found, name, opts);
  const f = ZOO_FILES[`${name}-binary`];
  await ensureAll([f], cache, opts);
  return loadCifar(path.join(cache, f.filename), name, opts);
}

/** Loads an already parsed spec. */
export async function loadDatasetSpec(spec: DatasetSpec, opts: LoadOptions = {}): Promise<Dataset> {
  switch (spec.kind) {
    case 'sample':
      return loadSample(opts);
    case 'folder':
      return loadFolder(spec.path, opts);
    case 'manifest':
      return loadManifest(spec.path, opts);
    case 'fashion-mnist':
    case 'mnist':
      return loadIdxZoo(spec.kind, spec.path, opts);
    case 'cifar100':
    case 'cifar10':
      return loadCifarZoo(spec.kind, spec.path, opts);
    default:
      throw new NeardupError(`unknown dataset kind ${(spec as { kind: string }).kind}`);
  }
}

/**
 * Loads a dataset from its argument: a folder path | a `.csv` manifest | `cifar100[:path]` |
 * `cifar10[:path]` | `fashion-mnist[:path]` | `mnist[:path]` | `sample`.
 * Bad or missing arguments throw a {@link NeardupError} naming them.
 */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<Dataset> {
  return loadDatasetSpec(parseDatasetSpec(spec), opts);
}
