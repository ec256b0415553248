/**
 * The embedding model: an onnxruntime-node CPU session plus the preprocessing it expects.
 *
 * The default is the bundled MobileNetV2 (ImageNet, int8) with an `embedding` output added by
 * model surgery (see src/onnx/surgery.ts). Any other ONNX image model can be used through a
 * {@link ModelConfig}, given inline or as a JSON file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InferenceWorker, type WorkerOutputs } from './worker';
import { addPixelHeadToBuffer, pixelInputDims, PIXEL_INPUT, type PixelHeadSpec } from '../onnx/pixel-head';
import { dequantizeModel } from '../onnx/dequantize';
import { NeardupError } from '../errors';
import { IMAGENET_MEAN, IMAGENET_STD } from '../images/preprocess';

/** How to feed an ONNX model and which output is the embedding. */
export interface ModelConfig {
  /** Path of the .onnx file (relative paths in a JSON config are relative to the config file). */
  path: string;
  /** Name of the image input tensor. */
  input: string;
  /** Name of the embedding output tensor: [N, d], or [N, d, h, w] (mean-pooled here). */
  output: string;
  /** Input side in pixels (images are resized to size x size). */
  size: number;
  /** Per-channel mean and std applied to pixel/255, RGB order. */
  mean: number[];
  std: number[];
  /** Tensor layout of the input. */
  layout: 'NCHW' | 'NHWC';
  /** Optional class-logits output, for {@link EmbeddingModel.classify}. */
  logits?: string;
  /** Optional text file with one class name per line, in logit order. */
  labels?: string;
  /**
   * Run an int8 (QOperator) model with float activations (dequantize.ts): the same weights, results
   * that do not depend on the CPU's int8 kernels and do not jump on one-unit input changes, at about
   * half the speed. Default false.
   */
  dequantize?: boolean;
}

/** Root of the installed package (works from src/ under tsx and from dist/). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..');

/**
 * The bundled default: MobileNetV2 with a surgically added 1280-d `embedding` output, GeM-pooled
 * (p = 3) rather than mean-pooled: same cost, clearly better copy detection (docs/quality.md).
 * The mean-pooled `mobilenetv2-12-int8-embed.onnx` stays bundled for comparison.
 */
export function defaultModelConfig(): ModelConfig {
  return {
    path: join(PACKAGE_ROOT, 'models', 'mobilenetv2-12-int8-gem.onnx'),
    input: 'input',
    output: 'embedding',
    size: 224,
    mean: [...IMAGENET_MEAN],
    std: [...IMAGENET_STD],
    layout: 'NCHW',
    logits: 'output',
    labels: join(PACKAGE_ROOT, 'models', 'imagenet_synset.txt'),
  };
}

/**
 * Resolves the `model` option: undefined → the default; a `.json` path → a config file merged over
 * the default's preprocessing; an `.onnx` path → that file with the default's tensor names and
 * preprocessing; an object → merged over the default.
 */
export function resolveModelConfig(model?: string | Partial<ModelConfig>): ModelConfig {
  const base = defaultModelConfig();
  if (model === undefined) return base;
  if (typeof model === 'string') {
    if (!existsSync(model)) throw new NeardupError(`--model ${model}: file not found`);
    if (model.toLowerCase().endsWith('.json')) {
      let cfg: Partial<ModelConfig>;
      try {
        cfg = JSON.parse(readFileSync(model, 'utf8'));
      } catch (err) {
        throw new NeardupError(`--model ${model}: not valid JSON (${(err as Error).message})`);
      }
      if (!cfg.path) throw new NeardupError(`--model ${model}: the config needs a "path" to the .onnx file`);
      const rel = (p: string | undefined) => (p && !isAbsolute(p) ? resolve(dirname(model), p) : p);
      return validateConfig({ ...base, logits: undefined, ...cfg, path: rel(cfg.path)!, labels: rel(cfg.labels) }, model);
    }
    return validateConfig({ ...base, path: model, logits: undefined, labels: undefined }, model);
  }
  return validateConfig({ ...base, ...model } as ModelConfig, 'model config');
}

function validateConfig(cfg: ModelConfig, label: string): ModelConfig {
  const bad = (what: string) => new NeardupError(`${label}: ${what}`);
  if (!existsSync(cfg.path)) throw bad(`model file ${cfg.path} not found`);
  if (!Number.isInteger(cfg.size) || cfg.size < 16 || cfg.size > 1024) throw bad(`size must be an integer from 16 to 1024 (got ${cfg.size})`);
  for (const k of ['mean', 'std'] as const) {
    const v = cfg[k];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw bad(`${k} must be 3 numbers (RGB)`);
  }
  if (cfg.std.some((x) => x === 0)) throw bad('std must not contain 0');
  if (cfg.layout !== 'NCHW' && cfg.layout !== 'NHWC') throw bad(`layout must be "NCHW" or "NHWC" (got ${cfg.layout})`);
  if (!cfg.input || !cfg.output) throw bad('input and output tensor names are required');
  if (cfg.dequantize !== undefined && typeof cfg.dequantize !== 'boolean') throw bad(`dequantize must be true or false (got ${JSON.stringify(cfg.dequantize)})`);
  return cfg;
}

