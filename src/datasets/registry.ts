/**
 * The dataset-source registry: every kind of dataset argument is one {@link DatasetSource} (its
 * kind, its syntax for help texts, how it recognises an argument, how it loads). `parseDatasetSpec`,
 * `loadDataset`, the CLI's help and docs/datasets.md all read this list, so a new source is one
 * file exporting a `DatasetSource` plus one line here (or a {@link registerDatasetSource} call).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { resolveCacheDir, type LoadOptions } from './options';
import { loadFolder } from './folder';
import { loadManifest } from './manifest';
import { loadSample } from './sample';
import { DEBIAN_FASHION_MNIST_DIR, isIdxFolder, loadIdxFolder } from './idx';
import { loadCifar, findCifarSource } from './cifar';
import { ZOO_FILES, ensureZooFile, type ZooFile } from './zoo';
import { HF_SYNTAX, loadHf, parseHfSpec, type HfSpec } from './hf';

/** A parsed dataset argument: the source's `kind` plus what it needs (`path` is absolute when given). */
export interface DatasetSpec {
  kind: string;
  path?: string;
  [key: string]: unknown;
}

/** One kind of dataset argument. */
export interface DatasetSource {
  /** The `kind` of the specs it parses, e.g. `folder`, `cifar100`, `hf`. */
  kind: string;
  /** The argument syntax shown in help texts, e.g. `cifar100[:path]`. */
  syntax: string;
  /** One line for the docs' table. */
  description: string;
  /**
   * True for sources recognised by what a path is on disk (folders, manifests): tried after every
   * named source, so a name such as `sample` wins over a folder of that name.
   */
  byPath?: boolean;
  /**
   * The spec for `arg` (already trimmed), or undefined when the argument is not of this source.
   * @throws {@link NeardupError} when the argument is of this source but malformed.
   */
  match(arg: string): DatasetSpec | undefined;
  /** Loads a spec returned by {@link match}. */
  load(spec: DatasetSpec, opts: LoadOptions): Promise<Dataset>;
}

const ALIASES: Record<string, string> = {
  'cifar-100': 'cifar100',
  'cifar-10': 'cifar10',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
};

/** `name[:path]` for a named dataset; its path, when given, must exist. */
function namedMatch(kind: string): (arg: string) => DatasetSpec | undefined {
  return (arg) => {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)(?::(.*))?$/s.exec(arg);
    if (!m) return undefined;
    const name = ALIASES[m[1].toLowerCase()] ?? m[1].toLowerCase();
    if (name !== kind) return undefined;
    const p = m[2];
    if (p !== undefined && p.trim() === '') throw new NeardupError(`dataset "${arg}": empty path after "${m[1]}:"`);
    if (p !== undefined && !fs.existsSync(p)) throw new NeardupError(`dataset "${arg}": ${p} does not exist`);
    return p === undefined ? { kind } : { kind, path: path.resolve(p) };
  };
}

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

function statOf(arg: string): fs.Stats | undefined {
  try {
    return fs.statSync(path.resolve(arg));
  } catch {
    return undefined;
  }
}

/** The built-in sources, in the order the help text lists them. */
const SOURCES: DatasetSource[] = [
  {
    kind: 'folder',
    syntax: 'a folder',
    description: 'an image folder (a classification tree, a `split/label` tree, or unlabeled, nested or flat)',
    byPath: true,
    match: (arg) => (statOf(arg)?.isDirectory() ? { kind: 'folder', path: path.resolve(arg) } : undefined),
    load: (spec, opts) => loadFolder(spec.path!, opts),
  },
  {
    kind: 'manifest',
    syntax: 'a .csv manifest',
    description: 'a CSV manifest with a `filepath` column',
    byPath: true,
    match: (arg) => (statOf(arg)?.isFile() && arg.toLowerCase().endsWith('.csv') ? { kind: 'manifest', path: path.resolve(arg) } : undefined),
    load: (spec, opts) => loadManifest(spec.path!, opts),
  },
  ...(['cifar100', 'cifar10'] as const).map((kind): DatasetSource => ({
    kind,
    syntax: `${kind}[:path]`,
    description: `${kind === 'cifar100' ? 'CIFAR-100' : 'CIFAR-10'}, binary or python version; \`path\` = the official \`.tar.gz\`, its extracted folder, or a folder containing either`,
    match: namedMatch(kind),
    load: (spec, opts) => loadCifarZoo(kind, spec.path, opts),
  })),
  ...(['fashion-mnist', 'mnist'] as const).map((kind): DatasetSource => ({
    kind,
    syntax: `${kind}[:path]`,
    description: 'IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-…`); `path` = their folder',
    match: namedMatch(kind),
    load: (spec, opts) => loadIdxZoo(kind, spec.path, opts),
  })),
  {
    kind: 'hf',
    syntax: HF_SYNTAX,
    description: 'a Hugging Face image dataset (parquet files) from the local Hub cache, downloaded into it, or from `hf:./folder`',
    match: (arg) => (/^hf:/i.test(arg) ? (parseHfSpec(arg) as unknown as DatasetSpec) : undefined),
    load: (spec, opts) => loadHf(spec as unknown as HfSpec, opts),
  },
  {
    kind: 'sample',
    syntax: 'sample',
    description: 'the bundled sample of 3,000 Fashion-MNIST images',
    match: (arg) => (arg.toLowerCase() === 'sample' ? { kind: 'sample' } : undefined),
    load: (_spec, opts) => loadSample(opts),
  },
];

/** The registered sources (built-in first, then registered ones), in help-text order. */
export function datasetSources(): readonly DatasetSource[] {
  return SOURCES;
}

/**
 * Adds a source (before the built-in path-based ones are tried, after the built-in named ones).
 * @throws {@link NeardupError} when a source of that kind exists.
 */
export function registerDatasetSource(source: DatasetSource): void {
  if (SOURCES.some((s) => s.kind === source.kind)) throw new NeardupError(`a dataset source of kind "${source.kind}" is already registered`);
  SOURCES.push(source);
}

/** The source of a kind, or undefined. */
export function datasetSource(kind: string): DatasetSource | undefined {
  return SOURCES.find((s) => s.kind === kind);
}

/**
 * The dataset argument syntax of every registered source, for help texts and errors:
 * `a folder, a .csv manifest, cifar100[:path], …, hf:owner/name[@revision][:split] or sample`.
 */
export function datasetSyntax(): string {
  const all = SOURCES.map((s) => s.syntax);
  return all.length > 1 ? `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}` : all.join('');
}
