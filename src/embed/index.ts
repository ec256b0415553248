/**
 * Pixels → embeddings: `embedDataset` runs every sample of a {@link Dataset} through the model and
 * returns L2-normalised vectors in DataFrame row order.
 *
 * It is a two-stage pipeline: the main thread reads, hashes, decodes and normalises images into
 * batch tensors while the previous batch runs on the inference thread (see worker.ts). Vectors are
 * cached on disk by content hash (cache.ts), so a rerun only reads the cache and an interrupted run
 * resumes where it stopped. Unreadable samples are skipped with a reason; the run goes on.
 */
import type { Dataset, Embeddings, SampleStatus } from '../types';
import { NeardupError } from '../errors';
import { arrayPixels, imageCount, isEncoded, readEncoded } from '../images/source';
import { decodeForModel, DEFAULT_MAX_PIXELS, type NativePixels } from '../images/decode';
import { normalisationTables, writeRgbToTensor } from '../images/preprocess';
import { arrayImageToRgb, rawImage, writeArrayImageToTensor } from '../images/array';
import { EmbeddingModel, type ModelConfig, type PixelHeadSession } from './model';
import { contentKey, defaultEmbeddingCacheDir, EmbeddingCache } from './cache';
import { defaultEmbeddingFor } from './defaults';

export { EmbeddingModel, PixelHeadSession, defaultModelConfig, resolveModelConfig, type ModelConfig, type RawPixelShape } from './model';
export { addPixelHeadToBuffer, PIXEL_INPUT, type PixelHeadSpec } from '../onnx/pixel-head';
export { addEmbeddingOutput, addEmbeddingOutputToBuffer, type AddEmbeddingOptions, type SurgeryResult } from '../onnx/surgery';
export { EmbeddingCache, defaultEmbeddingCacheDir, contentKey } from './cache';
export { textProgress, type TextProgressOptions } from './progress';
export { defaultEmbeddingFor, isTinyGrayscale, TINY_GRAYSCALE_SIZE } from './defaults';
export { dequantizeModel } from '../onnx/dequantize';

export interface EmbedOptions {
  /**
   * Model: path to an .onnx file or a config .json, a config object, or a loaded model. Default: the
   * bundled MobileNetV2 (int8); for tiny grayscale arrays its dequantized form (defaults.ts).
   */
  model?: string | Partial<ModelConfig> | EmbeddingModel;
  /**
   * Input side in pixels; default the model's (224), or for tiny grayscale arrays with no `model`
   * given, 128 (see defaults.ts). 96–160 trade some quality for speed on photos.
   */
  size?: number;
  /** Images per inference call. Default 32. */
  batchSize?: number;
  /** Cache root, or false to disable. Default `$NEARDUP_CACHE/embeddings` (~/.cache/neardup/embeddings). */
  cacheDir?: string | false;
  /** Called as samples finish (cached, embedded or skipped), with the running count and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Image files decoded in parallel. Default 4. */
  concurrency?: number;
  /** Stops the run: vectors already computed are flushed to the cache, then the promise rejects. */
  signal?: AbortSignal;
  /** Decompression-bomb guard for files, in pixels. Default 100 M. */
  maxPixels?: number;
  /** Vectors per cache chunk file. Default 2048. */
  cacheChunkRows?: number;
  /**
   * Resize and normalise inside the model graph, fed raw uint8 bytes (src/onnx/pixel-head.ts): array datasets
   * (CIFAR, IDX), and folders whose images all share one small square size. Default: on when the
   * model takes it; false runs the JavaScript preprocessing.
   */
  pixelHead?: boolean;
  /**
   * Content view (issue 10, docs/quality.md "Content view"): image files of at least 64 px a side whose
   * uniform fill looks like letterbox bars or the corners of a rotation are embedded from the content inside
   * that fill (src/images/content-view.ts); other files, and array datasets, embed as without it. Its vectors
   * are cached under their own key. Default false.
   */
  contentView?: boolean;
}

/** {@link Embeddings} plus what the run did. */
export interface EmbedResult extends Embeddings {
  stats: { total: number; computed: number; cached: number; skipped: number; seconds: number };
  /** The model input side used, and whether the model ran with float activations (dequantized). */
  settings: { size: number; dequantized: boolean };
}

