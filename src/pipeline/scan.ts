/**
 * The whole scan in one call: load → exact-hash pre-pass → embed → top-k → groups → reports →
 * uniqueness. The expensive part (embeddings, neighbours) is computed once; `atThreshold` regroups
 * at another threshold or keep policy in milliseconds, which is what notebooks and the explorer
 * widget do on every slider step.
 */
import { join } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import type { Dataset, Embeddings, Neighbors } from '../types';
import { NeardupError } from '../errors';
import { loadDataset, type LoadOptions } from '../datasets';
import { embedDataset, type EmbedOptions } from '../embed';
import { cosineOfRows, defaultNeighborCacheDir, searchNeighbors, type SearchChoice, type SearchInfo } from '../similarity';
import { rowsOf, topKOfRows, widenLists, WIDEN_BUDGET, WIDEN_K } from '../similarity/widen';
import { columnValues, dfFromColumns, hasColumn } from '../frame';
import { arrayPixels, encodedSizes, isEncoded } from '../images/source';
import { isTinyGrayscale } from '../embed/defaults';
import { DEFAULT_THRESHOLD, checkThreshold, defaultThresholdFor, resolveThreshold } from '../dedup/defaults';
import { tinyFolderKind } from '../dedup/tiny-files';
import { checkKeepPolicy, groupAtThreshold, type GroupMethod, type GroupOptions, type GroupResult, type KeepPolicy } from '../dedup/groups';
import { findExactDuplicates, type ExactDuplicates } from '../exact';
import { findAliases } from '../datasets/aliases';
import { fsPath } from '../datasets/names';
import { histogram, maxSimilarity, nearestIndex, ThresholdIndex, type Histogram } from '../dedup/threshold';
import { uniqueness } from '../dedup/uniqueness';
import { addHashMatches, mergeHashPairs, DEFAULT_HASH_BITS, DEFAULT_HASH_MIN_COSINE, type HashMatchOptions } from '../phash/merge';
import { verifyCandidates, defaultSure, defaultPixelSearch, defaultPixelCorrelation, defaultPixelMargin, defaultLowBand, heldInside, VERIFY_BAND, type PairEvidence, type VerifyOptions, type Verification } from '../verify';
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
export type ScanStage = 'load' | 'exact' | 'embed' | 'similarity' | 'phash' | 'verify' | 'groups';

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
  /**
   * How far a crowded list is widened (src/similarity/widen.ts): after verification, a sample whose k
   * neighbours are all at or above the threshold and include a pair the second signal rejected (look-alikes
   * took its places) is searched again, exactly, to this many neighbours, and the new pairs are verified.
   * Default {@link WIDEN_K} (32); `false` (or a value ≤ k) turns it off. Only with verification.
   */
  widen?: number | false;
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
   * Verification of candidate pairs with a second, independent signal (src/verify: keypoints with a
   * RANSAC homography, or aligned pixels for tiny images): a pair whose cosine is in the uncertain
   * band and that the second signal does not confirm is never a duplicate. Default true; false turns
   * it off (every pair above the threshold counts, as in the article); an object sets its options.
   */
  verify?: boolean | VerifyOptions;
  /**
   * Decompression-bomb guard: images with more pixels than this are skipped with the reason.
   * Default 100,000,000 (100 Mpx, a 10,000 × 10,000 image). Raise it for legitimately huge scans.
   */
  maxPixels?: number;
  /**
   * Embed image files from their content view: letterbox bars and the corners of a rotation cut off before
   * embedding (src/images/content-view.ts, docs/quality.md "Content view"). Default true since 1 December (false
   * before): chosen on the benchmark's families with the lower band, and no held-out family does worse with it
   * (docs/quality.md, "Crowded lists, tiny colour folders, the lower band and the content view by default"). Images without such fill, files under 64 px and array
   * datasets embed exactly as with false.
   */
  contentView?: boolean;
  /**
   * k-NN backend (docs/similarity.md#backends): `'exact'` (default), `'ann'` (LanceDB index, exact
   * re-rank), `'auto'` (the `hnsw` backend above AUTO_ANN_THRESHOLD vectors), a registered name with
   * parameters, or a backend object. Recorded in summary.json.
   */
  search?: SearchChoice;
  /**
   * Embeddings and neighbour lists computed elsewhere, in dataset row order (the merge of a sharded
   * run, src/store/shard.ts): the scan neither embeds nor searches, and groups and reports as usual.
   */
  precomputed?: { embeddings: Embeddings; neighbors: Neighbors; search: SearchInfo; dequantized?: boolean };
  /**
   * A store: a folder or `s3://bucket/prefix` (endpoint and credentials from the environment, or
   * `storeOptions`). When it holds a scan of this dataset (same ids in the same order: an earlier
   * scan with this option, or `neardup merge` of a sharded run), the embeddings and neighbour lists
   * are read back from it (no embedding, no search; its `k` and search backend apply). Otherwise
   * they are computed and written there, right after the search. A store holding another
   * dataset's scan is an error, never overwritten. docs/scale.md.
   */
  store?: string;
  /** How to open {@link store} (Lance storage options: `aws_endpoint`, `allow_http`, …). */
  storeOptions?: { storageOptions?: Record<string, string> };
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
  /** Rows that are another name of a file already in the dataset (status `alias`; never removed). */
  aliases: number;
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
  /**
   * Verification of candidate pairs (null when turned off): its settings, pairs checked with the
   * second signal, verified and rejected among them.
   */
  verification: Omit<Verification['stats'], 'seconds'> | null;
  /** The k-NN backend that produced the lists, whether it is exact, and its parameters. */
  search: SearchInfo;
  /** With `store`: its URI, and whether embeddings and neighbour lists were read from it (else written to it). */
  store?: { uri: string; read: boolean };
  /**
   * Embedded samples whose listed neighbours (the k nearest, or the widened list of a crowded sample) all have a
   * cosine at or above the threshold (0 when k reaches every other sample): a copy further down such a list is never a candidate, so a larger
   * `k` can find more. On the benchmark's pages of one template, k = 10 found about half the copies
   * that k = 32 lists (docs/quality.md, "The families eval replays k = 32 lists").
   */
  full_lists: number;
  /**
   * Of the `full_lists`, the samples whose own list holds a pair at or above the threshold that verification
   * rejected: lists crowded by look-alikes even after widening (`widened`), where a copy further down may still be
   * missed. A full list of verified copies is not counted: its group is connected already. The CLI suggests a larger
   * `-k` when not 0. Always 0 without verification (then the CLI speaks of `full_lists`).
   */
  crowded_lists: number;
  /**
   * Crowded lists widened after verification (`ScanOptions.widen`): how many samples' lists were searched
   * again and to how many neighbours; `over_budget` when there were crowded lists but searching them again
   * would have cost more than {@link WIDEN_BUDGET} multiply-adds (then none was widened).
   */
  widened: { rows: number; k: number; over_budget: boolean };
  /**
   * Removals with more than 1.5× the pixels (width × height as read) of the copy kept in their place: the keep policy
   * kept a smaller copy, e.g. `keep: 'first'` with a thumbnail whose name sorts first. Nothing of the picture is lost,
   * but its resolution is; the CLI suggests `--keep largest` when not 0 under 'first'. 0 when sizes are unknown.
   */
  larger_removed: number;
}

