/**
 * Preprocess array-backed datasets (CIFAR planar RGB, IDX grayscale) straight from their raw bytes
 * to model input, without encoding each image to PNG/JPEG and decoding it again.
 *
 * Resizing is bilinear with half-pixel centres (the `align_corners=False` convention of torchvision
 * and onnx Resize), done separably with precomputed taps: a 28x28 image goes to 224x224 in well
 * under a millisecond, so preprocessing stays cheaper than inference.
 */
import type { PixelSource } from '../types';
import { NeardupError } from '../errors';

type ArraySource = Extract<PixelSource, { kind: 'array' }>;

interface Taps { i0: Int32Array; i1: Int32Array; w: Float32Array; }

const tapCache = new Map<string, Taps>();

/** Source indices and weights for resizing `from` samples to `to` samples along one axis. */
export function resizeTaps(from: number, to: number): Taps {
  const key = `${from}:${to}`;
  let t = tapCache.get(key);
  if (!t) {
    t = { i0: new Int32Array(to), i1: new Int32Array(to), w: new Float32Array(to) };
    const scale = from / to;
    for (let o = 0; o < to; o++) {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), from - 1);
      const x0 = Math.floor(x);
      t.i0[o] = x0;
      t.i1[o] = Math.min(x0 + 1, from - 1);
      t.w[o] = x - x0;
    }
    tapCache.set(key, t);
  }
  return t;
}

/** Bytes per image in an array source. */
export function imageBytes(src: ArraySource): number {
  return src.width * src.height * src.channels;
}

/** The raw bytes of image `row` (a view, not a copy). */
export function rawImage(src: ArraySource, row: number): Uint8Array {
  const n = imageBytes(src);
  return src.data.subarray(row * n, (row + 1) * n);
}

/**
 * Resizes image `row` of an array source to `size x size` interleaved 8-bit RGB.
 * Grayscale images are replicated to three channels; planar images are interleaved.
 */
export function arrayImageToRgb(src: ArraySource, row: number, size: number, out?: Uint8Array): Uint8Array {
  const { width: w, height: h, channels, layout } = src;
  const px = rawImage(src, row);
  if (px.length !== w * h * channels) throw new NeardupError(`array image ${row} is out of range`, 'invalid_argument');
  const rgb = out ?? new Uint8Array(size * size * 3);
  const tx = resizeTaps(w, size);
  const ty = resizeTaps(h, size);
  const tmp = new Float32Array(h * size); // horizontally resized rows of one channel
  for (let c = 0; c < 3; c++) {
    const ch = channels === 1 ? 0 : c;
    if (channels === 1 && c > 0) {
      for (let i = 0; i < size * size; i++) rgb[3 * i + c] = rgb[3 * i];
      continue;
    }
    // pixel (x, y) of channel ch: planar → ch*w*h + y*w + x, interleaved → (y*w + x)*channels + ch
    const plane = layout === 'planar' ? ch * w * h : ch;
    const step = layout === 'planar' ? 1 : channels;
    for (let y = 0; y < h; y++) {
      const row0 = plane + y * w * step;
      for (let o = 0; o < size; o++) {
        const a = px[row0 + tx.i0[o] * step];
        const b = px[row0 + tx.i1[o] * step];
        tmp[y * size + o] = a + (b - a) * tx.w[o];
      }
    }
    for (let oy = 0; oy < size; oy++) {
      const r0 = ty.i0[oy] * size;
      const r1 = ty.i1[oy] * size;
      const wy = ty.w[oy];
      let p = oy * size * 3 + c;
      for (let ox = 0; ox < size; ox++, p += 3) {
        const a = tmp[r0 + ox];
        rgb[p] = Math.round(a + (tmp[r1 + ox] - a) * wy);
      }
    }
  }
  return rgb;
}

/**
 * Writes image `row` of an array source, resized and normalised, into batch slot `index` of `out`.
 * Computes the float model input directly from the interpolated values (no 8-bit RGB intermediate);
 * a grayscale image is interpolated once and written to all three channel planes.
 */
export function writeArrayImageToTensor(
  src: ArraySource,
  row: number,
  size: number,
  out: Float32Array,
  index: number,
  mean: readonly number[],
  std: readonly number[],
  layout: 'NCHW' | 'NHWC',
): void {
  const { width: w, height: h, channels } = src;
  const px = rawImage(src, row);
  if (px.length !== w * h * channels) throw new NeardupError(`array image ${row} is out of range`, 'invalid_argument');
  const hw = size * size;
  const base = index * 3 * hw;
  const tx = resizeTaps(w, size);
  const ty = resizeTaps(h, size);
  const tmp = scratchRows(h * size);
  const scale = [0, 1, 2].map((c) => 1 / (255 * std[c]));
  const bias = [0, 1, 2].map((c) => -mean[c] / std[c]);
  const planar = src.layout === 'planar';
  for (let ch = 0; ch < channels; ch++) {
    const plane = planar ? ch * w * h : ch;
    const step = planar ? 1 : channels;
    for (let y = 0; y < h; y++) {
      const row0 = plane + y * w * step;
      for (let o = 0; o < size; o++) {
        const a = px[row0 + tx.i0[o] * step];
        tmp[y * size + o] = a + (px[row0 + tx.i1[o] * step] - a) * tx.w[o];
      }
    }
    // Target channels fed by this source channel: all three for grayscale, else the same one.
    const targets = channels === 1 ? [0, 1, 2] : [ch];
    for (let oy = 0; oy < size; oy++) {
      const r0 = ty.i0[oy] * size;
      const r1 = ty.i1[oy] * size;
      const wy = ty.w[oy];
      for (const c of targets) {
        const sc = scale[c];
        const bi = bias[c];
        if (layout === 'NCHW') {
          let p = base + c * hw + oy * size;
          for (let ox = 0; ox < size; ox++, p++) {
            const a = tmp[r0 + ox];
            out[p] = (a + (tmp[r1 + ox] - a) * wy) * sc + bi;
          }
        } else {
          let p = base + oy * size * 3 + c;
          for (let ox = 0; ox < size; ox++, p += 3) {
            const a = tmp[r0 + ox];
            out[p] = (a + (tmp[r1 + ox] - a) * wy) * sc + bi;
          }
        }
      }
    }
  }
}

let scratch = new Float32Array(0);
function scratchRows(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch;
}