/** The DataFrame's `id` column as strings, checked against the pixel source's length. */
function datasetIds(ds: Dataset): string[] {
  if (!ds.df.columns.includes('id')) throw new NeardupError(`dataset ${ds.name}: its DataFrame has no "id" column`);
  const ids = (ds.df.column('id').values as unknown[]).map(String);
  const count = imageCount(ds.pixels);
  if (count !== ids.length) throw new NeardupError(`dataset ${ds.name}: ${ids.length} DataFrame rows but ${count} images`);
  return ids;
}

type BatchTensor = Float32Array | Uint8Array;

/** A fixed set of reusable batch tensors; taking one waits until inference hands one back. */
class TensorPool {
  private free: BatchTensor[] = [];
  private waiters: Array<{ resolve: (t: BatchTensor) => void; reject: (e: unknown) => void }> = [];
  private error: unknown;
  constructor(count: number, make: () => BatchTensor) {
    for (let i = 0; i < count; i++) this.free.push(make());
  }
  take(): Promise<BatchTensor> {
    if (this.error) return Promise.reject(this.error);
    const t = this.free.pop();
    if (t) return Promise.resolve(t);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  give(t: BatchTensor): void {
    const w = this.waiters.shift();
    if (w) w.resolve(t);
    else this.free.push(t);
  }
  fail(err: unknown): void {
    this.error = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}

interface Batch { tensor: BatchTensor; rows: number[]; keys: string[]; filled: number; }

/** Batches ready for inference, in the order they filled up. */
class BatchQueue {
  private items: Batch[] = [];
  private waiter?: (b: Batch | null) => void;
  private closed = false;
  push(b: Batch): void {
    if (this.waiter) { const w = this.waiter; this.waiter = undefined; w(b); } else this.items.push(b);
  }
  close(): void {
    this.closed = true;
    if (this.waiter && this.items.length === 0) { const w = this.waiter; this.waiter = undefined; w(null); }
  }
  next(): Promise<Batch | null> {
    const b = this.items.shift();
    if (b) return Promise.resolve(b);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/**
 * Embeds every sample of `ds`. Row i of the result is the DataFrame's row i (`ids[i]`); skipped rows
 * are all-zero with `status[i] = 'skipped'` and a human-readable `reasons[i]`.
 */
export async function embedDataset(ds: Dataset, opts: EmbedOptions = {}): Promise<EmbedResult> {
  const started = Date.now();
  const ids = datasetIds(ds);
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new NeardupError(`batchSize ${batchSize}: must be an integer from 1 to 4096`);
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
  const ownModel = !(opts.model instanceof EmbeddingModel);
  // No model named: the dataset's default (the dequantized model at 128 px for tiny grayscale arrays).
  const preset = opts.model === undefined ? defaultEmbeddingFor(ds) : {};
  const model = opts.model instanceof EmbeddingModel ? opts.model : await EmbeddingModel.load(opts.model ?? preset.model, opts.size ?? preset.size);
  if (!ownModel && opts.size !== undefined && opts.size !== model.config.size) {
    throw new NeardupError(`size ${opts.size}: the loaded model was set up for ${model.config.size} px; load it with that size`);
  }
  let head: PixelHeadSession | undefined;
  try {
    head = await pixelHeadFor(ds, model, opts.pixelHead);
    return await runPipeline(ds, ids, model, head, { ...opts, batchSize, concurrency }, started);
  } finally {
    await head?.release();
    if (ownModel) await model.release();
  }
}

/**
 * The pixel-head session, or undefined for the JavaScript path. Arrays get a head for their shape.
 * A folder whose images are all one small square size (a CIFAR or MNIST export as PNG files, per the
 * loader's width/height columns) gets a head for that size, fed each file's decoded RGB bytes.
 */
async function pixelHeadFor(ds: Dataset, model: EmbeddingModel, wanted: boolean | undefined): Promise<PixelHeadSession | undefined> {
  const px = arrayPixels(ds.pixels);
  if (wanted === false) return undefined;
  const side = px ? 0 : uniformSmallSide(ds, model.config.size);
  if (!px && !side) return undefined;
  try {
    if (!px) return await model.withPixelHead({ channels: 3, height: side, width: side, layout: 'interleaved' });
    return await model.withPixelHead({ channels: px.channels, height: px.height, width: px.width, layout: px.layout });
  } catch (err) {
    if (wanted) throw err;
    return undefined; // a model whose input cannot take the head still runs, preprocessed in JavaScript
  }
}

/**
 * A decoded file as side×side interleaved RGB bytes for a folder's pixel head: gray replicated to
 * three channels; an image of another size (the header lied, or EXIF turned it) resized bilinearly.
 */
function headBytes(img: { native: NativePixels } | { rgb: Uint8Array }, size: number, side: number): Uint8Array {
  // `rgb` is what libvips made of a larger image: size×size.
  const n = 'native' in img ? img.native : { width: size, height: size, channels: 3 as const, data: img.rgb };
  if (n.width === side && n.height === side && n.channels === 3) return n.data;
  return arrayImageToRgb({ kind: 'array', layout: 'interleaved', ...n }, 0, side);
}

/** The common side when every row's width and height are one value no larger than `size`, else 0. */
function uniformSmallSide(ds: Dataset, size: number): number {
  const cols = ds.df.columns;
  if (!cols.includes('width') || !cols.includes('height')) return 0;
  const w = ds.df.column('width').values as unknown[];
  const h = ds.df.column('height').values as unknown[];
  const side = Number(w[0]);
  if (!Number.isInteger(side) || side < 1 || side > size) return 0;
  for (let i = 0; i < w.length; i++) if (Number(w[i]) !== side || Number(h[i]) !== side) return 0;
  return side;
}

async function runPipeline(
  ds: Dataset,
  ids: string[],
  model: EmbeddingModel,
  head: PixelHeadSession | undefined,
  opts: EmbedOptions & { batchSize: number; concurrency: number },
  started: number,
): Promise<EmbedResult> {
  const n = ids.length;
  const { size, layout, mean, std } = model.config;
  const dim = await model.dimension();
  const vectors = new Float32Array(n * dim);
  const status: SampleStatus[] = new Array(n).fill('ok');
  const reasons: string[] = new Array(n).fill('');
  // The head computes the same function as the JavaScript path up to float rounding, but the int8
  // network can turn a one-ulp input difference into a visibly different vector: keep their caches apart.
  const px = ds.pixels;
  // Encoded images: `decode=2` since transparency is flattened onto a contrasting background instead of
  // always white (images/decode.ts); vectors cached by the earlier decode are not reused.
  // The content view changes the vectors of files with fill: its own cache key (`content=1`).
  const decoder = isEncoded(px) ? ` decode=2${opts.contentView ? ' content=1' : ''}` : '';
  const preprocessing = (head ? `${model.preprocessing} pixels=graph${isEncoded(px) ? `:${head.spec.width}` : ''}` : model.preprocessing) + decoder;
  const cache = opts.cacheDir === false ? null : new EmbeddingCache(opts.cacheDir ?? defaultEmbeddingCacheDir(), model.sha256, preprocessing, dim, opts.cacheChunkRows);
  const tables = normalisationTables(mean, std);
  const stats = { total: n, computed: 0, cached: 0, skipped: 0, seconds: 0 };
  const signal = opts.signal;

  let done = 0;
  let lastReport = 0;
  let lastDone = -1;
  // Cache hits and skips are throttled to ~10 calls a second; every finished inference batch, the start
  // and the end are always reported (so an abort from the callback takes effect at a batch boundary);
  // never the same count twice.
  const progress = (force = false) => {
    if (!opts.onProgress || done === lastDone) return;
    const now = Date.now();
    if (force || now - lastReport >= 100 || done === n) {
      lastReport = now;
      lastDone = done;
      opts.onProgress(done, n);
    }
  };
  progress(true);

  const skip = (row: number, reason: string) => {
    status[row] = 'skipped';
    reasons[row] = reason;
    stats.skipped++;
    done++;
    progress();
  };

  const pool = new TensorPool(3, () => (head ? new Uint8Array(opts.batchSize * head.bytesPerImage) : new Float32Array(opts.batchSize * 3 * size * size)));
  const queue = new BatchQueue();
  let current: Batch | null = null;
  let pendingBatch: Promise<void> | null = null;
  let stopped: unknown = null; // set when the consumer fails or the run is aborted

  /** Reserves the next free slot of the batch being filled, waiting for a tensor if needed. */
  async function reserve(row: number, key: string): Promise<[Batch, number]> {
    for (;;) {
      if (stopped) throw stopped;
      if (current && current.rows.length < opts.batchSize) {
        const b = current;
        b.rows.push(row);
        b.keys.push(key);
        if (b.rows.length === opts.batchSize) current = null;
        return [b, b.rows.length - 1];
      }
      if (!pendingBatch) {
        pendingBatch = pool.take().then((tensor) => {
          current = { tensor, rows: [], keys: [], filled: 0 };
          pendingBatch = null;
        });
      }
      await pendingBatch;
    }
  }
  function filled(b: Batch): void {
    b.filled++;
    if (b.filled === opts.batchSize) queue.push(b);
  }

  const tryCache = (row: number, key: string): boolean => {
    if (cache && cache.read(key, vectors, row * dim)) {
      stats.cached++;
      done++;
      progress();
      return true;
    }
    return false;
  };

  async function produce(): Promise<void> {
    const arr = arrayPixels(px);
    if (arr) {
      const prefix = Buffer.from(`array:${arr.width}x${arr.height}x${arr.channels}:${arr.layout}:`);
      for (let row = 0; row < n; row++) {
        if (signal?.aborted || stopped) break;
        // Cache hits never wait; yield now and then so progress widgets and abort signals get through.
        if ((row & 511) === 511) await new Promise((r) => setImmediate(r));
        const key = contentKey(Buffer.concat([prefix, rawImage(arr, row)]));
        if (tryCache(row, key)) continue;
        const [b, slot] = await reserve(row, key);
        if (head) b.tensor.set(rawImage(arr, row), slot * head.bytesPerImage);
        else writeArrayImageToTensor(arr, row, size, b.tensor as Float32Array, slot, mean, std, layout);
        filled(b);
      }
    } else {
      let next = 0;
      const worker = async () => {
        for (;;) {
          const row = next++;
          if (row >= n || signal?.aborted || stopped) return;
          const file = await readEncoded(px, row);
          if (!file.ok) { skip(row, file.reason); continue; }
          const key = contentKey(file.bytes);
          if (tryCache(row, key)) continue;
          const img = await decodeForModel(file.bytes, { size, maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, contentView: opts.contentView });
          if (!img.ok) { skip(row, img.reason); continue; }
          const [b, slot] = await reserve(row, key);
          if (head) b.tensor.set(headBytes(img, size, head.spec.width), slot * head.bytesPerImage);
          else if ('native' in img) writeArrayImageToTensor({ kind: 'array', layout: 'interleaved', ...img.native }, 0, size, b.tensor as Float32Array, slot, mean, std, layout);
          else writeRgbToTensor(img.rgb, size, b.tensor as Float32Array, slot, tables, layout);
          filled(b);
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, worker));
    }
    // A partly filled last batch: every reserved slot is written by now.
    if (current && current.rows.length > 0) queue.push(current);
    current = null;
  }

  async function consume(): Promise<void> {
    for (;;) {
      const b = await queue.next();
      if (!b) return;
      const count = b.rows.length;
      const out = head
        ? await head.embedPixels(b.tensor as Uint8Array, count).then((r) => ({ ...r, tensor: r.pixels as BatchTensor }))
        : await model.embedBatch(b.tensor as Float32Array, count);
      for (let i = 0; i < count; i++) {
        const row = b.rows[i];
        const v = out.data.subarray(i * dim, (i + 1) * dim);
        let norm = 0;
        for (let j = 0; j < dim; j++) norm += v[j] * v[j];
        norm = Math.sqrt(norm);
        if (!(norm > 0) || !Number.isFinite(norm)) {
          skip(row, 'the model produced an all-zero or non-finite embedding');
          continue;
        }
        const target = vectors.subarray(row * dim, (row + 1) * dim);
        for (let j = 0; j < dim; j++) target[j] = v[j] / norm;
        cache?.add(b.keys[i], target);
        stats.computed++;
        done++;
      }
      pool.give(out.tensor);
      progress(true);
    }
  }

  const consumer = consume().catch((err) => {
    stopped = err;
    pool.fail(err);
    throw err;
  });
  try {
    await produce().finally(() => queue.close());
  } catch (err) {
    if (!stopped) stopped = err;
  }
  try {
    await consumer;
  } finally {
    cache?.close();
  }
  if (stopped) throw stopped;
  if (signal?.aborted) throw signal.reason ?? new Error('embedding aborted');
  stats.seconds = (Date.now() - started) / 1000;
  progress(true);
  const settings = { size: model.config.size, dequantized: model.config.dequantize === true };
  return { ids, dim, vectors, status, reasons, model: `${model.id} ${model.preprocessing}`, stats, settings };
}
