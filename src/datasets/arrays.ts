/**
 * Shared construction of array-backed datasets (CIFAR, IDX, the sample): one block of raw uint8
 * pixels per split, concatenated, with the standard columns. Ids are `<split>/<original index>`
 * zero-padded to 5 digits, so they are stable and match between the full dataset and subsets.
 */
import type { Dataset, PixelSource } from '../types';
import { dfFromColumns } from '../frame/table';
import type { LoadOptions } from './options';

/** One split of an array dataset, straight from the source bytes. */
export interface ArraySplit {
  split: string;
  /** Image bytes, `count * width * height * channels`, back to back. */
  data: Uint8Array;
  count: number;
  labels: ArrayLike<number>;
  /** Where the pixels came from; `filepath` is `<source>#<original index>`. */
  source: string;
  /** Original index of each image in its split file (default 0..count-1). */
  originalIndex?: ArrayLike<number>;
  coarseLabels?: ArrayLike<number>;
  /** Extra per-row columns (e.g. CIFAR `filename`). */
  extra?: Record<string, ArrayLike<unknown>>;
}

export interface ArrayDatasetInfo {
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  layout: 'planar' | 'interleaved';
  labelNames: string[];
  coarseLabelNames?: string[];
}

/** Zero-padded id, e.g. `train/00042`. */
export function arrayId(split: string, index: number): string {
  return `${split}/${String(index).padStart(5, '0')}`;
}

/** Builds the Dataset, applying the `splits` and `limit` options without copying more than needed. */
export function buildArrayDataset(info: ArrayDatasetInfo, splits: ArraySplit[], opts: LoadOptions = {}): Dataset {
  const per = info.width * info.height * info.channels;
  let chosen = splits;
  if (opts.splits && opts.splits.length) chosen = splits.filter((s) => opts.splits!.includes(s.split));
  let remaining = opts.limit !== undefined && opts.limit >= 0 ? Math.floor(opts.limit) : Infinity;
  const counts = chosen.map((s) => {
    const c = Math.min(s.count, remaining);
    remaining -= c;
    return c;
  });
  const total = counts.reduce((a, b) => a + b, 0);

  const cols: Record<string, unknown[]> = {
    id: [], filepath: [], split: [], label: [], label_name: [], width: [], height: [], original_index: [],
  };
  const hasCoarse = !!info.coarseLabelNames;
  if (hasCoarse) {
    cols.coarse_label = [];
    cols.coarse_label_name = [];
  }
  const extraNames = [...new Set(chosen.flatMap((s) => Object.keys(s.extra ?? {})))];
  for (const e of extraNames) cols[e] = [];

  // One contiguous buffer; when a single split is kept whole, reuse its bytes.
  let data: Uint8Array;
  if (chosen.length === 1 && counts[0] === chosen[0].count) data = chosen[0].data.subarray(0, total * per);
  else data = new Uint8Array(total * per);
  let offset = 0;
  chosen.forEach((s, k) => {
    const c = counts[k];
    if (data.buffer !== s.data.buffer || data.byteOffset !== s.data.byteOffset) {
      data.set(s.data.subarray(0, c * per), offset * per);
    }
    for (let i = 0; i < c; i++) {
      const orig = s.originalIndex ? s.originalIndex[i] : i;
      const label = s.labels[i];
      cols.id.push(arrayId(s.split, orig));
      cols.filepath.push(`${s.source}#${orig}`);
      cols.split.push(s.split);
      cols.label.push(label);
      cols.label_name.push(info.labelNames[label] ?? String(label));
      cols.width.push(info.width);
      cols.height.push(info.height);
      cols.original_index.push(orig);
      if (hasCoarse) {
        const cl = s.coarseLabels ? s.coarseLabels[i] : null;
        cols.coarse_label.push(cl);
        cols.coarse_label_name.push(cl === null ? null : info.coarseLabelNames![cl] ?? String(cl));
      }
      for (const e of extraNames) cols[e].push(s.extra?.[e]?.[i] ?? null);
    }
    offset += c;
  });

  const pixels: PixelSource = {
    kind: 'array', width: info.width, height: info.height, channels: info.channels, layout: info.layout, data,
  };
  return { name: info.name, df: dfFromColumns(cols), pixels };
}
