/**
 * Uniform-border trimming: find the content box inside letterbox/pillarbox bars (solid black,
 * white or any flat colour) so a padded copy is embedded from the same pixels as its original.
 *
 * A side's outermost line sets the bar colour; the bar extends inward while whole lines stay within
 * `tolerance` of that colour (a small share of outliers is allowed for JPEG ringing and noise). Flat
 * regions of a real photo (a clear sky) rarely stay that flat over many lines, and the cut per side
 * is capped, so ordinary photos come back (nearly) untouched.
 */
import sharp from 'sharp';

export interface TrimOptions {
  /** Max per-channel difference from the bar colour, in 8-bit levels. Default 14. */
  tolerance?: number;
  /** Share of a line's pixels allowed outside the tolerance. Default 0.01. */
  outliers?: number;
  /** Largest share of the width/height cut from one side. Default 0.4. */
  maxSide?: number;
  /** Bars thinner than this share of the side are ignored (left as they are): thin flat strips are
   *  more often a wall or sky at the edge of a photo than padding. Default 0.05. */
  minBar?: number;
}

/** A crop box in pixels. */
export interface ContentBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Content box of interleaved 8-bit pixels (`channels` per pixel, 1–4; alpha ignored).
 * Returns the full image when no side has a uniform bar.
 */
export function findContentBox(pixels: Uint8Array, width: number, height: number, channels: number, opts: TrimOptions = {}): ContentBox {
  const tol = opts.tolerance ?? 14;
  const outliers = opts.outliers ?? 0.01;
  const maxSide = opts.maxSide ?? 0.4;
  const minBar = opts.minBar ?? 0.05;
  const cc = Math.min(channels, 3);
  const px = (x: number, y: number, c: number) => pixels[(y * width + x) * channels + (channels >= 3 ? c : 0)];

  // Mean colour of a line, and whether the whole line stays close to `ref`.
  const lineMean = (horizontal: boolean, at: number): number[] => {
    const len = horizontal ? width : height;
    const m = [0, 0, 0];
    for (let i = 0; i < len; i++) for (let c = 0; c < cc; c++) m[c] += horizontal ? px(i, at, c) : px(at, i, c);
    return m.map((v) => v / len);
  };
  const lineIsFlat = (horizontal: boolean, at: number, ref: number[]): boolean => {
    const len = horizontal ? width : height;
    const allowed = Math.floor(len * outliers);
    let bad = 0;
    for (let i = 0; i < len; i++) {
      for (let c = 0; c < cc; c++) {
        const v = horizontal ? px(i, at, c) : px(at, i, c);
        if (Math.abs(v - ref[c]) > tol) {
          if (++bad > allowed) return false;
          break;
        }
      }
    }
    return true;
  };
  // Lines of bar on one side, counting inward from the edge.
  const bar = (horizontal: boolean, fromStart: boolean): number => {
    const len = horizontal ? height : width;
    const limit = Math.floor(len * maxSide);
    const edge = fromStart ? 0 : len - 1;
    const ref = lineMean(horizontal, edge);
    let k = 0;
    while (k < limit && lineIsFlat(horizontal, fromStart ? k : len - 1 - k, ref)) k++;
    return k >= Math.max(1, Math.ceil(len * minBar)) ? k : 0;
  };
  const top = bar(true, true);
  const bottom = bar(true, false);
  const left = bar(false, true);
  const right = bar(false, false);
  return { left, top, width: width - left - right, height: height - top - bottom };
}

/** Longest side of the proxy image the box is searched on (the crop is applied at full size). */
const PROXY_SIDE = 256;

/**
 * Trims uniform borders off a sharp image (orientation already applied) and returns a new
 * pipeline on the content box, plus the box in pixels of the decoded image. The box is searched on
 * a small proxy and applied at full size.
 */
export async function trimImage(image: sharp.Sharp, opts: TrimOptions = {}): Promise<{ image: sharp.Sharp; box: ContentBox; width: number; height: number }> {
  const { data: full, info: fi } = await image.clone().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const rawOpts = { raw: { width: fi.width, height: fi.height, channels: fi.channels } } as const;
  const { data, info } = await sharp(full, rawOpts)
    .resize(PROXY_SIDE, PROXY_SIDE, { fit: 'inside', kernel: 'nearest', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const b = findContentBox(data, info.width, info.height, info.channels, opts);
  const whole = { left: 0, top: 0, width: fi.width, height: fi.height };
  if (b.width === info.width && b.height === info.height) return { image: sharp(full, rawOpts), box: whole, width: fi.width, height: fi.height };
  const sx = fi.width / info.width;
  const sy = fi.height / info.height;
  // Round inward so no bar colour survives at the edges.
  const left = Math.min(fi.width - 1, Math.ceil(b.left * sx));
  const top = Math.min(fi.height - 1, Math.ceil(b.top * sy));
  const right = Math.max(left + 1, Math.min(fi.width, Math.floor((b.left + b.width) * sx)));
  const bottom = Math.max(top + 1, Math.min(fi.height, Math.floor((b.top + b.height) * sy)));
  const box = { left, top, width: right - left, height: bottom - top };
  return { image: sharp(full, rawOpts).extract(box), box, width: fi.width, height: fi.height };
}