export interface SessionOptions {
  /** Threads for one inference; default all cores. */
  threads?: number;
}

/** Raw pixels as an array dataset stores them. */
export type RawPixelShape = Pick<PixelHeadSpec, 'channels' | 'height' | 'width' | 'layout'>;

/** The model with a pixel head, from {@link EmbeddingModel.withPixelHead}. */
export class PixelHeadSession {
  /** Bytes of one image in the uint8 batch. */
  readonly bytesPerImage: number;
  constructor(
    readonly spec: PixelHeadSpec,
    private readonly ops: {
      run: (pixels: Uint8Array, count: number) => Promise<{ dim: number; data: Float32Array; pixels: Uint8Array }>;
      release: () => Promise<void>;
    },
  ) {
    this.bytesPerImage = spec.channels * spec.height * spec.width;
  }

  /**
   * Embeds `count` images packed as raw bytes in `pixels` and returns the raw embeddings, [count, d]
   * (not normalised). The bytes are lent to the inference thread: use the returned `pixels` afterwards.
   */
  embedPixels(pixels: Uint8Array, count: number): Promise<{ dim: number; data: Float32Array; pixels: Uint8Array }> {
    return this.ops.run(pixels, count);
  }

  release(): Promise<void> {
    return this.ops.release();
  }
}

/** A loaded model ready to embed or classify batches of preprocessed tensors. */
export class EmbeddingModel {
  /** Short identifier: file name and sha256 prefix. */
  readonly id: string;
  readonly sha256: string;
  private labelNames?: string[];

  /** `modelBytes`: the model as loaded (the file's bytes, or their dequantized form). */
  private constructor(readonly config: ModelConfig, private session: InferenceWorker, sha: string, private readonly modelBytes: Uint8Array) {
    this.sha256 = sha;
    this.id = `${basename(config.path)}@${sha.slice(0, 12)}${config.dequantize ? ' (dequantized)' : ''}`;
  }

