/**
 * The whole scan in one call: load → exact-hash pre-pass → embed → top-k → groups → reports →
 * uniqueness. The expensive part (embeddings, neighbours) is computed once; `atThreshold` regroups
 * at another threshold or keep policy in milliseconds, which is what notebooks and the explorer
 * widget do on every slider step.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import type { Dataset, Embeddings, Neighbors } from '../types';
import { NeardupError } from '../errors';
import { loadDataset, type LoadOptions } from '../datasets';
import { embedDataset, type EmbedOptions } from '../embed';
import { defaultNeighborCacheDir, searchNeighbors, type SearchChoice, type SearchInfo } from '../similarity';
import { columnValues, dfFromColumns, hasColumn } from '../frame';
import { DEFAULT_THRESHOLD, defaultThresholdFor } from '../dedup/defaults';
import { checkKeepPolicy, groupAtThreshold, type GroupMethod, type GroupOptions, type GroupResult, type KeepPolicy } from '../dedup/groups';
import { findExactDuplicates, type ExactDuplicates } from '../dedup/exact';
import { histogram, maxSimilarity, nearestIndex, ThresholdIndex, type Histogram } from '../dedup/threshold';
import { uniqueness } from '../dedup/uniqueness';
import { addHashMatches, type HashMatchOptions } from '../dedup/verify';
import {
  crossSplitCounts,
  crossSplitReport,
  exactDuplicateReport,
  groupsFrame,
  labelConflictReport,
  pairsAtThreshold,
  pairsFrame,
  round6,
  type CrossSplitCounts,
  type ExactCounts,
  type LabelConflictCounts,
  type Pairs,
  type Report,
  type SampleInfo,
} from '../dedup/report';

/** Stages reported through {@link ScanOptions.onProgress}, in order. */
export type ScanStage = 'load' | 'exact' | 'embed' | 'similarity' | 'phash' | 'groups';

/** Options of {@link scan}. */
export interface ScanOptions {
  /**
   * Cosine similarity at or above which two samples are near-duplicates. Default:
   * {@link defaultThresholdFor} the dataset and model ({@link DEFAULT_THRESHOLD} for photos; 0.98 for
   * tiny grayscale arrays with their default, dequantized model, 0.97 with the int8 one).
   */
  threshold?: number;
  /** Group semantics (see {@link GroupMethod}); default `components`. */
  method?: GroupMethod;
  /** Which copy of a group is kept (see {@link KeepPolicy}); default `first`. */
  keep?: KeepPolicy;
  /** Neighbours kept per sample; default 10. */
  k?: number;
  /** Embedding model (path, config or loaded model); default the bundled MobileNetV2. */
  model?: EmbedOptions['model'];
  /** Model input side in pixels; default the model's (224). */
  size?: number;
  /** Images per inference call. */
  batchSize?: number;
  /**
   * Embedding cache folder, or false to disable every cache; default `$NEARDUP_CACHE/embeddings`.
   * Neighbour lists are cached beside it: `<cacheDir>/neighbors`, by default `$NEARDUP_CACHE/neighbors`.
   */
  cacheDir?: string | false;
  /**
   * Exact-duplicate pre-pass: true (default: file bytes, and decoded pixels of images up to 1 Mpx),
   * `{ pixels: false }` (bytes only), `{ maxPixels }` (pixel comparison size limit), or false.
   */
  exact?: boolean | { pixels?: boolean; maxPixels?: number };
  /** Options for loading a dataset given by name or path. */
  load?: LoadOptions;
  /**
   * Also match near-identical perceptual hashes (pHash) and count them as duplicates (docs/quality.md):
   * catches tiny and heavily degraded copies the embedding misses. `'auto'` (default) = on for image
   * files, off for in-memory arrays (28x28 / 32x32 datasets, where pHash matches many look-alikes).
   */
  phash?: boolean | 'auto' | HashMatchOptions;
  /**
   * k-NN backend (docs/similarity.md#backends): `'exact'` (default), `'ann'` (LanceDB index, exact
   * re-rank), `'auto'` (approximate above AUTO_ANN_THRESHOLD vectors), a registered name with
   * parameters, or a backend object. Recorded in summary.json.
   */
  search?: SearchChoice;
  /**
   * Embeddings and neighbour lists computed elsewhere, in dataset row order (the merge of a sharded
   * run, src/store/shard.ts): the scan neither embeds nor searches, and groups and reports as usual.
   */
  precomputed?: { embeddings: Embeddings; neighbors: Neighbors; search: SearchInfo; dequantized?: boolean };
  /** Stops embedding early (vectors already computed stay in the cache). */
  signal?: AbortSignal;
  /** Progress: stage, units done, total units (a stage starts with done = 0). */
  onProgress?: (stage: ScanStage, done: number, total: number) => void;
}

