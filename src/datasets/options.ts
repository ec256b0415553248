/** Options shared by every loader, and where the download cache lives. */
import { cacheRoot } from '../cache-root';

/** Options for {@link loadDataset}. */
export interface LoadOptions {
  /** Folder for downloads (default: `$NEARDUP_CACHE`, else `~/.cache/neardup`). */
  cacheDir?: string;
  /** Hugging Face Hub cache for `hf:` datasets (default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`). */
  hubCache?: string;
  /** Allow downloading a named dataset from its official URL when it is not found locally (default true). */
  download?: boolean;
  /** Keep only these splits (e.g. `['train']`); default all. */
  splits?: string[];
  /** Keep only the first `limit` rows (after the split filter), for quick runs. */
  limit?: number;
  /** Receives short progress messages (downloads, folder scans). */
  onProgress?: (message: string) => void;
}

/** The cache folder: `opts.cacheDir`, else `$NEARDUP_CACHE`, else `~/.cache/neardup`. */
export function resolveCacheDir(opts: LoadOptions = {}): string {
  return cacheRoot(opts.cacheDir);
}