/** Everything computed once per scan and shared by every threshold view. */
interface ScanCore {
  dataset: Dataset;
  embeddings: Embeddings;
  /** Decision lists: cosine neighbours plus hash matches, minus pairs the verification rejected. */
  neighbors: Neighbors;
  /** Evidence per candidate pair, keyed by a * n + b (a < b); empty when verification is off. */
  evidence: Map<number, PairEvidence>;
  verification: Omit<Verification['stats'], 'seconds'> | null;
  /** Hamming distance of pHash matches, keyed like `evidence`. */
  hashBits: Map<number, number>;
  exact: ExactDuplicates | null;
  valid: Uint8Array;
  ids: string[];
  /** Row of the canonical name of the same file, or -1 (see datasets/aliases.ts). */
  aliasOf: Int32Array;
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
  store?: { uri: string; read: boolean };
  k: number;
  /**
   * Per row, the cosine of the last neighbour of its list (the k-th, or the widened list's last; -Infinity when
   * the list is shorter); null when k reaches every other row.
   */
  kthCosine: Float32Array | null;
  /** Per row, the highest cosine of a pair in its own candidate list that verification rejected (-Infinity: none); null without verification. */
  rejectedTop: Float32Array | null;
  /** Rows held inside another picture (src/verify `heldInside`), computed on first use; null: none. */
  heldInside?: Uint8Array | null;
  widened: { rows: number; k: number; over_budget: boolean };
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
  /**
   * The neighbour lists duplicates are decided on: the k nearest by cosine, plus pHash matches,
   * minus the pairs the verification rejected (see {@link ScanOptions.verify}).
   */
  get neighbors(): Neighbors {
    return this.core.neighbors;
  }
  /**
   * The evidence for a pair of rows (either order): cosine, the rule that decided it, keypoint
   * inliers or pixel correlation; undefined when the pair was never a candidate.
   */
  evidenceFor(a: number, b: number): PairEvidence | undefined {
    return this.core.evidence.get(Math.min(a, b) * this.core.ids.length + Math.max(a, b));
  }
  /**
   * Hamming distance (bits) of the perceptual-hash match between two rows (either order);
   * undefined when the pair was not a hash match.
   */
  hashDistanceFor(a: number, b: number): number | undefined {
    return this.core.hashBits.get(Math.min(a, b) * this.core.ids.length + Math.max(a, b));
  }
  /** The evidence of every candidate pair the verification looked at (a < b, any order); empty without verification. */
  evidencePairs(): IterableIterator<PairEvidence> {
    return this.core.evidence.values();
  }
  /** Every perceptual-hash match as `[a, b, bits]` (row indices, a < b; Hamming distance in bits). */
  *hashMatches(): Generator<[number, number, number]> {
    const n = this.core.ids.length;
    for (const [key, bits] of this.core.hashBits) yield [Math.floor(key / n), key % n, bits];
  }
  /**
   * The verification's settings (`band`, `sure` level, `minInliers`, `minCoverage`,
   * `minCorrelation`) and counts; null when the scan ran with `verify: false`.
   */
  get verification(): Omit<Verification['stats'], 'seconds'> | null {
    return this.core.verification;
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
    // A crop is visited after the photo that holds it, so the photo is kept whatever the names' order.
    if (c.heldInside === undefined) c.heldInside = heldInside(c.evidence.values(), c.ids.length);
    if (c.heldInside) opts.heldInside = c.heldInside;
    if (keep === 'largest') {
      opts.pixelCounts = c.pixelCounts ??= pixelCountsOf(c.dataset);
      opts.fileSizes = c.fileSizes ??= fileSizesOf(c.dataset);
    }
    return opts;
  }