/** Counts and settings of a scan, as written to `summary.json`. */
export interface ScanSummary {
  dataset: string;
  samples: number;
  embedded: number;
  skipped: number;
  flagged: number;
  groups: number;
  to_remove: number;
  /** Groups spanning more than one split. */
  cross_split: number;
  /** Per split: samples with a near-duplicate in another split. */
  cross_split_by_split: Record<string, number>;
  /** Groups whose members have different labels. */
  label_conflicts: number;
  /** Samples byte- or pixel-identical to an earlier sample. */
  exact_duplicates: number;
  threshold: number;
  method: GroupMethod;
  keep: string;
  k: number;
  model: string;
  /** Seconds per stage, and in total. */
  timings: Record<string, number>;
  /** The neighbour lists came from the on-disk cache (a rescan of the same embeddings). */
  neighbors_cached: boolean;
  /** The k-NN backend that produced the lists, whether it is exact, and its parameters. */
  search: SearchInfo;
}

/** Everything computed once per scan and shared by every threshold view. */
interface ScanCore {
  dataset: Dataset;
  embeddings: Embeddings;
  neighbors: Neighbors;
  exact: ExactDuplicates | null;
  valid: Uint8Array;
  ids: string[];
  filepaths: string[];
  splits: (string | null)[];
  labels: (string | number | null)[];
  labelNames: (string | null)[];
  maxSimilarity: Float32Array;
  nearest: Int32Array;
  uniqueness: Float32Array;
  thresholds: ThresholdIndex;
  timings: Record<string, number>;
  neighborsCached: boolean;
  search: SearchInfo;
  k: number;
  pixelCounts?: number[];
  fileSizes?: number[];
}

/**
 * The result of {@link scan} at one threshold and keep policy. Per-sample arrays are in dataset row
 * order. DataFrames and reports are built on first use and cached.
 *
 * @example
 * const r = await scan('fashion-mnist', { threshold: 0.95 });
 * r.summary.to_remove;
 * const stricter = r.atThreshold(0.98, 'train'); // no re-embedding, no new similarity search
 * stricter.samples.query(stricter.samples['is_duplicate'].eq(true)).head().print();
 */
export class ScanResult {
  /** Grouping at this view's threshold (typed arrays; see {@link GroupResult}). */
  readonly groups: GroupResult;
  private cache: { samples?: DataFrame; pairs?: DataFrame; pairIndices?: Pairs; reports?: ScanReports; groupsTable?: DataFrame } = {};

  constructor(
    private readonly core: ScanCore,
    /** Similarity threshold of this view. */
    readonly threshold: number,
    /** Keep policy of this view. */
    readonly keep: KeepPolicy,
    /** Group semantics of this view. */
    readonly method: GroupMethod,
  ) {
    this.groups = groupAtThreshold(core.neighbors, threshold, this.groupOptions(keep, method));
  }

  /** The loaded dataset (DataFrame + pixel source). */
  get dataset(): Dataset {
    return this.core.dataset;
  }
  /** The embeddings (N x dim, L2-normalised, zero rows for skipped samples). */
  get embeddings(): Embeddings {
    return this.core.embeddings;
  }
  /** The k nearest neighbours of every sample. */
  get neighbors(): Neighbors {
    return this.core.neighbors;
  }
  /** Exact-duplicate pre-pass result, or null when it was turned off. */
  get exact(): ExactDuplicates | null {
    return this.core.exact;
  }
  /** 1 for samples that were embedded, 0 for skipped ones. */
  get valid(): Uint8Array {
    return this.core.valid;
  }
  /** Sample ids, in row order. */
  get ids(): readonly string[] {
    return this.core.ids;
  }
  /** Highest similarity to any other sample (NaN for skipped samples). */
  get maxSimilarity(): Float32Array {
    return this.core.maxSimilarity;
  }
  /** Row index of the nearest other sample (-1 when none). */
  get nearest(): Int32Array {
    return this.core.nearest;
  }
  /** Uniqueness in [0, 1] (lower = more redundant; NaN for skipped samples). */
  get uniqueness(): Float32Array {
    return this.core.uniqueness;
  }
  /** Sorted max-similarity values: `thresholds.count(t)` = samples flagged at t, O(log N). */
  get thresholds(): ThresholdIndex {
    return this.core.thresholds;
  }
  /** Seconds spent per stage. */
  get timings(): Record<string, number> {
    return this.core.timings;
  }

