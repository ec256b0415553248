/**
 * Turn 8-bit RGB pixels into the model's float32 input: `(pixel/255 - mean) / std` per channel,
 * written straight into a batch tensor in NCHW (planar) or NHWC (interleaved) order.
 */

/** ImageNet statistics, used by torchvision-trained models such as the bundled MobileNetV2. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export interface Normalisation {
  mean: readonly number[];
  std: readonly number[];
  layout: 'NCHW' | 'NHWC';
}

/** Per-channel lookup tables (256 entries each) so normalising a pixel is one table read. */
export function normalisationTables(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - mean[c]) / std[c];
    return t;
  });
}

/**
 * Writes `size x size` interleaved RGB pixels into `out` at image slot `index` (of a batch tensor
 * sized for `size x size` images).
 */
export function writeRgbToTensor(
  rgb: Uint8Array,
  size: number,
  out: Float32Array,
  index: number,
  tables: Float32Array[],
  layout: 'NCHW' | 'NHWC',
): void {
  const hw = size * size;
  const base = index * 3 * hw;
  const [t0, t1, t2] = tables;
  if (layout === 'NCHW') {
    for (let i = 0, p = 0; i < hw; i++, p += 3) {
      out[base + i] = t0[rgb[p]];
      out[base + hw + i] = t1[rgb[p + 1]];
      out[base + 2 * hw + i] = t2[rgb[p + 2]];
    }
  } else {
    for (let p = 0; p < 3 * hw; p += 3) {
      out[base + p] = t0[rgb[p]];
      out[base + p + 1] = t1[rgb[p + 1]];
      out[base + p + 2] = t2[rgb[p + 2]];
    }
  }
}

/** Normalises one `size x size` RGB image to a new single-image float32 tensor. */
export function rgbToTensor(rgb: Uint8Array, size: number, norm: Normalisation): Float32Array {
  const out = new Float32Array(3 * size * size);
  writeRgbToTensor(rgb, size, out, 0, normalisationTables(norm.mean, norm.std), norm.layout);
  return out;
}
