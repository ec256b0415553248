/**
 * The embedding settings neardup picks for a dataset when the caller names no model.
 *
 * Tiny grayscale arrays (MNIST, Fashion-MNIST: one channel, at most 32×32 px) get the bundled
 * MobileNetV2 in its dequantized form (float activations, dequantize.ts) at 128 px. Measured on the
 * bundled Fashion-MNIST sample's 91 known near-duplicate pairs (docs/quality.md): the int8 model at
 * 224 px lists 54 pairs at 0.96, 53 known (recall 0.60; at 0.97, 30 and 0.33); the float model at
 * 128 px lists 64 at 0.98, 62 of them known (recall 0.71), gives the same vectors on every CPU, and
 * runs faster (612 vs 474 images/s end to end), because a
 * 28×28 image upscaled to 128 px loses nothing it had. Everything else keeps the int8 model at its
 * 224 px: photos, and CIFAR-sized colour images, where a 32×32 proxy of the photo benchmark ranks int8
 * at 224 px first (group-pair F1 0.82 against 0.75 for the dequantized model; docs/quality.md).
 */
import type { PixelSource } from '../types';
import type { ModelConfig } from './model';

/** One channel, at most 32×32 px, held as an array (MNIST, Fashion-MNIST). */
export function isTinyGrayscale(pixels: Pick<PixelSource, 'kind'> & { width?: number; height?: number; channels?: number }): boolean {
  // Array sources only (see src/images/source.ts arrayPixels): encoded images are decoded to RGB.
  return pixels.kind === 'array' && pixels.channels === 1 && (pixels.width ?? Infinity) <= 32 && (pixels.height ?? Infinity) <= 32;
}

/** Input side for tiny grayscale arrays with the default model. */
export const TINY_GRAYSCALE_SIZE = 128;

/**
 * The default `model` and `size` for a dataset, used by `embedDataset` (and so by `scan`) when the
 * caller passes no model. Pass any `model` (for example `{ dequantize: false }`) to opt out.
 */
export function defaultEmbeddingFor(ds: { pixels: Pick<PixelSource, 'kind'> & { width?: number; height?: number; channels?: number } }): { model?: Partial<ModelConfig>; size?: number } {
  if (isTinyGrayscale(ds.pixels)) return { model: { dequantize: true }, size: TINY_GRAYSCALE_SIZE };
  return {};
}
