/**
 * Plain-data contracts between the stages of the pipeline
 * (dataset → DataFrame → pixels → embeddings → neighbours → duplicate groups → widget/CLI → export).
 * Every stage takes the previous stage's output as one of these shapes, so each can be tested,
 * cached and swapped alone.
 */
import type { DataFrame } from 'danfojs-node';

/**
 * Where a dataset's pixels live.
 * - `array`: raw uint8 pixels already in memory (CIFAR, IDX). `data` holds N images back to back,
 *   each `height*width*channels` bytes, either `planar` (all R, then all G, then all B, as CIFAR)
 *   or `interleaved` (RGBRGB…, or one byte per pixel when channels = 1, as IDX).
 *   Row i of the DataFrame is image i of `data`.
 * - `files`: one encoded image file per row; `paths[i]` is the absolute path of row i.
 * - `encoded`: one encoded image (JPEG, PNG, … bytes) per row held in memory, as read from a parquet
 *   file (`hf:` datasets); `images[i]` is row i's bytes, or null when the row has none.
 *
 * Code that reads pixels goes through the helpers of `src/images/source.ts` (count, raw arrays,
 * encoded bytes, byte sizes), so a new kind is added there and nowhere else in the pipeline.
 */
export type PixelSource =
  | {
      kind: 'array';
      width: number;
      height: number;
      channels: 1 | 3;
      layout: 'planar' | 'interleaved';
      data: Uint8Array;
    }
  | { kind: 'files'; paths: string[] }
  | { kind: 'encoded'; images: (Uint8Array | null)[] };

/**
 * A loaded dataset: a danfo DataFrame with one row per sample plus access to its pixels.
 * Required columns: `id` (stable, unique; relative path for folders), `filepath` (path, or
 * `<source>#<index>` for array datasets), `split`, `label`, `label_name`, `width`, `height`,
 * `original_index`; image folders add `alias_of` (id of the canonical name of the same file, or null).
 * CIFAR-100 adds `coarse_label`, `coarse_label_name`. Manifests keep extra columns.
 */
export interface Dataset {
  /** Short name such as `cifar100`, `fashion-mnist`, `sample`, or the folder's path. */
  name: string;
  df: DataFrame;
  pixels: PixelSource;
}

/**
 * Per-sample outcome of decoding + embedding: `alias` = another name (symlink, hard link, repeated
 * manifest path) of a file already in the dataset; the scan embeds the file once, under its
 * canonical row, and never groups or removes the alias (docs/datasets.md).
 */
export type SampleStatus = 'ok' | 'skipped' | 'alias';

/**
 * Embeddings for a dataset, row order tied to `ids` (= the DataFrame's `id` column).
 * `vectors` is N x dim float32, row-major, L2-normalised; rows of skipped samples are all zero.
 */
export interface Embeddings {
  ids: string[];
  dim: number;
  vectors: Float32Array;
  status: SampleStatus[];
  /** Human-readable reason for each skipped sample ('' when ok). */
  reasons: string[];
  /** Model identifier (file name + sha256 prefix) and preprocessing, for reports and caches. */
  model: string;
}

/**
 * k nearest neighbours of every row (cosine similarity on L2-normalised vectors), excluding itself.
 * `indices[i*k + j]` is the row index of the j-th neighbour of row i (-1 when there are fewer than
 * k other valid rows), `scores[i*k + j]` its cosine similarity; neighbours sorted by descending
 * score, ties broken by lower row index.
 */
export interface Neighbors {
  n: number;
  k: number;
  indices: Int32Array;
  scores: Float32Array;
  /** True when the lists were read from the on-disk neighbour cache rather than searched. */
  cached?: boolean;
}
