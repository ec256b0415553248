/**
 * The bundled sample: about 3,000 real Fashion-MNIST images (MIT license) from both splits, chosen
 * by scripts/make-sample.ts to include real exact and near duplicates (see data/sample/README.md).
 * Stored as one gzipped IDX image file plus a CSV index; loads with no network and no system data.
 * Ids and original indices match the full `fashion-mnist` dataset. Extra columns: `sample_reason`
 * (`near-duplicate`: pixel-space ground truth; `cross-split`, `scan-group`, `label-conflict`, `most-unique`: cases
 * found by scanning the full dataset with neardup; `random`; see data/sample/README.md) and `sample_group`
 * (rows picked together as one case).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { parseCsv } from '../frame/csv';
import { buildArrayDataset, type ArraySplit } from './arrays';
import { decodeIdx, FASHION_MNIST_LABELS } from './idx';
import type { LoadOptions } from './options';

/** Folder of the bundled sample (works from src/ under tsx and from dist/). */
export const SAMPLE_DIR = path.resolve(__dirname, '..', '..', 'data', 'sample');
export const SAMPLE_IMAGES = 'images-idx3-ubyte.gz';
export const SAMPLE_INDEX = 'samples.csv';

/** Loads the bundled sample. Rows are ordered train then test, each by original index. */
export async function loadSample(opts: LoadOptions = {}, dir = SAMPLE_DIR): Promise<Dataset> {
  const imgFile = path.join(dir, SAMPLE_IMAGES);
  const idxFile = path.join(dir, SAMPLE_INDEX);
  if (!fs.existsSync(imgFile) || !fs.existsSync(idxFile)) {
    throw new NeardupError(`the bundled sample is missing: expected ${imgFile} and ${idxFile}`);
  }
  const imgs = decodeIdx(await fs.promises.readFile(imgFile), imgFile);
  const { rows } = parseCsv(await fs.promises.readFile(idxFile, 'utf8'));
  const [n, h, w] = imgs.dims;
  if (rows.length !== n) throw new NeardupError(`${idxFile} has ${rows.length} rows but ${imgFile} has ${n} images`);
  const per = w * h;
  const splits: ArraySplit[] = [];
  let start = 0;
  while (start < n) {
    const split = rows[start].split;
    let end = start;
    while (end < n && rows[end].split === split) end++;
    const part = rows.slice(start, end);
    splits.push({
      split,
      data: imgs.data.subarray(start * per, end * per),
      count: end - start,
      labels: part.map((r) => Number(r.label)),
      originalIndex: part.map((r) => Number(r.original_index)),
      source: 'sample',
      extra: { sample_reason: part.map((r) => r.reason), sample_group: part.map((r) => r.group || null) },
    });
    start = end;
  }
  return buildArrayDataset(
    { name: 'sample', width: w, height: h, channels: 1, layout: 'interleaved', labelNames: FASHION_MNIST_LABELS },
    splits,
    opts,
  );
}