  /** The same scan regrouped at another threshold / keep policy / method (cheap: no embedding or search). */
  atThreshold(threshold: number, keep: KeepPolicy = this.keep, method: GroupMethod = this.method): ScanResult {
    return new ScanResult(this.core, checkThreshold(threshold), keep, method);
  }

  /** Histogram of max_similarity (bins as data) for threshold guidance. */
  histogram(bins = 50, range: { min?: number; max?: number } = {}): Histogram {
    return histogram(this.core.maxSimilarity, { bins, ...range });
  }

  /**
   * One row per sample: `id, filepath, split, label, label_name, status, reason, max_similarity,
   * nearest_id, group_id, is_duplicate, duplicate_of, keep, uniqueness, exact_group, alias_of`.
   * `duplicate_of` is the id of the kept copy (null when kept); `alias_of` the id of the canonical
   * name of the same file for rows with status `alias` (null otherwise).
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
        alias_of: Array.from(c.aliasOf, (j) => (j >= 0 ? c.ids[j] : null)),
      },
      SAMPLE_COLUMNS,
    );
    return this.cache.samples;
  }

  /** Near-duplicate pairs above the threshold as row indices (a < b), most similar first. */
  get pairIndices(): Pairs {
    return (this.cache.pairIndices ??= pairsAtThreshold(this.core.neighbors, this.threshold, this.core.valid));
  }

