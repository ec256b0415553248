/**
 * neardup: find and remove duplicate and near-duplicate images in machine-learning datasets.
 *
 * The public API, one section per pipeline stage. Everything importable from a notebook cell
 * (`import { ... } from "neardup"`) or a script is re-exported here.
 * @packageDocumentation
 */
export * from './types';
export * from "./errors";

/** Similarity: exact blocked cosine top-k (`topK`, `topKSync`, `topKReference`; on-disk lists with `cacheDir`, `defaultNeighborCacheDir`) and queries over the result: `cosine`, `neighborsOf`, `neighborColumns`, `withNeighborColumns` (see docs/similarity.md). */
export * from './similarity';
/** Stores: embeddings and neighbour lists as Lance tables in a folder or s3:// (`writeStore`, `readStore`), and sharded runs (`embedShard`, `searchShard`, `mergeShards`; docs/scale.md). */
export * from './store';

/** DataFrame helpers and atomic CSV/JSON export: `writeFileAtomic`, `writeCsv`, `writeJson`, `dfFromRows`, `rowsFromDf`, `columnValues`, ... */
export * from './frame';
/**
 * Datasets → DataFrame: `loadDataset(spec, opts)` for a folder, a `.csv` manifest, `cifar100[:path]`,
 * `cifar10[:path]`, `fashion-mnist[:path]`, `mnist[:path]` or the bundled `sample`; `parseDatasetSpec`.
 */
export * from './datasets';

/**
 * Pixels → embeddings: `embedDataset(ds, opts)` (L2-normalised N x d vectors in row order, skipped rows
 * with reasons, on-disk cache, `settings` used), `EmbeddingModel` (`load`, `embedBatch`, `classify`,
 * `withPixelHead`), `ModelConfig` (`dequantize` for float activations), `defaultEmbeddingFor` (the
 * per-dataset model and size), `dequantizeModel`, `addEmbeddingOutput` (ONNX surgery), `textProgress`;
 * image decoding in `decodeImage`/`decodeImageFile`/`decodeForModel`, `thumbnailPng` (see docs/embeddings.md).
 */
export * from './embed';
export * from './images';

/**
 * Detection quality (see docs/quality.md): perceptual hashes and hash matching merged into the
 * neighbour lists (`phash`, `hamming`, `hashPairs`, `mergeHashPairs`, `addHashMatches`), the GeM /
 * mirror-view embedding head (`addRobustEmbedding`), pixel views (`flipRgb`, `grayRgb`, `makeViews`,
 * `averageViews`) and uniform-border trimming (`findContentBox`, `trimImage`).
 */
export { phash, phashFromGrid, lumaGrid, hamming, hammingAt, phashAll } from './dedup/phash';
export { hashPairs, hashScore, mergeHashPairs, addHashMatches, datasetHashes, DEFAULT_HASH_BITS, DEFAULT_HASH_MIN_COSINE, type HashPair, type HashMatchOptions } from './dedup/verify';
export { addRobustEmbedding, addRobustEmbeddingToBuffer, type RobustEmbeddingOptions } from './embed/quality-model';
export { flipRgb, grayRgb, makeViews, averageViews, VIEW_NAMES, type ViewName } from './embed/views';
export { findContentBox, trimImage, type TrimOptions, type ContentBox } from './images/trim';

/** Duplicates: `groupAtThreshold` (components / FiftyOne semantics, keep policies), `ThresholdIndex`, `histogram`, `maxSimilarity`, `uniqueness`, `findExactDuplicates`, reports, `DEFAULT_THRESHOLD`. */
export * from './dedup';

/** Widgets (kernel side, ipywidgets protocol 2.1): `Widget` base class, `IntSlider`, `FloatSlider`, `Button`, `Dropdown`, boxes, `Output`, `display`, `progressBar` (see docs/kernel.md). */
export * from './widgets';

/** Export: `exportSamples`, `removeList`, `writeRemoveList`, `dedupCopy` (copy / hardlink / dry run, never touches the input). */
export * from './export';

/** The whole scan: `scan(dataset, options)` → `ScanResult` (samples/pairs DataFrames, reports, summary, `atThreshold`), `writeScanOutputs`. */
export * from './pipeline';

/**
 * The duplicate explorer widget: `explore(result, { threshold })` / `explore(df, result, { threshold })`
 * → `Explorer` (live `threshold`, `tags`, `counts`, `toDataFrame()`, `removed()`, `export(path)`; see docs/explorer.md).
 */
export * from './widgets/explorer';

/** Static notebook output that survives saving: `showTable`/`tableHtml` (escaped HTML tables), `showImages`/`imageGridHtml` (thumbnail grids, pairs side by side). */
export * from './notebook';
