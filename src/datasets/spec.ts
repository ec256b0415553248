/**
 * Parsing a dataset argument (shared by the CLI and notebooks) through the source registry
 * (src/datasets/registry.ts): named sources first (`sample`, `cifar100[:path]`, `hf:…`, …), then
 * what the argument is on disk (a folder, a `.csv` manifest).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeardupError } from '../errors';
import { datasetSources, datasetSyntax, type DatasetSpec } from './registry';

export type { DatasetSpec } from './registry';

/** Named datasets that can be read from a local copy or downloaded. */
export type ZooName = 'cifar100' | 'cifar10' | 'fashion-mnist' | 'mnist';

/**
 * Parses a dataset argument into the spec of the source that recognises it.
 * @throws {@link NeardupError} naming the argument when no source recognises it: neither a known
 *   name nor an existing folder / `.csv` file, or malformed for its source.
 */
export function parseDatasetSpec(arg: string): DatasetSpec {
  const syntax = datasetSyntax();
  if (typeof arg !== 'string' || arg.trim() === '') {
    throw new NeardupError(`missing dataset argument: expected ${syntax}`);
  }
  const raw = arg.trim();
  const sources = datasetSources();
  for (const s of sources) {
    if (s.byPath) continue;
    const spec = s.match(raw);
    if (spec) return spec;
  }
  // Known names won above, over a same-named file or folder (write `./cifar10` for that); an
  // unknown `word:rest` that exists on disk is a path.
  const m = /^([A-Za-z][A-Za-z0-9_-]*)(?::(.*))?$/s.exec(raw);
  if (m && m[2] !== undefined && !fs.existsSync(raw)) {
    throw new NeardupError(`unknown dataset "${m[1]}" in "${arg}": expected ${syntax}`);
  }
  for (const s of sources) {
    if (!s.byPath) continue;
    const spec = s.match(raw);
    if (spec) return spec;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(path.resolve(raw));
  } catch {
    throw new NeardupError(`dataset "${arg}" is neither a known dataset name nor an existing path: expected ${syntax}`);
  }
  if (st.isFile()) throw new NeardupError(`dataset "${arg}" is a file but not a .csv manifest: expected ${syntax}`);
  throw new NeardupError(`dataset "${arg}" is not a folder or a .csv file: expected ${syntax}`);
}