  /**
   * Near-duplicate pairs above the threshold with their evidence: `a, b, similarity, group_id,
   * cosine, rule, inliers, coverage, containment, agreement, pixel_correlation, flipped, ocr_similarity, hash_distance` (sample ids);
   * `ocr_similarity` is the word containment of two legible text pages (src/verify/ocr.ts), empty when not read. `similarity` is
   * the score the pair was grouped on (the cosine, or a hash match's score); `rule` says what made it
   * a duplicate: `exact`, `cosine` (≥ the sure level), `verified` (keypoints or pixels), `unchecked`
   * (below the verification band, only when the threshold is set below it).
   */
  get pairs(): DataFrame {
    if (this.cache.pairs) return this.cache.pairs;
    const p = this.pairIndices;
    const c = this.core;
    const n = c.ids.length;
    const ev = Array.from(p.a, (a, x) => c.evidence.get(a * n + p.b[x]));
    const exactGroup = c.exact?.group;
    const isExact = (x: number) => !!exactGroup && exactGroup[p.a[x]] >= 0 && exactGroup[p.a[x]] === exactGroup[p.b[x]];
    const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : round6(v));
    const base = pairsFrame(p, this.info(), this.groups);
    const cols: Record<string, ArrayLike<unknown>> = {};
    for (const name of base.columns) cols[name] = columnValues(base, name);
    cols.cosine = Array.from(p.a, (a, x) => num(ev[x]?.cosine ?? cosineOfRows(c.embeddings, a, p.b[x])));
    cols.rule = Array.from(p.a, (_, x) => (isExact(x) ? 'exact' : ev[x]?.rule ?? (c.verification ? 'unchecked' : 'cosine')));
    cols.inliers = Array.from(p.a, (_, x) => (ev[x] && ev[x]!.inliers >= 0 ? ev[x]!.inliers : null));
    cols.coverage = Array.from(p.a, (_, x) => num(ev[x]?.coverage));
    cols.containment = Array.from(p.a, (_, x) => num(ev[x]?.containment));
    cols.agreement = Array.from(p.a, (_, x) => num(ev[x]?.agreement));
    cols.pixel_correlation = Array.from(p.a, (_, x) => num(ev[x]?.pixelCorrelation));
    cols.flipped = Array.from(p.a, (_, x) => ev[x]?.flipped ?? false);
    cols.ocr_similarity = Array.from(p.a, (_, x) => num(ev[x]?.ocrSimilarity));
    cols.hash_distance = Array.from(p.a, (a, x) => c.hashBits.get(a * n + p.b[x]) ?? null);
    const df = dfFromColumns(cols);
    return (this.cache.pairs = df);
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
    let aliases = 0;
    for (let i = 0; i < c.valid.length; i++) {
      embedded += c.valid[i];
      if (c.aliasOf[i] >= 0) aliases++;
    }
    return {
      dataset: c.dataset.name,
      samples: c.ids.length,
      embedded,
      skipped: c.ids.length - embedded - aliases,
      aliases,
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
      verification: c.verification,
      search: c.search,
      ...(c.store ? { store: c.store } : {}),
      full_lists: fullLists(c.kthCosine, c.valid, this.threshold),
      crowded_lists: crowdedRows(c.kthCosine, c.rejectedTop, this.threshold, c.valid).length,
      widened: c.widened,
      larger_removed: this.largerRemoved(),
    };
  }

  private largerRemoved(): number {
    if (!this.groups.counts.to_remove) return 0;
    const c = this.core;
    const dup = this.groups.duplicate_of;
    const px = (c.pixelCounts ??= pixelCountsOf(c.dataset));
    let n = 0;
    for (let i = 0; i < dup.length; i++) if (dup[i] >= 0 && px[dup[i]] > 0 && px[i] > 1.5 * px[dup[i]]) n++;
    return n;
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
  'alias_of',
];

/**
 * Scans a dataset for exact and near duplicates. `spec` is a dataset argument (folder, .csv
 * manifest, `fashion-mnist`, `cifar100`, `sample`, …) or an already loaded {@link Dataset}.
 */
