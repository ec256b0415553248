/**
 * Aligned pixel correlation, the second signal for images too small for keypoints (CIFAR-sized,
 * 32×32): both images at one small gray size, Pearson correlation of the pixels (so brightness
 * and contrast changes cancel), maximised over small shifts (±`shift` px, for a crop or a border)
 * and a mirror (for a flipped copy). Two copies of one tiny photo correlate near 1; two different
 * photos of one subject correlate much lower, because their layouts differ pixel by pixel.
 */

/** Result of {@link alignedCorrelation}. */
export interface PixelMatch {
  /** Best Pearson correlation in [-1, 1] over the shifts and the mirror; -1 when undefined (a flat image). */
  correlation: number;
  /** The best alignment was the mirrored image. */
  flipped: boolean;
}

/** Options of {@link alignedCorrelation}. */
export interface CorrelationOptions {
  /** Largest shift tried, in pixels, in x and y; default 2. */
  shift?: number;
  /**
   * Crop factors tried (each < 1): one image may be the crop of `k·side` pixels of the other, resized back
   * to `side` (a "zoomed" copy, as random-crop augmentation makes); every integer offset of the crop is
   * tried, in both directions and mirrored. Default none.
   */
  zooms?: readonly number[];
  /** Least overlap of a shift, as a share of the image; default 0.75. */
  minOverlap?: number;
}

/** The tiny path's search (src/verify/index.ts): shifts up to 5 px and crops down to 3/4 of a side. */
export const TINY_SEARCH: Readonly<Required<CorrelationOptions>> = Object.freeze({ shift: 5, zooms: Object.freeze([0.92, 0.84, 0.76]), minOverlap: 0.65 });

/**
 * The narrow search (shifts up to 2 px, no crops): the tiny path's search until 30 November 2026, kept for tiny
 * grayscale datasets (MNIST, Fashion-MNIST; {@link defaultPixelSearch} in ./index.ts). About a twelfth of
 * {@link TINY_SEARCH}'s cost per pair.
 */
export const NARROW_SEARCH: Readonly<Required<CorrelationOptions>> = Object.freeze({ shift: 2, zooms: Object.freeze([]) as readonly number[], minOverlap: 0.75 });

/**
 * Best correlation of two `side`×`side` gray images over shifts of up to `shift` pixels in x and y,
 * optional crops ({@link CorrelationOptions.zooms}) and a left–right mirror of `b`. The overlap of a
 * shift is compared; shifts whose overlap is under `minOverlap` of the image are not tried. A crop is
 * compared over the whole cropped image against the other image bilinearly resampled at that crop.
 * `opts` may be a number: the largest shift (the earlier signature).
 */
export function alignedCorrelation(a: Uint8Array, b: Uint8Array, side: number, opts: number | CorrelationOptions = 2): PixelMatch {
  const o = typeof opts === 'number' ? { shift: opts } : opts;
  const shift = o.shift ?? 2;
  const minOverlap = o.minOverlap ?? 0.75;
  let best = -1;
  let flipped = false;
  for (const mirror of [false, true]) {
    for (let dy = -shift; dy <= shift; dy++) {
      for (let dx = -shift; dx <= shift; dx++) {
        const c = correlationAt(a, b, side, dx, dy, mirror, minOverlap);
        if (c > best) {
          best = c;
          flipped = mirror;
        }
      }
    }
    for (const k of o.zooms ?? []) {
      const free = Math.floor(side * (1 - k));
      // b is a crop of a, then a is a crop of b (mirrored b: its mirror image is the crop). The correlation
      // is smooth in the offset (bilinear sampling): search every other offset, then the neighbours of the best.
      for (const bIsCrop of [true, false]) {
        const at = (ox: number, oy: number) => (bIsCrop ? cropCorrelation(a, b, side, k, ox, oy, mirror, false) : cropCorrelation(b, a, side, k, ox, oy, false, mirror));
        let c = -1, bx = 0, by = 0;
        const coarse = (v: number) => v === free || v % 2 === 0;
        for (let oy = 0; oy <= free; oy++) {
          if (!coarse(oy)) continue;
          for (let ox = 0; ox <= free; ox++) {
            if (!coarse(ox)) continue;
            const v = at(ox, oy);
            if (v > c) { c = v; bx = ox; by = oy; }
          }
        }
        for (let oy = Math.max(0, by - 1); oy <= Math.min(free, by + 1); oy++) {
          for (let ox = Math.max(0, bx - 1); ox <= Math.min(free, bx + 1); ox++) {
            if (coarse(ox) && coarse(oy)) continue;
            c = Math.max(c, at(ox, oy));
          }
        }
        if (c > best) {
          best = c;
          flipped = mirror;
        }
      }
    }
  }
  return { correlation: best, flipped };
}

