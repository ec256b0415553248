/**
 * Research feature extraction for the quality ablation: for every benchmark image, the bundled
 * MobileNetV2's final feature map (tensor `627`, [1280, h, w]) under several variants
 * (untouched / border-trimmed decode; original, mirrored, grayscale views; 160/224/288 px), pooled
 * three ways (mean = the product's embedding, max, GeM p=3), plus pHashes.
 *
 * Decoding uses the product's own decoder (src/images/decode.ts) and normalisation tables, so the
 * `plain/orig/224/mean` variant is exactly what `embedDataset` computes by default.
 * Results are cached in out/eval/features-v<N>.bin, keyed by the image list.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { addEmbeddingOutputToBuffer } from '../../src/onnx/surgery';
import { modelProtoType, OnnxDataType } from '../../src/onnx/proto';
import { decodeImage, openImage, readImageFile } from '../../src/images/decode';
import { IMAGENET_MEAN, IMAGENET_STD, normalisationTables, writeRgbToTensor } from '../../src/images/preprocess';
import { trimImage } from '../lib/trim';
import { flipRgb, grayRgb } from '../lib/views';
import { phash } from '../../src/phash/hash';

export const FEATURE_VERSION = 3;
export const DIM = 1280;
export const POOLINGS = ['mean', 'max', 'gem'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** Variant = decode mode / view / size. */
export const VARIANTS = [
  'plain/orig/224',
  'plain/flip/224',
  'plain/gray/224',
  'plain/grayflip/224',
  'trim/orig/224',
  'trim/flip/224',
  'trim/gray/224',
  'trim/grayflip/224',
  'plain/orig/160',
  'plain/orig/288',
] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Features {
  n: number;
  /** vectors[variant][pooling] = n x 1280, L2-normalised. */
  vectors: Record<string, Record<Pooling, Float32Array>>;
  /** pHash per decode mode and view ('plain/orig', 'plain/flip', 'trim/orig', 'trim/flip'): n x 2 words. */
  phash: Record<string, Uint32Array>;
  /** Seconds spent per variant group, to report costs. */
  seconds: Record<string, number>;
}

const MODEL = join(__dirname, '..', '..', 'models', 'mobilenetv2-12-int8.onnx');

/** The bundled model with free input size and the raw feature map `627` as an extra output. */
function researchModel(): Uint8Array {
  const withEmb = addEmbeddingOutputToBuffer(readFileSync(MODEL), { tensor: '627' }, MODEL);
  const T = modelProtoType();
  const m: any = T.decode(withEmb); // eslint-disable-line @typescript-eslint/no-explicit-any
  m.graph.output.push({ name: '627', type: { tensor_type: { elem_type: OnnxDataType.FLOAT } } });
  return T.encode(m).finish();
}

function normalise(v: Float32Array, dim: number): void {
  for (let o = 0; o < v.length; o += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[o + d] * v[o + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) v[o + d] *= inv;
  }
}

/** Pools a [count, C, H, W] map three ways into the given output rows. */
function poolInto(map: Float32Array, count: number, hw: number, out: Record<Pooling, Float32Array>, row0: number): void {
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < DIM; c++) {
      const base = (i * DIM + c) * hw;
      let s = 0;
      let mx = -Infinity;
      let g = 0;
      for (let p = 0; p < hw; p++) {
        const v = map[base + p];
        s += v;
        if (v > mx) mx = v;
        const pos = v > 1e-6 ? v : 1e-6; // ReLU6 output is ≥ 0; clamp for the power mean
        g += pos * pos * pos;
      }
      const r = (row0 + i) * DIM + c;
      out.mean[r] = s / hw;
      out.max[r] = mx;
      out.gem[r] = Math.cbrt(g / hw);
    }
  }
}

