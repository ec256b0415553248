/**
 * Shared construction of datasets whose images are encoded one per row (folders, manifests, `hf:`
 * parquet files), beside {@link buildArrayDataset} for raw arrays: the split and limit options,
 * label coding, image sizes, and the standard columns in one place.
 */
import type { Dataset, PixelSource } from '../types';
import { dfFromColumns } from '../frame/table';
import { mapLimit } from '../map-limit';
import { imageSize } from './folder';
import type { LoadOptions } from './options';

/**
 * Row indices kept by the `splits` and `limit` options, in order. `splitOf` gives each row's split
 * (null = none, never kept when splits are asked for); pass null when the source has no split
 * information at all, and every row is kept whatever `splits` says (a manifest without a `split` column).
 */
export function selectRows(count: number, splitOf: ((i: number) => string | null) | null, opts: LoadOptions = {}): number[] {
  let keep = Array.from({ length: count }, (_, i) => i);
  if (opts.splits && opts.splits.length && splitOf) keep = keep.filter((i) => { const s = splitOf(i); return s !== null && opts.splits!.includes(s); });
  if (opts.limit !== undefined && opts.limit >= 0) keep = keep.slice(0, Math.floor(opts.limit));
  return keep;
}

/** Codes label names by their sorted order: `{ codes, names }` with null for rows without a label. */
export function codeLabelNames(labels: readonly (string | null)[]): { codes: (number | null)[]; names: string[] } {
  const names = [...new Set(labels.filter((l): l is string => l !== null && l !== ''))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  return { codes: labels.map((l) => (l === null || l === '' ? null : index.get(l)!)), names };
}

/** The per-row columns of a file-backed dataset, already restricted to the kept rows. */
export interface FileRows {
  id: string[];
  filepath: string[];
  split: (string | null)[];
  label: (number | null)[];
  label_name: (string | null)[];
  original_index: number[];
  /** Extra columns after the standard ones, in order (names already safe for a DataFrame). */
  extra?: Record<string, unknown[]>;
}

/**
 * Builds the Dataset: reads each image's size (width/height after EXIF orientation; null when the
 * header cannot be read, and the embedding stage later records why) with at most 8 reads at once,
 * then the standard columns `id, filepath, split, label, label_name, width, height, original_index`
 * and the extra ones.
 * @param pixels `files` (one path per row) or `encoded` (bytes per row), same order as `rows`.
 */
export async function buildFileDataset(name: string, rows: FileRows, pixels: Extract<PixelSource, { kind: 'files' | 'encoded' }>, opts: LoadOptions = {}): Promise<Dataset> {
  const inputs: (string | Uint8Array | null)[] = pixels.kind === 'files' ? pixels.paths : pixels.images;
  opts.onProgress?.(`reading sizes of ${inputs.length} images`);
  const sizes = await mapLimit(inputs, 8, (x) => (x === null ? Promise.resolve({ width: null, height: null }) : imageSize(x)));
  const cols: Record<string, unknown[]> = {
    id: rows.id,
    filepath: rows.filepath,
    split: rows.split,
    label: rows.label,
    label_name: rows.label_name,
    width: sizes.map((s) => s.width),
    height: sizes.map((s) => s.height),
    original_index: rows.original_index,
    ...rows.extra,
  };
  return { name, df: dfFromColumns(cols), pixels };
}