  /**
   * The {@link GroupOptions} this scan uses (splits, labels, validity, exact groups, sizes), so a
   * widget can call {@link groupAtThreshold} on `neighbors` directly with the same inputs.
   */
  groupOptions(keep: KeepPolicy = this.keep, method: GroupMethod = this.method): GroupOptions {
    const c = this.core;
    const opts: GroupOptions = {
      method,
      keep,
      splits: c.splits,
      labels: c.labels,
      valid: c.valid,
      exactGroups: c.exact?.group,
    };
    if (keep === 'largest') {
      opts.pixelCounts = c.pixelCounts ??= pixelCountsOf(c.dataset);
      opts.fileSizes = c.fileSizes ??= fileSizesOf(c.dataset);
    }
    return opts;
  }

  /** The same scan regrouped at another threshold / keep policy / method (cheap: no embedding or search). */
  atThreshold(threshold: number, keep: KeepPolicy = this.keep, method: GroupMethod = this.method): ScanResult {
    return new ScanResult(this.core, threshold, keep, method);
  }

  /** Histogram of max_similarity (bins as data) for threshold guidance. */
  histogram(bins = 50, range: { min?: number; max?: number } = {}): Histogram {
    return histogram(this.core.maxSimilarity, { bins, ...range });
  }

  /**
   * One row per sample: `id, filepath, split, label, label_name, status, reason, max_similarity,
   * nearest_id, group_id, is_duplicate, duplicate_of, keep, uniqueness, exact_group`.
   * `duplicate_of` is the id of the kept copy (null when kept).
   */
  get samples(): DataFrame {
    if (this.cache.samples) return this.cache.samples;
    const c = this.core;
    const g = this.groups;
    const n = c.ids.length;
    const num = (x: number) => (Number.isFinite(x) ? round6(x) : null);
    this.cache.samples = dfFromColumns(
      {
        id: c.ids,
        filepath: c.filepaths,
        split: c.splits,
        label: c.labels,
        label_name: c.labelNames,
        status: c.embeddings.status,
        reason: c.embeddings.reasons,
        max_similarity: Array.from(c.maxSimilarity, num),
        nearest_id: Array.from(c.nearest, (j) => (j >= 0 ? c.ids[j] : null)),
        group_id: Array.from(g.group_id),
        is_duplicate: Array.from(g.is_duplicate, (v) => v === 1),
        duplicate_of: Array.from(g.duplicate_of, (j) => (j >= 0 ? c.ids[j] : null)),
        keep: Array.from(g.keep, (v) => v === 1),
        uniqueness: Array.from(c.uniqueness, num),
        exact_group: c.exact ? Array.from(c.exact.group) : new Array(n).fill(-1),
      },
      SAMPLE_COLUMNS,
    );
    return this.cache.samples;
  }

  /** Near-duplicate pairs above the threshold as row indices (a < b), most similar first. */
  get pairIndices(): Pairs {
    return (this.cache.pairIndices ??= pairsAtThreshold(this.core.neighbors, this.threshold, this.core.valid));
  }

  /** Near-duplicate pairs above the threshold: `a, b, similarity, group_id` (sample ids). */
  get pairs(): DataFrame {
    return (this.cache.pairs ??= pairsFrame(this.pairIndices, this.info(), this.groups));
  }

  /** One row per group: `group_id, size, keep_id, members`. */
  get groupsTable(): DataFrame {
    return (this.cache.groupsTable ??= groupsFrame(this.groups, this.info()));
  }

