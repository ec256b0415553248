/**
 * Datasets → DataFrame. `loadDataset(spec)` turns a dataset argument (see {@link parseDatasetSpec})
 * into a {@link Dataset}: a danfo DataFrame with one row per sample plus its pixel source.
 */
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { parseDatasetSpec, type DatasetSpec } from './spec';
import { datasetSource } from './registry';
import type { LoadOptions } from './options';

export { parseDatasetSpec, type DatasetSpec, type ZooName } from './spec';
export { datasetSources, datasetSource, datasetSyntax, registerDatasetSource, type DatasetSource } from './registry';
export { resolveCacheDir, type LoadOptions } from './options';
export { loadFolder, listImageFiles, looksLikeImage, IMAGE_EXTENSIONS, SPLIT_NAMES } from './folder';
export { loadManifest } from './manifest';
export { loadSample, SAMPLE_DIR } from './sample';
export { loadIdxFolder, decodeIdx, encodeIdx, FASHION_MNIST_LABELS, MNIST_LABELS, DEBIAN_FASHION_MNIST_DIR } from './idx';
export { loadCifar } from './cifar';
export { readPickle, type PyNdarray } from './pickle';
export { downloadFile, ensureZooFile, md5File, zooUrl, ZOO_FILES, type ZooFile, type DownloadOptions } from './zoo';
export { arrayId } from './arrays';
export { buildFileDataset, selectRows, codeLabelNames, type FileRows } from './files';
export { loadHf, parseHfSpec, fetchHfSnapshot, hubCacheDir, hubEndpoint, HF_SYNTAX, type HfSpec } from './hf';

/**
 * Loads an already parsed spec with its registered source.
 * @throws {@link NeardupError} for a kind no source is registered for, and whatever the source's loader throws.
 */
export async function loadDatasetSpec(spec: DatasetSpec, opts: LoadOptions = {}): Promise<Dataset> {
  const source = datasetSource(spec.kind);
  if (!source) throw new NeardupError(`unknown dataset kind ${spec.kind}`);
  return source.load(spec, opts);
}

/**
 * Loads a dataset from its argument: a folder path | a `.csv` manifest | `cifar100[:path]` |
 * `cifar10[:path]` | `fashion-mnist[:path]` | `mnist[:path]` | `hf:owner/name[@revision][:split]` |
 * `sample` (the registered sources: {@link datasetSyntax}).
 * @returns a {@link Dataset}: a DataFrame with one row per sample (`id`, `filepath`, `split`, `label`,
 *   `label_name`, `width`, `height` in pixels, `original_index`, …) and its pixel source.
 * @throws {@link NeardupError} naming the argument when it is bad or missing, or the file when a
 *   dataset file cannot be read or parsed.
 */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<Dataset> {
  return loadDatasetSpec(parseDatasetSpec(spec), opts);
}
