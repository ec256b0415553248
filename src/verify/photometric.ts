/**
 * Photometric agreement after alignment: the check that tells a copy from a look-alike that shares
 * a layout. Keypoints alone cannot: two different pages of one manual share their headings, rules
 * and margins, so ORB finds a hundred matches in one arrangement (the identity) between them. What
 * differs is the content *between* those keypoints. So the second image is warped onto the first
 * with the RANSAC homography, both are cut into tiles, and each tile with detail is compared with a
 * normalised cross-correlation (so brightness and contrast changes cancel). A copy agrees tile after
 * tile (except under a watermark or where a crop or letterbox left no overlap); a different page
 * agrees only on its headings.
 */

/** Result of {@link alignedAgreement}. */
/** Least standard deviation (gray levels) of a tile with detail: flat tiles (bars, blank sky, black corners) say nothing. */
export const DETAIL_MIN_STD = 6;

export interface Agreement {
  /** Tiles with detail in either image and fully inside both images after alignment. */
  tiles: number;
  /** Share of those tiles whose correlation is at least `minTile`, 0..1 (0 when there are no tiles). */
  agreeing: number;
  /** Median tile correlation, -1..1 (-1 when there are no tiles). */
  median: number;
}

/** Options of {@link alignedAgreement}. */
export interface AgreementOptions {
  /** Tile side in pixels of the analysed image; default 16. */
  tile?: number;
  /** Least standard deviation (gray levels) for a tile to count as having detail; default {@link DETAIL_MIN_STD}. */
  minStd?: number;
  /** Least correlation for a tile to agree; default 0.5. */
  minTile?: number;
  /** Compare horizontal gradients instead of gray levels (letters and word gaps, not line stripes). */
  gradient?: boolean;
  /** Box-blur radius (px) applied to both images before the comparison, so blur and JPEG copies still agree; default 1. */
  smooth?: number;
  /**
   * `a` already smoothed ({@link smoothGray} of `a` with the same `smooth`), so a caller that compares one
   * image with many others blurs it once; the result is bit-identical to passing nothing.
   */
  smoothedA?: Float32Array;
  /** `b` already smoothed ({@link smoothGray}); used only when `h` is the identity (no resampling), as `smoothedA`. */
  smoothedB?: Float32Array;
}

/**
 * A gray image (w × h bytes) as floats box-blurred with radius `smooth` (the agreement's smoothing), for
 * {@link AgreementOptions.smoothedA} / `smoothedB`.
 */
export function smoothGray(g: Uint8Array, w: number, h: number, smooth = 1): Float32Array {
  const f = new Float32Array(w * h);
  f.set(g);
  return smooth > 0 ? boxBlur(f, w, h, smooth) : f;
}

/**
 * Warps `b` (wb × hb gray bytes) onto `a` (wa × ha) with `h` (row-major 3×3, mapping a's pixel
 * coordinates to b's, as {@link GeometricMatch.homography}), and measures how many tiles of `a`
 * agree with the warped `b`. Bilinear sampling; tiles partly outside `b` are skipped.
 */
