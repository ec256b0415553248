import { defaultEmbeddingFor, isTinyGrayscale } from '../embed/defaults';
import { NeardupError } from '../errors';
import type { PixelSource } from '../types';

/**
 * Default cosine-similarity threshold for photos and other colour images: the bottom of the
 * verification band. Every pair at or above it whose cosine is under the sure level (0.99) needs a
 * second signal to count (src/verify): the two pictures agree tile by tile as they are, or after an
 * alignment by keypoints with a RANSAC homography; aligned pixels for tiny images. Chosen with the verification settings
 * by the families evaluation's rule on seven image families and a no-duplicates control (docs/quality.md,
 * "Verification"): 0.78 since 1 December's seventh session (0.86 before; the choice moved once the pixel margin kept
 * screenshot thumbnails apart and four variants of one texture left the benchmark's ground truth: "Each thumbnail with
 * its own picture"). Without verification (`verify: false`) the default is {@link UNVERIFIED_THRESHOLD}.
 * Tiny grayscale datasets (28x28 Fashion-MNIST) score unrelated items far higher: see below.
 */
export const DEFAULT_THRESHOLD = 0.78;

/**
 * Default threshold when verification is turned off (cosine and pHash alone, the earlier scan):
 * calibrated on the wallpaper photos of `npm run eval` (group-pair F1 0.99 there), but it merges
 * dense look-alike families (space, textures, documents; docs/quality.md).
 */
export const UNVERIFIED_THRESHOLD = 0.87;

/**
 * Default threshold for array datasets of tiny colour images (a side under 64 px: CIFAR's 32×32), where
 * every pair from it up to the tiny sure level (0.94) must also pass the aligned-pixel check (src/verify:
 * correlation ≥ 0.92 at 32×32 over shifts up to ±5 px, crops to 3/4 of a side, and a mirror). Copies of a
 * tiny photo (JPEG, noise, blur, grayscale) often sit at cosine 0.75–0.86, and the pixel check keeps the look-alikes
 * out there. Chosen ON the tiny family of the benchmark, as the
 * highest threshold at which it meets issue 10's goals (precision ≥ 0.99, recall ≥ 0.95, every kind ≥
 * 0.90, no wrong removal): no other family has arrays of tiny images to choose it on, so it is not held
 * out (docs/quality.md, "Verification"). The rule gave 0.74 on the family as built on 30 November and
 * gives 0.82 on the family rebuilt from empty caches on 1 December, where 0.74 groups look-alikes
 * (group-pair precision 0.932); 0.82 keeps precision 1.000 in both. Since 1 December it also applies to folders of
 * tiny colour image files (src/dedup/tiny-files.ts: every image's shorter side under 64 px by the file headers, colour by a
 * sample of their pixels): on the tiny family as files it lifts recall from 0.898 at {@link DEFAULT_THRESHOLD}
 * (docs/quality.md). Folders of tiny grayscale files have their own, {@link TINY_GRAY_FILES_THRESHOLD}.
 */
export const TINY_ARRAY_THRESHOLD = 0.82;

/** An array dataset of images with a side under 64 px (CIFAR-sized), colour or grayscale. */
export function isTinyArray(pixels: { kind: string; width?: number; height?: number }): boolean {
  return pixels.kind === 'array' && Math.min(pixels.width ?? Infinity, pixels.height ?? Infinity) < 64;
}

/**
 * Default threshold for tiny grayscale images (array datasets of at most 32×32 px and one channel,
 * such as MNIST and Fashion-MNIST). Upscaled to the model's input, unrelated garments or digits
 * look far more alike to an ImageNet CNN than unrelated photos do: at 0.87 the bundled
 * Fashion-MNIST sample flags 2,419 of 3,000 images; at 0.97 all 30 listed pairs are among its known
 * near-duplicate pairs (docs/quality.md, "second domain"). Used with `--no-dequantize`; their default
 * embedding (dequantized, 128 px) has its own threshold below.
 */
export const TINY_GRAYSCALE_THRESHOLD = 0.97;

/**
 * Default threshold for tiny grayscale images embedded with the dequantized model, neardup's default
 * embedding for them (src/embed/defaults.ts): on the Fashion-MNIST sample at 0.98, 62 of the 64 listed
 * pairs are known near-duplicates and 65 of the 91 known pairs are grouped (docs/quality.md).
 */
export const TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD = 0.98;