async function decodeTrimmed(bytes: Buffer, size: number): Promise<Buffer | null> {
  const opened = await openImage(bytes);
  if (!opened.ok) return null;
  const flat = opened.image.flatten({ background: { r: 255, g: 255, b: 255 } });
  const { image } = await trimImage(flat);
  const { data, info } = await image.resize(size, size, { fit: 'fill' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error('unexpected channels');
  return data;
}

/** Extracts (or loads from cache) all features for `files`. */
export async function extractFeatures(files: string[], cacheDir: string, log: (s: string) => void = () => {}): Promise<Features> {
  const key = createHash('sha256').update(JSON.stringify({ v: FEATURE_VERSION, files, variants: VARIANTS })).digest('hex').slice(0, 16);
  const cache = join(cacheDir, `features-${key}.bin`);
  const n = files.length;
  if (existsSync(cache)) return readCache(cache, n);

  const session = await ort.InferenceSession.create(researchModel(), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const tables = normalisationTables(IMAGENET_MEAN, IMAGENET_STD);
  const vectors: Features['vectors'] = {};
  for (const v of VARIANTS) vectors[v] = { mean: new Float32Array(n * DIM), max: new Float32Array(n * DIM), gem: new Float32Array(n * DIM) };
  const hashes: Features['phash'] = {};
  for (const k of ['plain/orig', 'plain/flip', 'trim/orig', 'trim/flip']) hashes[k] = new Uint32Array(2 * n);
  const seconds: Record<string, number> = {};
  const time = async <T>(k: string, f: () => Promise<T>): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const r = await f();
    seconds[k] = (seconds[k] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e9;
    return r;
  };

  const BATCH = 16;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    // rgb[mode/size][i]
    const rgbs: Record<string, Uint8Array[]> = { 'plain/224': [], 'trim/224': [], 'plain/160': [], 'plain/288': [] };
    for (let i = 0; i < count; i++) {
      const file = await readImageFile(files[start + i]);
      if (!file.ok) throw new Error(`${files[start + i]}: ${file.reason}`);
      for (const size of [224, 160, 288]) {
        const d = await time(`decode/plain`, () => decodeImage(file.bytes, { size }));
        if (!d.ok) throw new Error(`${files[start + i]}: ${d.reason}`);
        rgbs[`plain/${size}`].push(d.rgb);
      }
      const t = await time('decode/trim', () => decodeTrimmed(file.bytes, 224));
      if (!t) throw new Error(`${files[start + i]}: cannot decode`);
      rgbs['trim/224'].push(t);
    }
    for (const variant of VARIANTS) {
      const [mode, view, sizeStr] = variant.split('/');
      const size = Number(sizeStr);
      const tensor = new Float32Array(count * 3 * size * size);
      for (let i = 0; i < count; i++) {
        let rgb = rgbs[`${mode}/${size}`][i];
        if (view === 'flip') rgb = flipRgb(rgb, size, size);
        else if (view === 'gray') rgb = grayRgb(rgb);
        else if (view === 'grayflip') rgb = flipRgb(grayRgb(rgb), size, size);
        writeRgbToTensor(rgb, size, tensor, i, tables, 'NCHW');
        if (size === 224 && (view === 'orig' || view === 'flip')) hashes[`${mode}/${view}`].set(phash(rgb, size, size, 3), 2 * (start + i));
      }
      await time(`embed/${variant}`, async () => {
        const res = await session.run({ input: new ort.Tensor('float32', tensor, [count, 3, size, size]) }, ['627']);
        const map = res['627'];
        const hw = Number(map.dims[2]) * Number(map.dims[3]);
        poolInto(map.data as Float32Array, count, hw, vectors[variant], start);
      });
    }
    if ((start / BATCH) % 8 === 0) log(`  features ${start + count}/${n}`);
  }
  await session.release();
  for (const v of VARIANTS) for (const p of POOLINGS) normalise(vectors[v][p], DIM);
  const feats = { n, vectors, phash: hashes, seconds };
  writeCache(cache, feats);
  return feats;
}

function writeCache(path: string, f: Features): void {
  mkdirSync(dirname(path), { recursive: true });
  const parts: Buffer[] = [];
  const header = { n: f.n, seconds: f.seconds, phash: Object.keys(f.phash) };
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  parts.push(len, h);
  for (const v of VARIANTS) for (const p of POOLINGS) parts.push(Buffer.from(f.vectors[v][p].buffer));
  for (const k of header.phash) parts.push(Buffer.from(f.phash[k].buffer));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}

function readCache(path: string, n: number): Features {
  const buf = readFileSync(path);
  const hl = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + hl).toString());
  let off = 4 + hl;
  const take = (bytes: number) => {
    const b = new Uint8Array(bytes);
    b.set(buf.subarray(off, off + bytes));
    off += bytes;
    return b.buffer;
  };
  const vectors: Features['vectors'] = {};
  for (const v of VARIANTS) {
    vectors[v] = {} as Record<Pooling, Float32Array>;
    for (const p of POOLINGS) vectors[v][p] = new Float32Array(take(n * DIM * 4));
  }
  const phashes: Features['phash'] = {};
  for (const k of header.phash) phashes[k] = new Uint32Array(take(n * 8));
  return { n, vectors, phash: phashes, seconds: header.seconds };
}