  /** Loads the model in `config` (see {@link resolveModelConfig}) into a CPU session. */
  static async load(model?: string | Partial<ModelConfig>, size?: number, opts: SessionOptions = {}): Promise<EmbeddingModel> {
    const cfg = resolveModelConfig(model);
    if (size !== undefined) {
      if (!Number.isInteger(size) || size < 16 || size > 1024) throw new NeardupError(`--size ${size}: must be an integer from 16 to 1024`);
      cfg.size = size;
    }
    // Read once: hashed for the cache key, kept for pixel heads. A dequantized model exists only in
    // memory; the cache key still names the file (plus `dequantized` in the preprocessing).
    const fileBytes = readFileSync(cfg.path);
    const bytes = cfg.dequantize ? dequantizeModel(fileBytes, basename(cfg.path)) : undefined;
    let session: InferenceWorker;
    try {
      session = await InferenceWorker.create(cfg.path, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        intraOpNumThreads: opts.threads ?? availableParallelism(),
        interOpNumThreads: 1,
      }, bytes);
    } catch (err) {
      throw new NeardupError(`cannot load ONNX model ${cfg.path}: ${String((err as Error).message).split('\n')[0]}`);
    }
    for (const [what, name] of [['input', cfg.input], ['output', cfg.output], ['logits', cfg.logits]] as const) {
      if (!name) continue;
      const list = what === 'input' ? session.inputNames : session.outputNames;
      if (!list.includes(name)) {
        throw new NeardupError(`model ${cfg.path} has no ${what === 'input' ? 'input' : 'output'} "${name}" (it has: ${list.join(', ')}); add one with \`neardup model add-embedding\``);
      }
    }
    return new EmbeddingModel(cfg, session, createHash('sha256').update(fileBytes).digest('hex'), bytes ?? fileBytes);
  }

  private dim?: number;

  /** Embedding dimension, found by running one blank image once. */
  async dimension(): Promise<number> {
    if (this.dim === undefined) {
      const s = this.config.size;
      const { dim } = await this.embedBatch(new Float32Array(3 * s * s), 1);
      this.dim = dim;
    }
    return this.dim;
  }

  /** Preprocessing fingerprint: everything besides the weights that changes the vectors. */
  get preprocessing(): string {
    const c = this.config;
    return `size=${c.size} layout=${c.layout} mean=${c.mean.join(',')} std=${c.std.join(',')} output=${c.output} resize=fill upscale=bilinear flatten=white${c.dequantize ? ' dequantized' : ''}`;
  }

  /**
   * Runs one batch (`count` images packed in `tensor`) and returns the raw embeddings, [count, d]
   * (4-D outputs are mean-pooled over their spatial axes). Not normalised.
   * The tensor's memory is lent to the inference thread: use the returned `tensor` afterwards.
   */
  async embedBatch(tensor: Float32Array, count: number): Promise<{ dim: number; data: Float32Array; tensor: Float32Array }> {
    const { out, tensor: back } = await this.run(tensor, count, this.config.output);
    return { ...pool(out, count, this.config.layout), tensor: back };
  }

  /** Top-k classes for one batch, for sanity checks. Needs `logits` (and `labels`) in the config. */
  async classify(tensor: Float32Array, count: number, k = 5): Promise<Array<Array<{ index: number; label: string; probability: number }>>> {
    const name = this.config.logits;
    if (!name) throw new NeardupError(`model ${this.config.path} has no logits output configured; classify() needs one`);
    const { out } = await this.run(tensor, count, name);
    const labels = this.labels();
    const n = out.dims[1];
    const data = out.data as Float32Array;
    const result = [];
    for (let i = 0; i < count; i++) {
      const row = data.subarray(i * n, (i + 1) * n);
      let max = -Infinity;
      for (const v of row) if (v > max) max = v;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, k);
      result.push(order.map((index) => ({ index, label: labels[index] ?? String(index), probability: Math.exp(row[index] - max) / sum })));
    }
    return result;
  }

  /** Class names from the config's `labels` file (the bundled synset list: "n01530575 brambling"). */
  labels(): string[] {
    if (!this.labelNames) {
      const file = this.config.labels;
      this.labelNames = file && existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean).map((l) => l.replace(/^n\d{8}\s+/, '')) : [];
    }
    return this.labelNames;
  }

  private async run(tensor: Float32Array, count: number, output: string): Promise<{ out: WorkerOutputs[string]; tensor: Float32Array }> {
    const s = this.config.size;
    const dims = this.config.layout === 'NCHW' ? [count, 3, s, s] : [count, s, s, 3];
    const { out, data } = await this.runSession(undefined, this.config.input, tensor, dims, output);
    return { out, tensor: data as Float32Array };
  }

  /** Runs one session of the worker on `data` (lent to the worker and handed back as `data`). */
  private async runSession(
    key: string | undefined,
    input: string,
    data: Float32Array | Uint8Array,
    dims: number[],
    output: string,
  ): Promise<{ out: WorkerOutputs[string]; data: Float32Array | Uint8Array }> {
    const length = dims.reduce((a, b) => a * b, 1);
    if (data.length < length) throw new NeardupError(`tensor holds ${data.length} values, batch needs ${length}`, 'invalid_argument');
    const uint8 = data instanceof Uint8Array;
    // The buffer travels to the inference thread and back; a view into a larger buffer is copied.
    const owned = data.byteOffset === 0 && data.buffer instanceof ArrayBuffer ? data : data.slice();
    try {
      const res = await this.session.run(input, owned.buffer as ArrayBuffer, length, dims, [output], { key, dtype: uint8 ? 'uint8' : 'float32' });
      return { out: res.outputs[output], data: uint8 ? new Uint8Array(res.buffer) : new Float32Array(res.buffer) };
    } catch (err) {
      const s = this.config.size;
      throw new NeardupError(`model ${basename(this.config.path)} failed at ${s}x${s} px: ${String((err as Error).message).split('\n')[0]}`);
    }
  }

  private heads = 0;

  /**
   * A second session of this model that takes raw uint8 pixels of one shape and resizes and
   * normalises them inside the graph (see src/onnx/pixel-head.ts): the fast path for array datasets.
   * Throws NeardupError when the model's input cannot take the head.
   */
  async withPixelHead(shape: RawPixelShape): Promise<PixelHeadSession> {
    const c = this.config;
    const spec: PixelHeadSpec = { ...shape, size: c.size, mean: c.mean, std: c.std, modelLayout: c.layout };
    const bytes = addPixelHeadToBuffer(this.modelBytes, c.input, spec, basename(c.path));
    const key = `pixels-${this.heads++}`;
    try {
      await this.session.loadExtra(key, bytes);
    } catch (err) {
      throw new NeardupError(`model ${basename(c.path)} with a pixel head failed to load: ${String((err as Error).message).split('\n')[0]}`);
    }
    return new PixelHeadSession(spec, {
      run: async (pixels, count) => {
        const { out, data } = await this.runSession(key, PIXEL_INPUT, pixels, pixelInputDims(spec, count), c.output);
        return { ...pool(out, count, c.layout), pixels: data as Uint8Array };
      },
      release: () => this.session.unload(key),
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** [N,d] passes through; [N,C,H,W] / [N,H,W,C] are mean-pooled over H,W. */
function pool(t: WorkerOutputs[string], count: number, layout: 'NCHW' | 'NHWC'): { dim: number; data: Float32Array } {
  const data = t.data;
  const dims = t.dims.map(Number);
  if (dims.length === 2) return { dim: dims[1], data };
  if (dims.length !== 4) throw new NeardupError(`embedding output has shape [${dims.join(', ')}]; expected [N, d] or a 4-D feature map`);
  const [c, hw] = layout === 'NCHW' ? [dims[1], dims[2] * dims[3]] : [dims[3], dims[1] * dims[2]];
  const out = new Float32Array(count * c);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += layout === 'NCHW' ? data[(i * c + k) * hw + p] : data[(i * hw + p) * c + k];
      out[i * c + k] = s / hw;
    }
  }
  return { dim: c, data: out };
}