/**
 * Default threshold for folders of tiny grayscale image files (MNIST or Fashion-MNIST exported as PNG; `tinyFolderKind`
 * 'gray', src/dedup/tiny-files.ts), embedded with the int8 model and verified: 0.95, with every pair under 0.99 checked
 * by aligned pixels at r ≥ 0.98 ({@link TINY_GRAY_FILES_CORRELATION} in src/verify). At the photo default (0.78, pixel
 * r ≥ 0.92 within 0.03 of the best) an independent check of 600 Fashion-MNIST test files removed 121 of 214 against
 * other garments, 114 of them images with no copy. Chosen on a build of 600 train files (500 distinct, 100 copies of 10
 * kinds): the most copies found with no wrong removal at the setting and at its looser neighbours (threshold − 0.01,
 * pixel level − 0.01), 80 of 100; reported on the test-split folder (docs/quality.md, "Tiny grayscale files").
 */
export const TINY_GRAY_FILES_THRESHOLD = 0.95;

/**
 * The default threshold for a dataset and how it was embedded: for folders of tiny grayscale files (`tinyGrayFiles`)
 * embedded with the int8 model (their default) and verified, {@link TINY_GRAY_FILES_THRESHOLD}; for tiny grayscale
 * array datasets (and such folders embedded otherwise or unverified) {@link TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD} with
 * the dequantized model (the arrays' default) or {@link TINY_GRAYSCALE_THRESHOLD} with the int8 one; {@link TINY_ARRAY_THRESHOLD} for other arrays
 * of tiny images (CIFAR's 32×32 colour images; measured on the benchmark's tiny family, no real CIFAR data
 * here, so check the histogram in the explorer); {@link DEFAULT_THRESHOLD} otherwise (photos); with
 * verification off, {@link UNVERIFIED_THRESHOLD} for all but tiny grayscale.
 * An explicit threshold always wins.
 */
export function defaultThresholdFor(
  ds: { pixels: Pick<PixelSource, 'kind'> & { width?: number; height?: number; channels?: number } },
  embedding: { dequantized?: boolean; verify?: boolean; tinyColourFiles?: boolean; tinyGrayFiles?: boolean } = {},
): number {
  if (embedding.tinyGrayFiles && !embedding.dequantized && embedding.verify !== false) return TINY_GRAY_FILES_THRESHOLD;
  if (isTinyGrayscale(ds.pixels) || embedding.tinyGrayFiles) return embedding.dequantized ? TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD : TINY_GRAYSCALE_THRESHOLD;
  // Without the second signal the band's bottom would merge look-alikes: the cosine-only calibration.
  if (embedding.verify === false) return UNVERIFIED_THRESHOLD;
  return isTinyArray(ds.pixels) || embedding.tinyColourFiles ? TINY_ARRAY_THRESHOLD : DEFAULT_THRESHOLD;
}

/**
 * Checks a similarity threshold: a finite number from -1 to 1 (cosine similarity, inclusive).
 * The one check behind `scan`, `explore`, the explorer's slider and the CLI's `--threshold`.
 * @returns the threshold, unchanged.
 * @throws {@link NeardupError} (`invalid_argument`) naming the value otherwise.
 */
export function checkThreshold(t: unknown): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < -1 || t > 1) {
    throw new NeardupError(`threshold must be a number from -1 to 1 (cosine similarity), got ${String(t)}`);
  }
  return t;
}

/**
 * The threshold to use: `given` after {@link checkThreshold}, or when undefined (or null) the default for the
 * dataset and embedding ({@link defaultThresholdFor}; without `embedding`, the dataset's default
 * embedding of {@link defaultEmbeddingFor} is assumed; `tinyColourFiles` / `tinyGrayFiles`: the dataset is a folder of
 * tiny colour / grayscale files, from `tinyFolderKind` in ./tiny-files.ts), or {@link DEFAULT_THRESHOLD} when no dataset
 * is known. This is the only place that picks a default threshold.
 * @throws {@link NeardupError} (`invalid_argument`) when `given` is not a number from -1 to 1.
 */
export function resolveThreshold(
  given: unknown,
  ds?: { pixels: Pick<PixelSource, 'kind'> & { width?: number; height?: number; channels?: number } },
  embedding?: { dequantized?: boolean; verify?: boolean; tinyColourFiles?: boolean; tinyGrayFiles?: boolean },
): number {
  if (given !== undefined && given !== null) return checkThreshold(given);
  if (!ds) return DEFAULT_THRESHOLD;
  return defaultThresholdFor(ds, embedding ?? { dequantized: defaultEmbeddingFor(ds).model?.dequantize === true });
}
