/**
 * Folders of tiny colour images (issue 10): CIFAR-sized photos exported as files. Array datasets of such images
 * have their own threshold ({@link TINY_ARRAY_THRESHOLD}) and sure level (0.94); a folder of the same images as
 * PNG files used to get the photo defaults (0.86, 0.99), which on the benchmark's tiny family meant group-pair
 * recall 0.898 instead of 0.974 (docs/quality.md, "Verification"). Their sizes are read at load (the
 * `width`/`height` columns, from the file headers), so the scan can tell such a folder before it chooses a
 * threshold; whether the pictures are in colour needs a look at their pixels, since a grayscale picture is often
 * saved as RGB (every grayscale copy of the tiny family is).
 */
import type { Dataset } from '../types';
import { columnValues, hasColumn } from '../frame';
import { isEncoded, readEncoded } from '../images/source';
import { decodeImage } from '../images/decode';

/** Side (px) under which an image is tiny: the pixel check's `tinySide` (src/verify). */
export const TINY_SIDE = 64;
/** Images decoded to tell colour from grayscale (spread evenly over the rows). */
export const COLOUR_SAMPLE = 64;
/**
 * A picture is in colour when more than this share of its pixels has channels further apart than
 * {@link COLOUR_SPREAD} gray levels. A grayscale picture saved as RGB (or as JPEG) stays under it.
 */
export const COLOUR_SHARE = 0.05;
export const COLOUR_SPREAD = 12;

/**
 * Whether `ds` is a folder (or manifest) of tiny colour image files: {@link tinyFolderKind} is `'colour'`.
 * Cost: up to 64 decodes of images under 64 px (milliseconds).
 */
export async function isTinyColourFolder(ds: Pick<Dataset, 'df' | 'pixels'>): Promise<boolean> {
  return (await tinyFolderKind(ds)) === 'colour';
}

/**
 * What kind of tiny-image folder `ds` is: null unless it is a folder (or manifest) of image files whose every known
 * size has its shorter side under {@link TINY_SIDE} px (at least one size known; array datasets have their own
 * rule, `isTinyArray`); then `'colour'` when at least half of up to {@link COLOUR_SAMPLE} decoded images are in
 * colour (see {@link COLOUR_SHARE}), else `'gray'` (MNIST exported as PNG: their own threshold and pixel level since
 * 2 December, `TINY_GRAY_FILES_THRESHOLD` in ./defaults.ts, and no lower band, which checks by keypoints only). Unreadable images are left out.
 */
export async function tinyFolderKind(ds: Pick<Dataset, 'df' | 'pixels'>): Promise<'colour' | 'gray' | null> {
  if (!isEncoded(ds.pixels) || !hasColumn(ds.df, 'width') || !hasColumn(ds.df, 'height')) return null;
  const w = columnValues<number | null>(ds.df, 'width');
  const h = columnValues<number | null>(ds.df, 'height');
  const known: number[] = [];
  for (let i = 0; i < w.length; i++) {
    const a = Number(w[i]), b = Number(h[i]);
    if (!(a > 0 && b > 0)) continue;
    if (Math.min(a, b) >= TINY_SIDE) return null;
    known.push(i);
  }
  if (!known.length) return null;
  const sample = known.length <= COLOUR_SAMPLE ? known : Array.from({ length: COLOUR_SAMPLE }, (_, j) => known[Math.floor((j * known.length) / COLOUR_SAMPLE)]);
  let colour = 0, read = 0;
  for (const row of sample) {
    const enc = await readEncoded(ds.pixels, row);
    if (!enc.ok) continue;
    const d = await decodeImage(enc.bytes, { size: 32 });
    if (!d.ok) continue;
    read++;
    let spread = 0;
    const px = d.rgb.length / 3;
    for (let p = 0; p < px; p++) {
      const r = d.rgb[3 * p], g = d.rgb[3 * p + 1], b = d.rgb[3 * p + 2];
      if (Math.max(r, g, b) - Math.min(r, g, b) > COLOUR_SPREAD) spread++;
    }
    if (spread > COLOUR_SHARE * px) colour++;
  }
  return read > 0 && colour * 2 >= read ? 'colour' : 'gray';
}