/**
 * Correlation of `crop` (side², optionally read mirrored) with `full` (optionally mirrored) resampled
 * bilinearly over the square of `k·side` pixels at (ox, oy): crop pixel x maps to ox + (x + ½)·k − ½.
 */
function cropCorrelation(full: Uint8Array, crop: Uint8Array, side: number, k: number, ox: number, oy: number, mirrorCrop: boolean, mirrorFull: boolean): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const n = side * side;
  // Sampling positions depend on x (or y) alone: computed once per column and row, not per pixel.
  const c0s = new Int32Array(side), c1s = new Int32Array(side), fxs = new Float64Array(side);
  for (let x = 0; x < side; x++) {
    const u = Math.min(side - 1, Math.max(0, ox + (x + 0.5) * k - 0.5));
    const x0 = Math.min(side - 2, Math.floor(u));
    fxs[x] = u - x0;
    c0s[x] = mirrorFull ? side - 1 - x0 : x0;
    c1s[x] = mirrorFull ? c0s[x] - 1 : c0s[x] + 1;
  }
  for (let y = 0; y < side; y++) {
    const v = Math.min(side - 1, Math.max(0, oy + (y + 0.5) * k - 0.5));
    const y0 = Math.min(side - 2, Math.floor(v));
    const fy = v - y0;
    const r0 = y0 * side;
    const r1 = r0 + side;
    const rc = y * side;
    for (let x = 0; x < side; x++) {
      const c0 = c0s[x], c1 = c1s[x], fx = fxs[x];
      const top = full[r0 + c0] + (full[r0 + c1] - full[r0 + c0]) * fx;
      const bottom = full[r1 + c0] + (full[r1 + c1] - full[r1 + c0]) * fx;
      const va = top + (bottom - top) * fy;
      const vb = crop[rc + (mirrorCrop ? side - 1 - x : x)];
      sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
    }
  }
  return pearson(n, sa, sb, saa, sbb, sab);
}

function correlationAt(a: Uint8Array, b: Uint8Array, side: number, dx: number, dy: number, mirror: boolean, minOverlap: number): number {
  const x0 = Math.max(0, dx);
  const x1 = Math.min(side, side + dx);
  const y0 = Math.max(0, dy);
  const y1 = Math.min(side, side + dy);
  const count = (x1 - x0) * (y1 - y0);
  if (count < minOverlap * side * side) return -1;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let y = y0; y < y1; y++) {
    const rowA = y * side;
    const rowB = (y - dy) * side;
    for (let x = x0; x < x1; x++) {
      const va = a[rowA + x];
      const xb = x - dx;
      const vb = b[rowB + (mirror ? side - 1 - xb : xb)];
      sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
    }
  }
  return pearson(count, sa, sb, saa, sbb, sab);
}

/** Pearson correlation from the sums over `n` pixel pairs; -1 when either side is flat. */
function pearson(n: number, sa: number, sb: number, saa: number, sbb: number, sab: number): number {
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  if (va <= 1e-9 || vb <= 1e-9) return -1;
  return cov / Math.sqrt(va * vb);
}
