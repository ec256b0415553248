/**
 * Uniform borders (letterbox and pillarbox bars) cut off before the photometric agreement: a copy shown
 * inside bars keeps the original's content, but squeezed and shifted, so the two do not agree tile by
 * tile as they are, and bars leave few keypoints to align them with. With the bars cut and the content
 * resized back to the square, the copy lines up with its original again. The cut is libvips' trim (via
 * sharp): the bounding box of the pixels that differ from the top-left pixel by more than `threshold`.
 */
import sharp from 'sharp';

/** Least share of a side the bars must take together (thinner borders are left alone). */
const MIN_BAR = 0.03;

/**
 * The content of a `side`×`side` gray image inside uniform borders, resized back to `side`×`side`
 * (bilinear, stretched to fill), or `null` when no border of at least 3 % of a side was found (or the
 * image is uniform). Pure: the input is not modified.
 * @param threshold largest difference from the border colour, in 8-bit gray levels; default 14, so JPEG
 *   ringing along the bars still counts as bar.
 */
export async function trimBorders(gray: Uint8Array, side: number, threshold = 14): Promise<Uint8Array | null> {
  // libvips' trim costs about 15 ms of CPU on a 320 px image (src/verify/index.ts profile); most images
  // have no edge that could be a bar, which this necessary test tells in a fraction of a millisecond.
  // A kept result is at most side·(1 − MIN_BAR) wide or high: the bars take ≥ `cut` px, one side ≥ half.
  const cut = side - Math.floor(side * (1 - MIN_BAR));
  if (!mayHaveBar(gray, side, threshold, Math.ceil(cut / 2) - 1)) return null;
  try {
    const input = { raw: { width: side, height: side, channels: 1 as const } };
    const { data, info } = await sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), input)
      .trim({ threshold })
      .extractChannel(0) // libvips may hand back sRGB: keep one band
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width > side * (1 - MIN_BAR) && info.height > side * (1 - MIN_BAR)) return null;
    if (info.width < 8 || info.height < 8) return null;
    const out = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
      .resize(side, side, { fit: 'fill', kernel: 'linear' })
      .extractChannel(0)
      .raw()
      .toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    // libvips cannot trim a uniform image: nothing to cut.
    return null;
  }
}

/**
 * False only when libvips' trim cannot cut a bar of `MIN_BAR`: that needs, on one side, the lines from the
 * edge to `depth` deep (a cut of `depth + 1` px) to be background after the trim's smoothing, i.e. every
 * smoothed pixel of the line at `depth` within `threshold` of the background (the top-left pixel; libvips
 * `find_trim`: a 3×3 median, then |pixel − background| > threshold marks content, and a column or row
 * with any content ends the cut). A median, or any average, of a window lies between the window's least
 * and greatest pixel; so when some 5×5 window centred on that line (clamped at the image's border, the two
 * ends of the line left out, where the filter pads) has all its pixels above `background + threshold` or
 * all below `background − threshold`, that side cannot be cut that deep. True when any of the four sides
 * may be. Holds for any smoothing window up to 5×5; checked against the trim itself on every image of the
 * benchmark's families (docs/quality.md, "Cost").
 */
export function mayHaveBar(gray: Uint8Array, side: number, threshold: number, depth = 0): boolean {
  if (side < 8 || depth + 3 > side) return true;
  const bg = gray[0];
  const lo = bg - threshold;
  const hi = bg + threshold;
  // Side s, position t along it, distance d from its edge → pixel index.
  const at: ((t: number, d: number) => number)[] = [
    (t, d) => t * side + d, // left
    (t, d) => t * side + side - 1 - d, // right
    (t, d) => d * side + t, // top
    (t, d) => (side - 1 - d) * side + t, // bottom
  ];
  const d0 = Math.max(0, depth - 2);
  const d1 = Math.min(side - 1, depth + 2);
  const min = new Int16Array(side);
  const max = new Int16Array(side);
  for (const px of at) {
    for (let t = 0; t < side; t++) {
      let a = 255, b = 0;
      for (let d = d0; d <= d1; d++) {
        const v = gray[px(t, d)];
        if (v < a) a = v;
        if (v > b) b = v;
      }
      min[t] = a;
      max[t] = b;
    }
    let background = true;
    for (let t = 2; t < side - 2 && background; t++) {
      let a = 255, b = 0;
      for (let u = t - 2; u <= t + 2; u++) {
        if (min[u] < a) a = min[u];
        if (max[u] > b) b = max[u];
      }
      if (a > hi || b < lo) background = false;
    }
    if (background) return true;
  }
  return false;
}
