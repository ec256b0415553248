/** Where neardup keeps its caches (downloads, embeddings, neighbour lists): one rule for all of them. */
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The cache root as an absolute path: `dir` when given, else `$NEARDUP_CACHE`, else
 * `~/.cache/neardup`. Relative paths are resolved against the current directory, so a cache named
 * `./cache` stays the same folder when a later step runs from elsewhere.
 */
export function cacheRoot(dir?: string): string {
  if (dir) return path.resolve(dir);
  if (process.env.NEARDUP_CACHE) return path.resolve(process.env.NEARDUP_CACHE);
  return path.join(os.homedir(), '.cache', 'neardup');
}
