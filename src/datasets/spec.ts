/**
 * The dataset argument syntax shared by the CLI and notebooks:
 * a folder path | a `.csv` manifest | `cifar100[:path]` | `cifar10[:path]` | `fashion-mnist[:path]` |
 * `mnist[:path]` | `sample`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeardupError } from '../errors';

/** Named datasets that can be read from a local copy or downloaded. */
export type ZooName = 'cifar100' | 'cifar10' | 'fashion-mnist' | 'mnist';

/** A parsed dataset argument. `path` is absolute when given. */
export type DatasetSpec =
  | { kind: 'sample' }
  | { kind: 'folder'; path: string }
  | { kind: 'manifest'; path: string }
  | { kind: 'cifar100' | 'cifar10' | 'fashion-mnist' | 'mnist'; path?: string };

const ZOO: readonly string[] = ['cifar100', 'cifar10', 'fashion-mnist', 'mnist'];
const ALIASES: Record<string, string> = {
  'cifar-100': 'cifar100',
  'cifar-10': 'cifar10',
  fashion_mnist: 'fashion-mnist',
  fashionmnist: 'fashion-mnist',
};

const SYNTAX = 'a folder, a .csv manifest, cifar100[:path], cifar10[:path], fashion-mnist[:path], mnist[:path] or sample';

/**
 * Parses a dataset argument. Throws {@link NeardupError} naming the argument when it is neither a
 * known name nor an existing folder / `.csv` file.
 */
export function parseDatasetSpec(arg: string): DatasetSpec {
  if (typeof arg !== 'string' || arg.trim() === '') {
    throw new NeardupError(`missing dataset argument: expected ${SYNTAX}`);
  }
  const raw = arg.trim();
  if (raw.toLowerCase() === 'sample') return { kind: 'sample' };

  // name[:path]. Known names win over a same-named file or folder in the current directory (write
  // `./cifar10` for that); an unknown `word:rest` that exists on disk is a path.
  const m = /^([A-Za-z][A-Za-z0-9_-]*)(?::(.*))?$/s.exec(raw);
  if (m) {
    const name = ALIASES[m[1].toLowerCase()] ?? m[1].toLowerCase();
    if (ZOO.includes(name)) {
      const p = m[2];
      if (p !== undefined && p.trim() === '') throw new NeardupError(`dataset "${arg}": empty path after "${m[1]}:"`);
      if (p !== undefined && !fs.existsSync(p)) throw new NeardupError(`dataset "${arg}": ${p} does not exist`);
      return p === undefined ? { kind: name as ZooName } : { kind: name as ZooName, path: path.resolve(p) };
    }
    if (m[2] !== undefined && !fs.existsSync(raw)) {
      throw new NeardupError(`unknown dataset "${m[1]}" in "${arg}": expected ${SYNTAX}`);
    }
  }

  const abs = path.resolve(raw);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new NeardupError(`dataset "${arg}" is neither a known dataset name nor an existing path: expected ${SYNTAX}`);
  }
  if (st.isDirectory()) return { kind: 'folder', path: abs };
  if (st.isFile() && abs.toLowerCase().endsWith('.csv')) return { kind: 'manifest', path: abs };
  throw new NeardupError(`dataset "${arg}" is a file but not a .csv manifest: expected ${SYNTAX}`);
}