export async function scan(spec: string | Dataset, opts: ScanOptions = {}): Promise<ScanResult> {
  // Checked now; when not given, the default depends on the dataset (known after loading).
  if (opts.threshold != null) checkThreshold(opts.threshold);
  const k = opts.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new NeardupError(`k must be an integer from 1 to 1000, got ${k}`);
  const widenK = opts.widen === false ? 0 : opts.widen ?? WIDEN_K;
  if (!Number.isInteger(widenK) || widenK < 0 || widenK > 1000) throw new NeardupError(`widen must be false or an integer from 0 to 1000 (0 or false: off), got ${opts.widen}`);
  const method = opts.method ?? 'components';
  if (method !== 'components' && method !== 'fiftyone') throw new NeardupError(`method must be components or fiftyone, got ${method}`);
  const keep = opts.keep ?? 'first';
  if (opts.maxPixels !== undefined && !(Number.isFinite(opts.maxPixels) && opts.maxPixels >= 1)) {
    throw new NeardupError(`maxPixels must be a positive number of pixels, got ${opts.maxPixels}`);
  }
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
  const aliasOf = await aliasRows(dataset, ids);
  progress('load', 1, 1);
  lap('load');

  let exact: ExactDuplicates | null = null;
  if (opts.exact !== false) {
    progress('exact', 0, n);
    const x = typeof opts.exact === 'object' ? opts.exact : {};
    const skip = Uint8Array.from(aliasOf, (j) => (j >= 0 ? 1 : 0));
    exact = await findExactDuplicates(dataset, { pixels: x.pixels, maxPixels: x.maxPixels, skip, onProgress: (d, t) => progress('exact', d, t) });
    progress('exact', n, n);
  }
  lap('exact');

  progress('embed', 0, n);
  // A store that already holds this dataset's scan stands in for the embedding and the search.
  const store = opts.store ? await import('../store') : null;
  const stored = store && !opts.precomputed ? await store.readStoreFor(opts.store!, ids, opts.storeOptions) : null;
  if (stored && opts.k !== undefined && opts.k !== stored.neighbors.k) {
    throw new NeardupError(`store ${opts.store} holds neighbour lists of k = ${stored.neighbors.k}, k = ${opts.k} was asked: leave k out, or use another store`);
  }
  const pre = opts.precomputed ?? (stored ? { embeddings: stored.embeddings, neighbors: stored.neighbors, search: stored.search, dequantized: stored.dequantized } : undefined);
  if (pre && (pre.embeddings.ids.length !== n || pre.neighbors.n !== n)) {
    throw new NeardupError(`precomputed embeddings/neighbours have ${pre.embeddings.ids.length}/${pre.neighbors.n} rows, the dataset ${n}`);
  }
  // Aliases are the same file as their canonical row: embed each file once.
  const embeddings = pre
    ? { ...pre.embeddings, settings: { dequantized: pre.dequantized } }
    : withAliases(
        await embedDataset(withoutAliases(dataset, ids, aliasOf), {
          model: opts.model,
          size: opts.size,
          batchSize: opts.batchSize,
          cacheDir: opts.cacheDir,
          signal: opts.signal,
          maxPixels: opts.maxPixels,
          contentView: opts.contentView ?? true,
          onProgress: (d, t) => progress('embed', d, t),
        }),
        ids,
        aliasOf,
      );
  lap('embed');
  // The default threshold depends on how the samples were embedded (dequantized or int8 model).
  // A folder of CIFAR-sized colour files gets the tiny arrays' threshold and sure level (src/dedup/tiny-files.ts).
  const tinyFiles = await tinyFolderKind(dataset);
  const tinyColourFiles = tinyFiles === 'colour';
  // A folder of tiny grayscale files (MNIST as PNG): its own threshold and pixel level, the narrow pixel search of the
  // tiny grayscale arrays, no pixel margin (src/dedup/defaults.ts TINY_GRAY_FILES_THRESHOLD).
  const tinyGrayFiles = tinyFiles === 'gray';
  const tinyGray = isTinyGrayscale(dataset.pixels) || tinyGrayFiles;
  const threshold = resolveThreshold(opts.threshold, dataset, { ...embeddings.settings, verify: opts.verify !== false, tinyColourFiles, tinyGrayFiles });

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
  if (store && !stored && !opts.precomputed) {
    const col = (c: string) => (hasColumn(dataset.df, c) ? columnValues<unknown>(dataset.df, c).map((v) => (v == null ? null : String(v))) : new Array<string | null>(n).fill(null));
    await store.writeStore(opts.store!, { embeddings, splits: col('split'), labels: col('label'), neighbors: searched.neighbors, search: searched.info, dequantized: embeddings.settings?.dequantized }, opts.storeOptions);
  }
  lap('similarity');
  let neighbors = searched.neighbors;
  const neighborsCached = neighbors.cached === true;
  // The histogram's axis is the plain cosine (the article's max_similarity), before any other signal.
  const cosineNeighbors = neighbors;

  const hashBits = new Map<number, number>();
  let withHashes = (nb: Neighbors, _rows: ReadonlySet<number>) => nb;
  const phash = opts.phash ?? 'auto';
  if (phash === true || typeof phash === 'object' || (phash === 'auto' && isEncoded(dataset.pixels))) {
    progress('phash', 0, 1);
    const ho = { maxPixels: opts.maxPixels, ...(typeof phash === 'object' ? phash : {}) };
    const h = await addHashMatches(dataset, embeddings, neighbors, ho);
    neighbors = h.neighbors;
    // Widened lists get the same matches (a match cut from a full list of 10 finds room in 32).
    // Only matches that touch a widened row: every other list stays as the first pass checked it.
    withHashes = (nb, rows) => mergeHashPairs(nb, h.pairs.filter((p) => rows.has(p.a) || rows.has(p.b)), embeddings.vectors, embeddings.dim, ho.minCosine ?? DEFAULT_HASH_MIN_COSINE, ho.bits ?? DEFAULT_HASH_BITS);
    for (const p of h.pairs) hashBits.set(Math.min(p.a, p.b) * n + Math.max(p.a, p.b), p.bits);
    progress('phash', 1, 1);
    lap('phash');
  }

  let evidence = new Map<number, PairEvidence>();
  let verification: Omit<Verification['stats'], 'seconds'> | null = null;
  let kth = kthCosine(cosineNeighbors, valid);
  // Per row, the highest cosine of a pair in its own candidate list that verification rejected (crowded_lists).
  let rejectedTop: Float32Array | null = null;
  const widened = { rows: 0, k: 0, over_budget: false };
  if (opts.verify !== false) {
    progress('verify', 0, 1);
    const vo = typeof opts.verify === 'object' ? opts.verify : {};
    const verifyOpts: VerifyOptions = {
      ...vo,
      // Every pair at the scan's own threshold is checked, even when it is set below the default band.
      band: Math.min(vo.band ?? VERIFY_BAND, threshold),
      sure: Math.max(vo.sure ?? defaultSure(dataset.pixels as never, isTinyGrayscale(dataset.pixels), tinyColourFiles), Math.min(vo.band ?? VERIFY_BAND, threshold)),
      pixelSearch: vo.pixelSearch ?? defaultPixelSearch(tinyGray),
      minCorrelation: vo.minCorrelation ?? defaultPixelCorrelation(dataset.pixels as never, tinyColourFiles, tinyGrayFiles),
      pixelMargin: vo.pixelMargin ?? defaultPixelMargin(dataset.pixels as never, tinyColourFiles || tinyGrayFiles),
      // No band for tiny files of either kind: it checks by keypoints only, which they are too small for.
      low: vo.low ?? (tinyFiles ? false : defaultLowBand(dataset.pixels as never, isTinyGrayscale(dataset.pixels), tinyColourFiles, vo)),
      // One reading per page for both passes (the widened one re-checks no pair but may meet the same pages).
      ocrWords: new Map(),
      onProgress: (d, t) => progress('verify', d, t),
    };
    const cosineOf = (a: number, b: number) => cosineOfRows(embeddings, a, b);
    const firstCandidates = neighbors;
    const v = await verifyCandidates(dataset, neighbors, cosineOf, valid, verifyOpts);
    rejectedTop = rejectedTopOf(firstCandidates, v.evidence, valid);
    neighbors = v.neighbors;
    evidence = v.evidence;
    // Seconds go to `timings.verify`, so a rescan's summary equals the first one's.
    const { seconds: _seconds, ...stats } = v.stats;
    verification = stats;
    lap('verify');

    // Crowded lists: full at the threshold, with a pair the second signal rejected. Look further there.
    // Against the lists' own length: a store or precomputed lists may hold more than `k` (opts.k unset).
    const crowded = widenK > cosineNeighbors.k && kth ? crowdedRows(kth, rejectedTop, threshold, valid) : [];
    if (crowded.length) {
      let nValid = 0;
      for (let i = 0; i < n; i++) nValid += valid[i];
      if (crowded.length * nValid * embeddings.dim > WIDEN_BUDGET) {
        widened.over_budget = true;
      } else {
        const wide = topKOfRows(embeddings.vectors, n, embeddings.dim, crowded, widenK, valid);
        // The candidates as verified above, with the crowded rows' lists widened and the pHash matches merged in
        // again: a crowded row's list is then what a search with k = widenK lists (plus matches).
        const wideCosine = widenLists(cosineNeighbors, crowded, wide, widenK);
        // Crowded rows: their widened cosine list with the pHash matches that touch them. Every other row: its list as
        // the first pass checked it (cosine top-k with its pHash matches), padded.
        const crowdedLists = rowsOf(withHashes(wideCosine, new Set(crowded)), crowded);
        const candidates = widenLists(firstCandidates, crowded, crowdedLists, widenK);
        const v2 = await verifyCandidates(dataset, candidates, cosineOf, valid, { ...verifyOpts, known: v.evidence });
        rejectedTop = rejectedTopOf(candidates, v2.evidence, valid);
        neighbors = v2.neighbors;
        evidence = v2.evidence;
        verification = mergeStats(stats, v2.stats);
        // full_lists now counts the widened rows that are still full at their last place.
        const wk = kthCosine(wideCosine, valid);
        for (const i of crowded) kth![i] = wk ? wk[i] : -Infinity;
        Object.assign(widened, { rows: crowded.length, k: widenK });
        lap('widen');
      }
    }
    progress('verify', 1, 1);
  }

  progress('groups', 0, 1);
  const str = (name: string) =>
    hasColumn(dataset.df, name) ? columnValues<unknown>(dataset.df, name).map((v) => (v == null ? null : String(v))) : new Array<null>(n).fill(null);
  const core: ScanCore = {
    dataset,
    embeddings,
    neighbors,
    evidence,
    verification,
    hashBits,
    exact,
    valid,
    ids,
    aliasOf,
    filepaths: str('filepath') as string[],
    splits: str('split'),
    labels: hasColumn(dataset.df, 'label')
      ? columnValues<unknown>(dataset.df, 'label').map((v) => (v == null || v === '' ? null : (v as string | number)))
      : new Array<null>(n).fill(null),
    labelNames: str('label_name'),
    maxSimilarity: maxSimilarity(cosineNeighbors, valid),
    nearest: nearestIndex(cosineNeighbors, valid),
    uniqueness: uniqueness(cosineNeighbors, valid),
    thresholds: new ThresholdIndex(new Float32Array(0)),
    timings,
    neighborsCached,
    search: searched.info,
    store: opts.store ? { uri: opts.store, read: stored !== null } : undefined,
    k: searched.neighbors.k,
    kthCosine: kth,
    rejectedTop,
    widened,
  };
  core.thresholds = new ThresholdIndex(core.maxSimilarity);
  const result = new ScanResult(core, threshold, keep, method);
  progress('groups', 1, 1);
  lap('groups');
  timings.total = round3((performance.now() - t0) / 1000);
  return result;
}

