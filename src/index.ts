/**
 * neardup: find and remove duplicate and near-duplicate images in machine-learning datasets.
 *
 * The public API for notebooks and scripts, one section per pipeline stage:
 * dataset → DataFrame → pixels → embeddings → neighbours → duplicate groups → explorer → export.
 * Explicit names only: adding one is a decision (test/api/exports.json snapshots this list).
 * The ipywidgets toolkit is at `neardup/widgets`, the Jupyter kernel at `neardup/kernel`, the ONNX
 * model tooling at `neardup/onnx`.
 * @packageDocumentation
 */

/** Plain-data contracts between stages (src/types.ts) and the library's error, with its stable `code`. */
export type { Dataset, PixelSource, Embeddings, Neighbors, SampleStatus } from './types';
export { NeardupError, type NeardupErrorCode } from './errors';
/** danfo.js's DataFrame, the table type of `Dataset.df`, `ScanResult.samples` and `Explorer.toDataFrame()`. */
export type { DataFrame } from 'danfojs-node';

/**
 * The whole scan: `scan(dataset, options)` → {@link ScanResult} (samples/pairs DataFrames, reports,
 * summary, `atThreshold` for a cheap regroup), and `writeScanOutputs` (the CLI's files).
 */
export { scan, ScanResult, writeScanOutputs, type ScanOptions, type ScanSummary, type ScanReports, type ScanStage, type ScanOutputs } from './pipeline';

/**
 * Datasets → DataFrame: `loadDataset(arg, opts)` for a folder, a `.csv` manifest, `cifar100[:path]`,
 * `cifar10[:path]`, `fashion-mnist[:path]`, `mnist[:path]`, `hf:owner/name[@revision][:split]` or
 * `sample`; the source registry (`registerDatasetSource`, `datasetSources`, `datasetSyntax`) and
 * the builders a new source uses (`buildFileDataset`) (see docs/datasets.md).
 */
export {
  loadDataset,
  loadDatasetSpec,
  parseDatasetSpec,
  registerDatasetSource,
  datasetSources,
  datasetSyntax,
  buildFileDataset,
  type DatasetSource,
  type DatasetSpec,
  type FileRows,
  type LoadOptions,
} from './datasets';

/**
 * Pixels → embeddings: `embedDataset(ds, opts)` (L2-normalised N × d float32 vectors in row order,
 * skipped rows with reasons, on-disk cache), `EmbeddingModel`, `ModelConfig`, the per-dataset
 * defaults `defaultEmbeddingFor`, and `textProgress` (see docs/embeddings.md).
 */
export { embedDataset, EmbeddingModel, defaultEmbeddingFor, textProgress, type EmbedOptions, type EmbedResult, type ModelConfig } from './embed';
/** Image decoding as the embedding does it, and PNG thumbnails. */
export { decodeImage, thumbnailPng, type DecodeOptions, type DecodeResult } from './images';

/**
 * Search: exact blocked cosine top-k (`topK`; `Neighbors` lists) and queries over the result:
 * `cosine`, `neighborsOf`, `neighborColumns`, `withNeighborColumns` (see docs/similarity.md).
 */
export { topK, cosine, neighborsOf, neighborColumns, withNeighborColumns, type TopKOptions, type Neighbor, type NeighborColumns } from './similarity';
/**
 * Search backends (docs/similarity.md, docs/scale.md): `searchNeighbors` with `exact` or `ann` (LanceDB
 * index, exact re-rank), `registerSearchBackend` for another engine; stores of embeddings and neighbour
 * lists as Lance tables in a folder or s3:// (`writeStore`, `readStore`) and sharded runs.
 */
export { searchNeighbors, registerSearchBackend, searchBackendNames, AUTO_ANN_THRESHOLD, type SearchBackend, type SearchInfo, type SearchChoice } from './similarity';
export { writeStore, readStore, embedShard, searchShard, mergeShards, type StoredScan } from './store';
/**
 * Verification of candidate pairs with a second signal (docs/duplicates.md): `verifyCandidates`,
 * its defaults, and the evidence each pair carries.
 */
export { verifyCandidates, VERIFY_BAND, SURE_COSINE, TINY_GRAYSCALE_SURE, TINY_ARRAY_SURE, defaultSure, defaultPixelSearch, MIN_INLIERS, MIN_COVERAGE, MIN_AGREEMENT, MIN_IDENTITY_AGREEMENT, MIN_PIXEL_CORRELATION, TINY_PIXEL_CORRELATION, defaultPixelCorrelation, type PairEvidence, type VerdictRule, type VerifyOptions, type Verification } from './verify';

/** Exact duplicates, the pre-pass before embedding: byte- and pixel-identical samples (see docs/duplicates.md). */
export { findExactDuplicates, type ExactDuplicates, type ExactOptions } from './exact';

/**
 * Duplicate groups at a threshold (components or FiftyOne semantics, keep policies), the
 * threshold's default and check, the max-similarity histogram and uniqueness.
 */
export {
  groupAtThreshold,
  DEFAULT_THRESHOLD,
  TINY_ARRAY_THRESHOLD,
  defaultThresholdFor,
  resolveThreshold,
  checkThreshold,
  histogram,
  maxSimilarity,
  uniqueness,
  type GroupResult,
  type GroupOptions,
  type GroupMethod,
  type KeepPolicy,
  type KeepFunction,
  type Histogram,
} from './dedup';
/** Reports: train/test leakage, label conflicts, exact duplicates (DataFrames, see docs/duplicates.md). */
export { crossSplitReport, labelConflictReport, exactDuplicateReport, type Report } from './dedup';

/** Export: sample tables (CSV / JSON), remove lists, a deduplicated copy of a folder (never touches the input). */
export { exportSamples, removeList, writeRemoveList, dedupCopy, type SampleFilter, type RemoveEntry, type DedupCopyOptions } from './export';
/** DataFrame helpers and atomic CSV / JSON writing. */
export { columnValues, rowsFromDf, dfFromRows, readCsv, writeCsv, writeJson } from './frame';

/**
 * The duplicate explorer widget: `explore(result, { threshold })` → {@link Explorer} (live
 * `threshold`, `tags`, `counts`, `toDataFrame()`, `removed()`, `export(path)`; see docs/explorer.md),
 * plus `display` and `progressBar` for notebook cells and static outputs (`showTable`, `showImages`).
 */
export { explore, Explorer, type ExploreOptions, type ExplorerSource } from './widgets/explorer';
export { display } from './widgets/base';
export { progressBar } from './widgets/progress';
export { showTable, showImages } from './notebook';