export function alignedAgreement(
  a: Uint8Array, wa: number, ha: number,
  b: Uint8Array, wb: number, hb: number,
  h: readonly number[], opts: AgreementOptions = {},
): Agreement {
  const T = opts.tile ?? 16;
  const minStd = opts.minStd ?? DETAIL_MIN_STD;
  const minTile = opts.minTile ?? 0.5;
  const identity = wa === wb && ha === hb && h[0] === 1 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 1 && h[5] === 0 && h[6] === 0 && h[7] === 0 && h[8] === 1;
  const r = opts.smooth ?? 1;
  let pa = opts.smoothedA ?? smoothGray(a, wa, ha, r);
  let pb: Float32Array;
  let inside: Uint8Array | null = null; // null: every pixel of `a` has a sample of `b` (identity)
  if (identity) {
    // Already aligned (the cheap first try): no resampling.
    pb = opts.smoothedB ?? smoothGray(b, wb, hb, r);
  } else {
    const warped = new Float32Array(wa * ha);
    inside = new Uint8Array(wa * ha);
    for (let y = 0; y < ha; y++) {
      for (let x = 0; x < wa; x++) {
        const z = h[6] * x + h[7] * y + h[8];
        if (!(Math.abs(z) > 1e-9)) continue;
        const u = (h[0] * x + h[1] * y + h[2]) / z;
        const v = (h[3] * x + h[4] * y + h[5]) / z;
        if (!(u >= 0 && v >= 0 && u <= wb - 1 && v <= hb - 1)) continue;
        const x0 = Math.min(wb - 2, Math.floor(u));
        const y0 = Math.min(hb - 2, Math.floor(v));
        const fx = u - x0;
        const fy = v - y0;
        const i = y0 * wb + x0;
        const top = b[i] + (b[i + 1] - b[i]) * fx;
        const bottom = b[i + wb] + (b[i + wb + 1] - b[i + wb]) * fx;
        warped[y * wa + x] = top + (bottom - top) * fy;
        inside[y * wa + x] = 1;
      }
    }
    pb = r > 0 ? boxBlur(warped, wa, ha, r) : warped;
  }
  if (opts.gradient) {
    pa = gradientX(pa, wa, ha);
    pb = gradientX(pb, wa, ha);
  }
  const corr: number[] = [];
  for (let ty = 0; ty + T <= ha; ty += T) {
    for (let tx = 0; tx + T <= wa; tx += T) {
      let ok = true;
      if (inside) for (let y = ty; y < ty + T && ok; y++) for (let x = tx; x < tx + T; x++) if (!inside[y * wa + x]) { ok = false; break; }
      if (!ok) continue;
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      const c = T * T;
      for (let y = ty; y < ty + T; y++) {
        for (let x = tx; x < tx + T; x++) {
          const va = pa[y * wa + x];
          const vb = pb[y * wa + x];
          sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
        }
      }
      const varA = saa - (sa * sa) / c;
      const varB = sbb - (sb * sb) / c;
      const sdA = Math.sqrt(Math.max(0, varA) / c);
      const sdB = Math.sqrt(Math.max(0, varB) / c);
      if (sdA < minStd && sdB < minStd) continue; // flat in both: says nothing
      corr.push(sdA < 1e-6 || sdB < 1e-6 ? 0 : (sab - (sa * sb) / c) / Math.sqrt(varA * varB));
    }
  }
  if (!corr.length) return { tiles: 0, agreeing: 0, median: -1 };
  let agree = 0;
  for (const r of corr) if (r >= minTile) agree++;
  corr.sort((x, y) => x - y);
  return { tiles: corr.length, agreeing: agree / corr.length, median: corr[corr.length >> 1] };
}

function gradientX(p: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 1; x < w - 1; x++) out[y * w + x] = p[y * w + x + 1] - p[y * w + x - 1];
  return out;
}

/**
 * Separable box blur of radius r (window 2r+1), edges clamped. Away from the edges the window is read
 * without clamping; every pixel's sum is taken in the same order either way, so the result is the same
 * to the bit.
 */
function boxBlur(p: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (x >= r && x + r < w) for (let i = row + x - r, end = row + x + r; i <= end; i++) s += p[i];
      else for (let d = -r; d <= r; d++) s += p[row + Math.min(w - 1, Math.max(0, x + d))];
      tmp[row + x] = s / n;
    }
  }
  for (let y = 0; y < h; y++) {
    const inner = y >= r && y + r < h;
    for (let x = 0; x < w; x++) {
      let s = 0;
      if (inner) for (let i = (y - r) * w + x, end = (y + r) * w + x; i <= end; i += w) s += tmp[i];
      else for (let d = -r; d <= r; d++) s += tmp[Math.min(h - 1, Math.max(0, y + d)) * w + x];
      out[y * w + x] = s / n;
    }
  }
  return out;
}

/**
 * The homography `h` (row-major 3×3, pixels) for images scaled by `s` in both directions:
 * S·H·S⁻¹ with S = diag(s, s, 1).
 */
export function scaleHomography(h: readonly number[], s: number): number[] {
  return [h[0], h[1], h[2] * s, h[3], h[4], h[5] * s, h[6] / s, h[7] / s, h[8]];
}

/** Halves a gray image (w × h bytes, even sides) by averaging 2×2 blocks. */
export function halveGray(g: Uint8Array, w: number, h: number): Uint8Array {
  const w2 = w >> 1, h2 = h >> 1;
  const out = new Uint8Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      const i = 2 * y * w + 2 * x;
      out[y * w2 + x] = (g[i] + g[i + 1] + g[i + w] + g[i + w + 1] + 2) >> 2;
    }
  }
  return out;
}
