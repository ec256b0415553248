/**
 * Geometric verification of a candidate pair: ORB keypoints (Rublee et al., ICCV 2011) matched by
 * Hamming distance with Lowe's ratio test, then a RANSAC homography (Fischler & Bolles 1981); the
 * number of matches consistent with one homography is the evidence. Two copies of one photo
 * (resized, re-encoded, cropped, rotated a little, letterboxed, watermarked, recoloured) share many
 * keypoints in one geometric arrangement; two different photos of the same kind (two galaxies, two
 * patches of gravel) share look but not arrangement, so their inliers stay near the few that RANSAC
 * finds by chance. ORB is not mirror-invariant, so a horizontally flipped copy is tried too.
 *
 * The computer-vision parts are OpenCV's (`@techstark/opencv-js`, OpenCV 4.12 compiled to
 * WebAssembly, Apache-2.0): keypoints, descriptors, matcher and RANSAC are not ours.
 */
import { NeardupError } from '../errors';
import { DETAIL_MIN_STD } from './photometric';

/** ORB features of one image: keypoint positions (x, y pairs, pixels) and 32-byte descriptors. */
export interface OrbFeatures {
  /** Number of keypoints. */
  count: number;
  /** x0, y0, x1, y1, … in pixels of the analysed (downscaled) image. */
  points: Float32Array;
  /** count × 32 bytes. */
  descriptors: Uint8Array;
  /** Size of the analysed image in pixels. */
  width: number;
  height: number;
}

/** Result of {@link GeometricVerifier.match}. */
export interface GeometricMatch {
  /** Matches that pass the ratio test. */
  matches: number;
  /**
   * Matches consistent with the RANSAC homography: 0 when fewer than 4 matches; -1 when no homography was fitted
   * because there were fewer matches than `minMatches` ({@link GeometricVerifier.match}).
   */
  inliers: number;
  /**
   * Share of each image that the inliers span (area of their bounding box over the image's area),
   * the smaller of the two images' shares, 0..1. A copy agrees across the picture; two different
   * pictures that carry the same watermark, logo or caption agree only inside that small overlay.
   */
  coverage: number;
  /**
   * How much of one image lies inside the other under the homography: the larger of the two shares (points of
   * one image's frame that the homography, or its inverse, maps into the other's frame; {@link containment}),
   * 0..1; 0 without a homography. A copy is one picture inside the other (a crop inside its original, an
   * original inside its letterboxed or rotated-with-corners copy): near 1. Two overlapping views of one scene
   * (the frames of a panorama, two crops of one photo side by side) share one homography over their overlap,
   * but each has a part the other lacks: the share is the overlap's.
   */
  containment: number;
  /**
   * The RANSAC homography mapping points of the first image to the second (row-major 3×3, pixels of the
   * analysed images), or null when none was found.
   */
  homography: number[] | null;
}

/** Options of {@link GeometricVerifier}. */
export interface GeometricOptions {
  /** Keypoints per image (ORB's nfeatures); default 500. */
  features?: number;
  /** Lowe's ratio test: best / second-best Hamming distance must be below this; default 0.8. */
  ratio?: number;
  /** RANSAC reprojection error in pixels of the analysed image; default 5. */
  reprojection?: number;
  /** FAST corner threshold (gray levels) of the detector; default {@link FAST_THRESHOLD}. */
  fastThreshold?: number;
  /**
   * Low-contrast fallback: when the detector finds fewer than half of `features` keypoints at `fastThreshold`, it
   * runs again at this threshold; default {@link LOW_CONTRAST_FAST_THRESHOLD}; `false` turns the fallback off.
   */
  lowContrastThreshold?: number | false;
}

/** OpenCV ORB's default FAST threshold (gray levels). */
export const FAST_THRESHOLD = 20;
/**
 * The second, lower FAST threshold for low-contrast images. Why: on smooth images (ice, sand, haze, a pale
 * sky) FAST at 20 finds a few dozen corners of a 500 budget, too few for RANSAC to see a copy (an ice texture
 * and its crop: 39 and 36 keypoints, 14 inliers; at 7: 492 keypoints each, 192 inliers), while two different
 * smooth textures stay at 0–5 inliers either way (out/-only probe on the benchmark's textures, 1 December). The
 * pair 20 / 7 is ORB-SLAM2's (Mur-Artal & Tardós 2017: `ORBextractor.iniThFAST` 20, `minThFAST` 7, the lower one
 * used where the first finds no corner), not a value tuned here.
 */