  /** Leakage, label-conflict and exact-duplicate reports (DataFrames with counts). */
  get reports(): ScanReports {
    if (this.cache.reports) return this.cache.reports;
    const info = this.info();
    const exact = this.core.exact;
    this.cache.reports = {
      crossSplit: crossSplitReport(this.groups, this.pairIndices, info),
      labelConflicts: labelConflictReport(this.groups, info),
      exactDuplicates: exact ? exactDuplicateReport(exact, info) : null,
    };
    return this.cache.reports;
  }

  /** Counts and settings (what `neardup scan` writes to summary.json). */
  get summary(): ScanSummary {
    const c = this.core;
    const counts = this.groups.counts;
    let embedded = 0;
    for (let i = 0; i < c.valid.length; i++) embedded += c.valid[i];
    return {
      dataset: c.dataset.name,
      samples: c.ids.length,
      embedded,
      skipped: c.ids.length - embedded,
      flagged: counts.flagged,
      groups: counts.groups,
      to_remove: counts.to_remove,
      cross_split: counts.cross_split,
      cross_split_by_split: crossSplitCounts(this.groups, c.splits).bySplit,
      label_conflicts: counts.label_conflicts,
      exact_duplicates: counts.exact_duplicates,
      threshold: this.threshold,
      method: this.method,
      keep: typeof this.keep === 'function' ? 'custom' : this.keep,
      k: c.k,
      model: c.embeddings.model,
      timings: c.timings,
      neighbors_cached: c.neighborsCached,
      search: c.search,
    };
  }

  private info(): SampleInfo {
    const c = this.core;
    return { ids: c.ids, splits: c.splits, labels: c.labels, labelNames: c.labelNames };
  }
}

/** The reports of a {@link ScanResult}. */
export interface ScanReports {
  crossSplit: Report<CrossSplitCounts>;
  labelConflicts: Report<LabelConflictCounts>;
  /** Null when the exact pre-pass was turned off. */
  exactDuplicates: Report<ExactCounts> | null;
}

/** Column order of {@link ScanResult.samples} (and of samples.csv). */
export const SAMPLE_COLUMNS = [
  'id',
  'filepath',
  'split',
  'label',
  'label_name',
  'status',
  'reason',
  'max_similarity',
  'nearest_id',
  'group_id',
  'is_duplicate',
  'duplicate_of',
  'keep',
  'uniqueness',
  'exact_group',
];

/**
 * Scans a dataset for exact and near duplicates. `spec` is a dataset argument (folder, .csv
 * manifest, `fashion-mnist`, `cifar100`, `sample`, …) or an already loaded {@link Dataset}.
 */