/**
 * Row of the canonical name of each row's file, or -1: from the loader's `alias_of` column (image
 * folders) when present, else found by device and inode for any files dataset (manifests, own
 * DataFrames). Array datasets have none.
 */
async function aliasRows(ds: Dataset, ids: string[]): Promise<Int32Array> {
  const n = ids.length;
  if (ds.pixels.kind !== 'files') return new Int32Array(n).fill(-1);
  if (!hasColumn(ds.df, 'alias_of')) return findAliases(ds.pixels.paths);
  const row = new Map<string, number>();
  ids.forEach((id, i) => row.has(id) || row.set(id, i));
  const col = columnValues<unknown>(ds.df, 'alias_of');
  return Int32Array.from(col, (v) => (v == null || v === '' ? -1 : (row.get(String(v)) ?? -1)));
}

/** The dataset without its alias rows (the same object when it has none). */
function withoutAliases(ds: Dataset, ids: string[], aliasOf: Int32Array): Dataset {
  if (ds.pixels.kind !== 'files' || !aliasOf.some((j) => j >= 0)) return ds;
  const rows: number[] = [];
  for (let i = 0; i < aliasOf.length; i++) if (aliasOf[i] < 0) rows.push(i);
  const paths = ds.pixels.paths;
  const col = (name: string) => (hasColumn(ds.df, name) ? columnValues<unknown>(ds.df, name) : null);
  const w = col('width');
  const h = col('height');
  const cols: Record<string, unknown[]> = { id: rows.map((i) => ids[i]) };
  if (w && h) {
    cols.width = rows.map((i) => w[i]);
    cols.height = rows.map((i) => h[i]);
  }
  return { name: ds.name, df: dfFromColumns(cols), pixels: { kind: 'files', paths: rows.map((i) => paths[i]) } };
}

