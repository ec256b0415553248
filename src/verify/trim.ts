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
