/**
 * One physical file reached under several names: a symlink to a file (in the same folder or
 * another), a hard link, the same path listed twice in a manifest. Such rows are one file, not
 * duplicates: deleting "the copy" would delete the only one (or leave a dangling link). The scan
 * marks them `alias` (see docs/datasets.md) and never puts them in a remove list.
 *
 * Identity is the device and inode of the file a path leads to (`stat`, following links), which is
 * what makes two names one file for hard links and symlinks alike.
 */
import * as fs from 'node:fs';
import { fsPath } from './names';

/**
 * For each path, the row of the canonical name of its file, or -1 when the row is itself canonical
 * (or its file cannot be reached). Canonical: the first row whose path is not a symlink, else the
 * first row (a symlink whose target lies outside the dataset is then the only name it has).
 */
export async function findAliases(paths: readonly string[]): Promise<Int32Array> {
  const n = paths.length;
  const key: (string | null)[] = new Array(n).fill(null);
  const link = new Uint8Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const p = fsPath(paths[i]);
      try {
        const st = await fs.promises.stat(p, { bigint: true });
        if (!st.isFile() || st.ino === 0n) continue; // no usable inode (some network file systems)
        key[i] = `${st.dev}:${st.ino}`;
        link[i] = (await fs.promises.lstat(p)).isSymbolicLink() ? 1 : 0;
      } catch {
        // unreadable, dangling or looping: not an alias of anything (the embed stage says why)
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, n) }, worker));
  const canonical = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = key[i];
    if (k === null) continue;
    const c = canonical.get(k);
    if (c === undefined || (link[c] === 1 && link[i] === 0)) canonical.set(k, i);
  }
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const k = key[i];
    if (k === null) continue;
    const c = canonical.get(k)!;
    if (c !== i) out[i] = c;
  }
  return out;
}