export const LOW_CONTRAST_FAST_THRESHOLD = 7;

type CV = any; // opencv.js has no usable type declarations for its embind API.
// The Emscripten module is a thenable: resolving a promise with it would recurse into its `then`, so it
// travels wrapped in an object.
let cvPromise: Promise<{ cv: CV }> | null = null;

/** Loads OpenCV's WebAssembly build once per process (about 3 s on first use). */
function loadOpenCv(): Promise<{ cv: CV }> {
  if (!cvPromise) {
    cvPromise = (async () => {
      let mod: CV;
      // Emscripten's Node glue adds process-wide handlers that rethrow any uncaught exception and abort on
      // any unhandled rejection, in the whole process: in the notebook kernel that turned an error the
      // kernel survives (a stray socket error, a rejected user promise) into a dead kernel. Keep the
      // process's own handlers only.
      const before = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };
      try {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        mod = require('@techstark/opencv-js');
      } catch (err) {
        throw new NeardupError(`geometric verification needs the package @techstark/opencv-js: ${(err as Error).message}`, 'unsupported', { cause: err });
      } finally {
        for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
        for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
      }
      if (!mod.Mat) await new Promise<void>((resolve) => { mod.onRuntimeInitialized = () => resolve(); });
      return { cv: mod };
    })();
  }
  return cvPromise;
}

/**
 * ORB + RANSAC-homography verifier. Create with {@link GeometricVerifier.load}; `features()` on a
 * grayscale image, then `match()` two feature sets. Deterministic for the same inputs in one process
 * order (OpenCV's RANSAC uses its default-seeded generator).
 */
export class GeometricVerifier {
  private readonly nFeatures: number;
  private readonly ratio: number;
  private readonly reprojection: number;
  private readonly fastThreshold: number;
  private readonly lowContrastThreshold: number | false;

  private constructor(private readonly cv: CV, opts: GeometricOptions) {
    this.nFeatures = opts.features ?? 500;
    this.fastThreshold = opts.fastThreshold ?? FAST_THRESHOLD;
    this.lowContrastThreshold = opts.lowContrastThreshold ?? LOW_CONTRAST_FAST_THRESHOLD;
    this.ratio = opts.ratio ?? 0.8;
    this.reprojection = opts.reprojection ?? 5;
  }

  /**
   * Loads OpenCV (WebAssembly) and returns a verifier.
   * @throws NeardupError (`unsupported`) when the OpenCV package cannot be loaded.
   */
  static async load(opts: GeometricOptions = {}): Promise<GeometricVerifier> {
    return new GeometricVerifier((await loadOpenCv()).cv, opts);
  }

  /**
   * ORB features of a grayscale image (`gray`: width × height bytes, row-major). When the detector finds fewer
   * than half of its keypoint budget at the FAST threshold, it runs again at the low-contrast threshold
   * ({@link LOW_CONTRAST_FAST_THRESHOLD}) and that result is kept when it has more keypoints.
   * @throws NeardupError (`invalid_argument`) when the buffer does not hold width × height bytes.
   */
  features(gray: Uint8Array, width: number, height: number): OrbFeatures {
    if (gray.length !== width * height) throw new NeardupError(`features: ${gray.length} bytes for a ${width}x${height} image`, 'invalid_argument');
    const first = this.detect(gray, width, height, this.fastThreshold);
    const low = this.lowContrastThreshold;
    if (low === false || low >= this.fastThreshold || first.count * 2 >= this.nFeatures) return first;
    const second = this.detect(gray, width, height, low);
    return second.count > first.count ? second : first;
  }