/** Embeddings of the rows without aliases spread back to every row; alias rows get status `alias`. */
function withAliases<E extends Embeddings>(emb: E, ids: string[], aliasOf: Int32Array): E {
  const n = ids.length;
  if (emb.ids.length === n) return emb;
  const dim = emb.dim;
  const vectors = new Float32Array(n * dim);
  const status: Embeddings['status'] = new Array(n);
  const reasons: string[] = new Array(n);
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (aliasOf[i] >= 0) {
      status[i] = 'alias';
      reasons[i] = `same file as ${ids[aliasOf[i]]}`;
      continue;
    }
    vectors.set(emb.vectors.subarray(r * dim, (r + 1) * dim), i * dim);
    status[i] = emb.status[r];
    reasons[i] = emb.reasons[r];
    r++;
  }
  return { ...emb, ids, vectors, status, reasons };
}

/**
 * The cosine of each row's k-th listed neighbour (the plain cosine lists, before pHash matches and the
 * verification), or null when k reaches every other valid row, so that no list can be cut short.
 */
function kthCosine(nb: Neighbors, valid: Uint8Array): Float32Array | null {
  let nValid = 0;
  for (let i = 0; i < valid.length; i++) nValid += valid[i];
  if (nb.k >= nValid - 1) return null;
  const out = new Float32Array(nb.n).fill(-Infinity);
  for (let i = 0; i < nb.n; i++) if (valid[i]) out[i] = nb.scores[i * nb.k + nb.k - 1];
  return out;
}