export async function scan(spec: string | Dataset, opts: ScanOptions = {}): Promise<ScanResult> {
  // Checked now; when not given, the default depends on the dataset (known after loading).
  let threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < -1 || threshold > 1) {
    throw new NeardupError(`threshold must be a number from -1 to 1 (cosine similarity), got ${threshold}`);
  }
  const k = opts.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new NeardupError(`k must be an integer from 1 to 1000, got ${k}`);
  const method = opts.method ?? 'components';
  if (method !== 'components' && method !== 'fiftyone') throw new NeardupError(`method must be components or fiftyone, got ${method}`);
  const keep = opts.keep ?? 'first';
  const progress = opts.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  let last = t0;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = round3((now - last) / 1000);
    last = now;
  };

  progress('load', 0, 1);
  const dataset = typeof spec === 'string' ? await loadDataset(spec, opts.load) : spec;
  const ids = columnValues<unknown>(dataset.df, 'id').map(String);
  const n = ids.length;
  if (n === 0) throw new NeardupError(`dataset ${dataset.name} has no samples`);
  // Fail on a bad keep policy now, not after embedding.
  checkKeepPolicy(keep, hasColumn(dataset.df, 'split') ? columnValues<string | null>(dataset.df, 'split') : undefined);
  progress('load', 1, 1);
  lap('load');

  let exact: ExactDuplicates | null = null;
  if (opts.exact !== false) {
    progress('exact', 0, n);
    const x = typeof opts.exact === 'object' ? opts.exact : {};
    exact = await findExactDuplicates(dataset, { pixels: x.pixels, maxPixels: x.maxPixels, onProgress: (d, t) => progress('exact', d, t) });
    progress('exact', n, n);
  }
  lap('exact');

  progress('embed', 0, n);
  const pre = opts.precomputed;
  if (pre && (pre.embeddings.ids.length !== n || pre.neighbors.n !== n)) {
    throw new NeardupError(`precomputed embeddings/neighbours have ${pre.embeddings.ids.length}/${pre.neighbors.n} rows, the dataset ${n}`);
  }
  const embeddings = pre ? { ...pre.embeddings, settings: { dequantized: pre.dequantized } } : await embedDataset(dataset, {
    model: opts.model,
    size: opts.size,
    batchSize: opts.batchSize,
    cacheDir: opts.cacheDir,
    signal: opts.signal,
    onProgress: (d, t) => progress('embed', d, t),
  });
  lap('embed');
  // The default threshold depends on how the samples were embedded (dequantized or int8 model).
  if (opts.threshold === undefined) threshold = defaultThresholdFor(dataset, embeddings.settings);

  const valid = Uint8Array.from(embeddings.status, (s) => (s === 'ok' ? 1 : 0));
  progress('similarity', 0, 1);
  // The phash stage below adds matches to a copy; the cache holds the embedding search alone.
  const searched = pre ? { neighbors: pre.neighbors, info: pre.search } : await searchNeighbors(embeddings.vectors, n, embeddings.dim, k, {
    search: opts.search,
    valid,
    signal: opts.signal,
    cacheDir: opts.cacheDir === false ? undefined : opts.cacheDir ? join(opts.cacheDir, 'neighbors') : defaultNeighborCacheDir(),
    onProgress: (d, t) => progress('similarity', d, t),
  });
  lap('similarity');
  let neighbors = searched.neighbors;
  const neighborsCached = neighbors.cached === true;

  const phash = opts.phash ?? 'auto';
  if (phash === true || typeof phash === 'object' || (phash === 'auto' && dataset.pixels.kind === 'files')) {
    progress('phash', 0, 1);
    neighbors = (await addHashMatches(dataset, embeddings, neighbors, typeof phash === 'object' ? phash : {})).neighbors;
    progress('phash', 1, 1);
    lap('phash');
  }

  progress('groups', 0, 1);
  const str = (name: string) =>
    hasColumn(dataset.df, name) ? columnValues<unknown>(dataset.df, name).map((v) => (v == null ? null : String(v))) : new Array<null>(n).fill(null);
  const core: ScanCore = {
    dataset,
    embeddings,
    neighbors,
    exact,
    valid,
    ids,
    filepaths: str('filepath') as string[],
    splits: str('split'),
    labels: hasColumn(dataset.df, 'label')
      ? columnValues<unknown>(dataset.df, 'label').map((v) => (v == null || v === '' ? null : (v as string | number)))
      : new Array<null>(n).fill(null),
    labelNames: str('label_name'),
    maxSimilarity: maxSimilarity(neighbors, valid),
    nearest: nearestIndex(neighbors, valid),
    uniqueness: uniqueness(neighbors, valid),
    thresholds: new ThresholdIndex(new Float32Array(0)),
    timings,
    neighborsCached,
    search: searched.info,
    k,
  };
  core.thresholds = new ThresholdIndex(core.maxSimilarity);
  const result = new ScanResult(core, threshold, keep, method);
  progress('groups', 1, 1);
  lap('groups');
  timings.total = round3((performance.now() - t0) / 1000);
  return result;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** width × height of each row (0 when unknown). */
function pixelCountsOf(ds: Dataset): number[] {
  const n = ds.df.shape[0];
  if (ds.pixels.kind === 'array') return new Array(n).fill(ds.pixels.width * ds.pixels.height);
  if (!hasColumn(ds.df, 'width') || !hasColumn(ds.df, 'height')) return new Array(n).fill(0);
  const w = columnValues<number | null>(ds.df, 'width');
  const h = columnValues<number | null>(ds.df, 'height');
  return w.map((x, i) => (Number(x) || 0) * (Number(h[i]) || 0));
}

/** File size of each row in bytes (0 for array datasets and unreadable files). */
function fileSizesOf(ds: Dataset): number[] {
  if (ds.pixels.kind === 'array') return new Array(ds.df.shape[0]).fill(0);
  return ds.pixels.paths.map((p) => {
    try {
      return fs.statSync(p).size;
    } catch {
      return 0;
    }
  });
}