  private detect(gray: Uint8Array, width: number, height: number, fastThreshold: number): OrbFeatures {
    const cv = this.cv;
    const img = new cv.Mat(height, width, cv.CV_8UC1);
    const mask = new cv.Mat();
    const kps = new cv.KeyPointVector();
    const des = new cv.Mat();
    // OpenCV's defaults but the FAST threshold: scale 1.2, 8 levels, edge 31, first level 0, WTA_K 2, Harris score, patch 31.
    const orb = new cv.ORB(this.nFeatures, 1.2, 8, 31, 0, 2, cv.ORB_HARRIS_SCORE ?? 0, 31, fastThreshold);
    try {
      img.data.set(gray);
      orb.detectAndCompute(img, mask, kps, des);
      const count = des.rows;
      const points = new Float32Array(count * 2);
      for (let i = 0; i < count; i++) {
        const p = kps.get(i).pt;
        points[2 * i] = p.x;
        points[2 * i + 1] = p.y;
      }
      return { count, points, descriptors: count ? Uint8Array.from(des.data) : new Uint8Array(0), width, height };
    } finally {
      img.delete(); mask.delete(); kps.delete(); des.delete(); orb.delete();
    }
  }

  /**
   * Ratio-test matches of `a` against `b` and the inliers of a RANSAC homography fitted to them; with fewer than
   * `minMatches` matches (default 4, the fewest a homography needs) no homography is fitted (`inliers` -1).
   * The brute-force Hamming nearest-two search is done here in JavaScript (the same result as OpenCV's
   * BFMatcher.knnMatch with k = 2): reading OpenCV's match vectors through embind cost more than the
   * search itself (measured in bench/verify.bench.ts's run notes, docs/quality.md).
   */
  match(a: OrbFeatures, b: OrbFeatures, minMatches = 4): GeometricMatch {
    if (a.count < 2 || b.count < 2) return { matches: 0, inliers: 0, coverage: 0, containment: 0, homography: null };
    const cv = this.cv;
    const src: number[] = [];
    const dst: number[] = [];
    const A = words(a);
    const B = words(b);
    const T = POPCOUNT16;
    for (let i = 0; i < a.count; i++) {
      let best = 257, second = 257, bestJ = -1;
      const ai = i * 8;
      const a0 = A[ai], a1 = A[ai + 1], a2 = A[ai + 2], a3 = A[ai + 3], a4 = A[ai + 4], a5 = A[ai + 5], a6 = A[ai + 6], a7 = A[ai + 7];
      for (let j = 0, bj = 0; j < b.count; j++, bj += 8) {
        // Hamming distance of two 256-bit descriptors (16-bit popcount table), stopping as soon as the
        // partial sum cannot be among the two best (exact: the distance only grows).
        let x = a0 ^ B[bj], y = a1 ^ B[bj + 1];
        let d = T[x & 0xffff] + T[x >>> 16] + T[y & 0xffff] + T[y >>> 16];
        if (d >= second) continue;
        x = a2 ^ B[bj + 2]; y = a3 ^ B[bj + 3];
        d += T[x & 0xffff] + T[x >>> 16] + T[y & 0xffff] + T[y >>> 16];
        if (d >= second) continue;
        x = a4 ^ B[bj + 4]; y = a5 ^ B[bj + 5];
        d += T[x & 0xffff] + T[x >>> 16] + T[y & 0xffff] + T[y >>> 16];
        x = a6 ^ B[bj + 6]; y = a7 ^ B[bj + 7];
        d += T[x & 0xffff] + T[x >>> 16] + T[y & 0xffff] + T[y >>> 16];
        if (d < best) { second = best; best = d; bestJ = j; } else if (d < second) second = d;
      }
      if (bestJ >= 0 && second <= 256 && best < this.ratio * second) {
        src.push(a.points[2 * i], a.points[2 * i + 1]);
        dst.push(b.points[2 * bestJ], b.points[2 * bestJ + 1]);
      }
    }
    {
      const matches = src.length / 2;
      if (matches < 4) return { matches, inliers: 0, coverage: 0, containment: 0, homography: null };
      // Inliers are a subset of the matches: a caller that needs `minMatches` inliers learns all it can from the
      // count. RANSAC on a few chance matches runs all of its 2,000 iterations (6–70 ms here, against 4 ms for
      // the whole descriptor search; out/-only probe on the control photos, 1 December), most of a look-alike
      // pair's cost.
      if (matches < minMatches) return { matches, inliers: -1, coverage: NaN, containment: NaN, homography: null };
      const s = cv.matFromArray(matches, 1, cv.CV_32FC2, src);
      const d = cv.matFromArray(matches, 1, cv.CV_32FC2, dst);
      const inlierMask = new cv.Mat();
      try {
        const h = cv.findHomography(s, d, cv.RANSAC, this.reprojection, inlierMask);
        let inliers = 0;
        const homography = h.empty() ? null : Array.from(h.data64F as Float64Array);
        const box = [Infinity, Infinity, -Infinity, -Infinity, Infinity, Infinity, -Infinity, -Infinity];
        if (!h.empty()) {
          for (let i = 0; i < inlierMask.rows; i++) {
            if (!inlierMask.data[i]) continue;
            inliers++;
            grow(box, 0, src[2 * i], src[2 * i + 1]);
            grow(box, 4, dst[2 * i], dst[2 * i + 1]);
          }
        }
        h.delete();
        const share = (o: number, w: number, hgt: number) => (inliers ? ((box[o + 2] - box[o]) * (box[o + 3] - box[o + 1])) / (w * hgt) : 0);
        const fitted = inliers ? homography : null;
        return {
          matches,
          inliers,
          coverage: Math.min(share(0, a.width, a.height), share(4, b.width, b.height)),
          containment: fitted ? containment(fitted, a.width, a.height, b.width, b.height) : 0,
          homography: fitted,
        };
      } finally {
        s.delete(); d.delete(); inlierMask.delete();
      }
    }
  }
}

