/**
 * `scan({ store })`: a scan reads its embeddings and neighbour lists back from a store when the
 * store holds a scan of the same dataset, and writes them there otherwise (docs/scale.md).
 */
import { NeardupError } from '../errors';
import type { StoreOptions } from './connect';
import { readStore, type StoredScan } from './tables';

/**
 * The scan a store holds for a dataset with these `ids` (same ids in the same order), or null
 * when the store holds no scan yet.
 *
 * @param uri - a folder or `s3://bucket/prefix` (endpoint and credentials: {@link StoreOptions} or the environment).
 * @param ids - the dataset's sample ids, in row order.
 * @throws NeardupError `invalid_argument` when the store holds a scan of another dataset (it names
 *   the first row that differs; the store is left as it is: pick another URI); `io` when the store
 *   cannot be opened; `bad_format` when its tables disagree.
 */
export async function readStoreFor(uri: string, ids: readonly string[], opts: StoreOptions = {}): Promise<StoredScan | null> {
  let s: StoredScan;
  try {
    s = await readStore(uri, opts);
  } catch (e) {
    if (e instanceof NeardupError && e.code === 'not_found') return null;
    throw e;
  }
  const stored = s.embeddings.ids;
  if (stored.length !== ids.length) {
    throw new NeardupError(`store ${uri} holds a scan of ${stored.length} samples, the dataset has ${ids.length}: use another store for this dataset`);
  }
  for (let i = 0; i < ids.length; i++) {
    if (stored[i] !== ids[i]) throw new NeardupError(`store ${uri} holds a scan of another dataset: row ${i} is "${stored[i]}" there and "${ids[i]}" here; use another store for this dataset`);
  }
  return s;
}
