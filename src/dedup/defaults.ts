/**
 * Default cosine-similarity threshold above which two samples count as near-duplicates.
 *
 * Calibrated for the default model (int8 MobileNetV2, GeM-pooled embedding) plus pHash matching, on
 * the real-photo benchmark of `npm run eval` (37 photos × 16 kinds of copies + 32 look-alike
 * distractors; docs/quality.md). Every threshold from 0.85 to 0.88 met the goals there (no unrelated
 * photos grouped, group-pair precision 1.0, every transform ≥ 0.90 recall); 0.87 sits inside that window
 * with 0.02 to spare above the strongest unrelated pair (0.847, two mountain photos by one
 * photographer). Group-pair F1 0.991 at 0.87. The article's 0.92 belongs to its own model.
 * Tiny grayscale datasets (28x28 Fashion-MNIST) score unrelated items far higher: use ≈ 0.97 there.
 */
export const DEFAULT_THRESHOLD = 0.87;

/**
 * Default threshold for tiny grayscale images (array datasets of at most 32×32 px and one channel,
 * such as MNIST and Fashion-MNIST). Upscaled to the model's input, unrelated garments or digits
 * look far more alike to an ImageNet CNN than unrelated photos do: at 0.87 the bundled
 * Fashion-MNIST sample flags 2,618 of 3,000 images; at 0.97, 37 of the 38 listed pairs are among
 * its known near-duplicate pairs (docs/quality.md, "second domain").
 */
export const TINY_GRAYSCALE_THRESHOLD = 0.97;

/**
 * The default threshold for a dataset: {@link TINY_GRAYSCALE_THRESHOLD} for tiny grayscale array
 * datasets, {@link DEFAULT_THRESHOLD} otherwise (photos, CIFAR's 32×32 colour images — the latter
 * not yet calibrated: check the histogram in the explorer). An explicit threshold always wins.
 */
export function defaultThresholdFor(ds: { pixels: { kind: string; width?: number; height?: number; channels?: number } }): number {
  const p = ds.pixels;
  if (p.kind === 'array' && p.channels === 1 && (p.width ?? Infinity) <= 32 && (p.height ?? Infinity) <= 32) return TINY_GRAYSCALE_THRESHOLD;
  return DEFAULT_THRESHOLD;
}