/** Points per side of the grid {@link containment} maps (cell centres): 256 points, 1/16 of a side apart. */
const CONTAINMENT_GRID = 16;
/** How far outside the other frame a mapped point may land and still count as inside (share of that frame's side): room for the homography's error at the corners. */
const CONTAINMENT_SLACK = 0.03;

/**
 * How much of one image lies inside the other under a homography `h` (row-major 3×3, mapping pixels of image A,
 * `aw`×`ah`, to image B, `bw`×`bh`): the share of a 16×16 grid of A's cell centres that `h` maps into B's frame
 * (3 % slack per side), and of B's that the inverse maps into A's; the larger of the two, 0..1. A point mapped
 * behind the camera (w ≤ 0) is outside; a singular `h` gives 0. The same measure as the share of a picture the
 * other one holds: 1 for a crop and its original, about 0.5 for two frames of a panorama that overlap by half.
 */
export function containment(h: readonly number[], aw: number, ah: number, bw: number, bh: number): number {
  // A singular homography collapses a frame onto a line or a point, which lands "inside" anything.
  const inv = invert3(h);
  return inv ? Math.max(insideShare(h, aw, ah, bw, bh), insideShare(inv, bw, bh, aw, ah)) : 0;
}

function insideShare(h: readonly number[], w: number, hgt: number, tw: number, th: number, detail?: Uint8Array, n = CONTAINMENT_GRID): number {
  let counted = 0;
  if (detail) for (let c = 0; c < n * n; c++) counted += detail[c];
  // Too little detail to say where the content is (under an eighth of the cells): every cell counts.
  const only = detail && counted * 8 >= n * n ? detail : null;
  const sx = CONTAINMENT_SLACK * tw, sy = CONTAINMENT_SLACK * th;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const y = ((i + 0.5) / n) * hgt;
    for (let j = 0; j < n; j++) {
      if (only && !only[i * n + j]) continue;
      const x = ((j + 0.5) / n) * w;
      const z = h[6] * x + h[7] * y + h[8];
      if (!(z > 0)) continue;
      const u = (h[0] * x + h[1] * y + h[2]) / z;
      const v = (h[3] * x + h[4] * y + h[5]) / z;
      if (u >= -sx && u <= tw + sx && v >= -sy && v <= th + sy) inside++;
    }
  }
  return inside / (only ? counted : n * n);
}

/**
 * Cells per side of the grid {@link contentInside} counts: 64 (5 px at 320 px). Finer than {@link containment}'s, so
 * the cells that straddle a rotated copy's black corners, half flat and half picture, are a few per cent of its
 * content, not a fifth (at 16 per side a copy rotated 10° with its corners scored 0.78, as a crop to 80 % does).
 */