/**
 * Crowded rows (src/similarity/widen.ts) at threshold `t`: valid rows whose list is full at `t` (its last cosine ≥ t)
 * and whose own candidate list holds a pair at or above `t` that verification rejected. The one definition behind
 * the widening and `crowded_lists` (at any view's threshold).
 */
function crowdedRows(kth: Float32Array | null, rejectedTop: Float32Array | null, t: number, valid: Uint8Array): number[] {
  if (!kth || !rejectedTop) return [];
  const ft = Math.fround(t);
  const out: number[] = [];
  for (let i = 0; i < kth.length; i++) if (valid[i] && kth[i] >= ft && rejectedTop[i] >= ft) out.push(i);
  return out;
}

/** Per row of `nb`, the highest cosine of a listed pair that `evidence` rejected; -Infinity when none. */
function rejectedTopOf(nb: Neighbors, evidence: ReadonlyMap<number, PairEvidence>, valid: Uint8Array): Float32Array {
  const out = new Float32Array(nb.n).fill(-Infinity);
  for (let i = 0; i < nb.n; i++) {
    if (!valid[i]) continue;
    for (let j = 0; j < nb.k; j++) {
      const o = nb.indices[i * nb.k + j];
      if (o < 0) continue;
      const e = evidence.get(Math.min(i, o) * nb.n + Math.max(i, o));
      if (e && e.rule === 'rejected' && e.cosine > out[i]) out[i] = Math.fround(e.cosine);
    }
  }
  return out;
}

/** The stats of a verification and of its second pass over widened lists (which counts its new pairs only). */
function mergeStats(a: Omit<Verification['stats'], 'seconds'>, b: Verification['stats']): Omit<Verification['stats'], 'seconds'> {
  return {
    ...a,
    candidates: b.candidates,
    checked: a.checked + b.checked,
    verified: a.verified + b.verified,
    rejected: a.rejected + b.rejected,
    // Recomputed over every pixel pair of both passes (the widened pass sees the first one's pairs too).
    marginRejected: b.marginRejected,
    ocr: { read: a.ocr.read + b.ocr.read, compared: a.ocr.compared + b.ocr.compared, vetoed: a.ocr.vetoed + b.ocr.vetoed },
    low: { settings: a.low.settings, checked: a.low.checked + b.low.checked, verified: a.low.verified + b.low.verified },
  };
}

/** Valid rows whose k-th neighbour is at or above `t` (see {@link ScanSummary.full_lists}). */
function fullLists(kth: Float32Array | null, valid: Uint8Array, t: number): number {
  if (!kth) return 0;
  const ft = Math.fround(t);
  let c = 0;
  for (let i = 0; i < kth.length; i++) if (valid[i] && kth[i] >= ft) c++;
  return c;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** width × height of each row (0 when unknown). */
function pixelCountsOf(ds: Dataset): number[] {
  const n = ds.df.shape[0];
  const arr = arrayPixels(ds.pixels);
  if (arr) return new Array(n).fill(arr.width * arr.height);
  if (!hasColumn(ds.df, 'width') || !hasColumn(ds.df, 'height')) return new Array(n).fill(0);
  const w = columnValues<number | null>(ds.df, 'width');
  const h = columnValues<number | null>(ds.df, 'height');
  return w.map((x, i) => (Number(x) || 0) * (Number(h[i]) || 0));
}

/** File size of each row in bytes (0 for array datasets and unreadable files). */
function fileSizesOf(ds: Dataset): number[] {
  return encodedSizes(ds.pixels);
}