export const INSIDE_GRID = 64;

/**
 * Which cells of an `n`×`n` grid ({@link INSIDE_GRID} by default) over a gray image (`width` × `height` bytes,
 * row-major) hold detail (standard deviation ≥ 6 gray levels): n² bytes, 1 for detail, row by row. Flat cells (letterbox bars, a
 * rotated copy's black corners, a blank sky) are not content that {@link contentInside} asks the other picture to hold.
 */
export function detailGrid(gray: Uint8Array, width: number, height: number, n = INSIDE_GRID): Uint8Array {
  const out = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) {
    const y0 = Math.floor((i * height) / n), y1 = Math.floor(((i + 1) * height) / n);
    for (let j = 0; j < n; j++) {
      const x0 = Math.floor((j * width) / n), x1 = Math.floor(((j + 1) * width) / n);
      let sum = 0, sq = 0, count = 0;
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = x0; x < x1; x++) {
          const v = gray[row + x];
          sum += v;
          sq += v * v;
          count++;
        }
      }
      const mean = count ? sum / count : 0;
      out[i * n + j] = count && sq / count - mean * mean >= DETAIL_MIN_STD * DETAIL_MIN_STD ? 1 : 0;
    }
  }
  return out;
}

/** A {@link detailGrid} of the mirrored image. */
export function mirrorDetailGrid(grid: Uint8Array): Uint8Array {
  const n = Math.round(Math.sqrt(grid.length));
  const out = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = grid[i * n + n - 1 - j];
  return out;
}

/**
 * Which way one picture holds the other: `[a, b]`, the share of A's content (its cells with detail, {@link detailGrid};
 * all cells when under an eighth of them have detail) that the homography `h` (A → B, as in {@link containment}) maps into B's frame, and
 * the share of B's content that the inverse maps into A's; 0..1 each, `[0, 0]` for a singular `h`. Grids of {@link INSIDE_GRID} cells per side
 * (`detailA`, `detailB` from {@link detailGrid}). A centred crop of a photo to 80 % of each side (A the crop): about
 * `[1, 0.68]` (0.64 of the area, plus the 3 % slack); a copy in the same frame, a letterboxed copy (its bars are flat)
 * or a rotated one with black corners: both near 1. The keep order uses it (src/dedup/groups.ts, `heldInside`), never the verdict.
 */
export function contentInside(h: readonly number[], aw: number, ah: number, bw: number, bh: number, detailA: Uint8Array, detailB: Uint8Array): [number, number] {
  const inv = invert3(h);
  if (!inv) return [0, 0];
  const n = Math.round(Math.sqrt(detailA.length));
  return [insideShare(h, aw, ah, bw, bh, detailA, n), insideShare(inv, bw, bh, aw, ah, detailB, n)];
}

/** Inverse of a row-major 3×3 matrix, or null when it is (nearly) singular. */
function invert3(m: readonly number[]): number[] | null {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return null;
  const r = 1 / det;
  return [A * r, -(b * i - c * h) * r, (b * f - c * e) * r, B * r, (a * i - c * g) * r, -(a * f - c * d) * r, C * r, -(a * h - b * g) * r, (a * e - b * d) * r];
}

/** The descriptors as 32-bit words (8 per 32-byte descriptor). */
function words(f: OrbFeatures): Uint32Array {
  const d = f.descriptors;
  if (d.byteOffset % 4 === 0) return new Uint32Array(d.buffer, d.byteOffset, d.length >> 2);
  return new Uint32Array(Uint8Array.from(d).buffer);
}

/** Set bits of every 16-bit number: two lookups count a 32-bit word (faster here than SWAR arithmetic). */
const POPCOUNT16 = (() => {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
})();

function grow(box: number[], o: number, x: number, y: number): void {
  box[o] = Math.min(box[o], x);
  box[o + 1] = Math.min(box[o + 1], y);
  box[o + 2] = Math.max(box[o + 2], x);
  box[o + 3] = Math.max(box[o + 3], y);
}

/** Mirrors a grayscale image left–right (for the flipped-copy check). */
export function flipGray(gray: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(gray.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = gray[row + width - 1 - x];
  }
  return out;
}
