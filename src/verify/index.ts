/**
 * Verification of candidate pairs: the step between the neighbour lists and the groups that makes
 * each duplicate verdict rest on two independent signals when the first one is not conclusive.
 *
 * Why: a CNN embedding puts unrelated images of one kind (galaxies on black, patches of gravel,
 * product shots on white, pages of text) as close to one another as copies of one photo are to each
 * other, so no single cosine threshold separates copies from look-alikes in every collection. A copy
 * keeps the *arrangement* of the original's details; a look-alike does not. So every pair whose
 * cosine falls in the uncertain band [`band`, `sure`) is checked with a second signal:
 * - images with keypoints: ORB matches consistent with one RANSAC homography (`./geometric.ts`),
 *   also against the mirrored image; at least `minInliers` spanning at least `minCoverage` of each
 *   image make the pair a verified duplicate (a shared watermark or logo matches only in a corner);
 * - images too small for keypoints (either side under `tinySide` px, e.g. CIFAR): aligned pixel
 *   correlation (`./pixels.ts`) of at least `minCorrelation`.
 * A pair that fails is *rejected*: it is dropped from the lists that groups are built from, at every
 * threshold. Pairs at or above `sure` and exact copies need no check. Pairs below `band` are not
 * checked and count only if the user lowers the threshold below `band`.
 *
 * The cosine (the article's `max_similarity`) stays the histogram's axis; what changes is the verdict
 * and its evidence, kept per pair in {@link PairEvidence}.
 */
import type { Dataset, Neighbors } from '../types';
import { decodeImage } from '../images/decode';
import { readEncoded } from '../images/source';
import { arrayImageToRgb } from '../images/array';
import type { OrbFeatures } from './geometric';
import { alignedCorrelation, TINY_SEARCH, NARROW_SEARCH, type CorrelationOptions } from './pixels';
export { TINY_SEARCH, NARROW_SEARCH } from './pixels';
import { ImageStore, type CheckSettings, type ItemResult } from './tasks';
import { TaskPool } from './pool';
import { trimBorders } from './trim';
import { isTinyArray } from '../dedup/defaults';
import { alignedAgreement, halveGray, smoothGray } from './photometric';
import { flipGray } from './geometric';
import { availableParallelism } from 'node:os';
import { NeardupError } from '../errors';
import { OcrReader, wordContainment, ocrVetoes, OCR_BELOW_AGREEMENT, OCR_MIN_WORDS, OCR_MAX_SIMILARITY } from './ocr';
import sharp from 'sharp';
export { OCR_BELOW_AGREEMENT, OCR_MIN_WORDS, OCR_MAX_SIMILARITY, OCR_MIN_CONFIDENCE, OCR_SIDE, wordContainment } from './ocr';

/** Why a pair is, or is not, a duplicate. */
export type VerdictRule =
  /** cosine ≥ `sure`: conclusive on its own. */
  | 'cosine'
  /** In the band and confirmed by keypoints (inliers) or, for tiny images, by aligned pixels. */
  | 'verified'
  /** In the band and not confirmed: never a duplicate. */
  | 'rejected'
  /** Below the band: not checked (a duplicate only if the threshold is lowered below the band). */
  | 'unchecked'
  /** An image could not be read for the check: the pair stays unconfirmed and is not a duplicate. */
  | 'unreadable';

/** Evidence for one candidate pair (a < b, row indices). */
export interface PairEvidence {
  a: number;
  b: number;
  /** Cosine similarity of the two embeddings. */
  cosine: number;
  /** The rule that decided the pair. */
  rule: VerdictRule;
  /**
   * Keypoint matches consistent with one homography; -1 when not checked with keypoints, or when no homography was
   * fitted because `matches` was under the inliers the pair needed (it could not pass on them).
   */
  inliers: number;
  /** Keypoint matches that pass Lowe's ratio test, the most inliers there can be (-1 when not checked with keypoints). */
  matches: number;
  /** Share of the images the inliers span (see {@link GeometricMatch.coverage}); NaN when not checked with keypoints. */
  coverage: number;
  /**
   * Share of one image that lies inside the other under the homography ({@link GeometricMatch.containment}), 0..1;
   * NaN when not checked with keypoints (a pair verified as they are, or with pixels, is one frame: 1 in effect).
   */
  containment: number;
  /**
   * Which picture holds the other's content (`contentInside`, `./geometric.ts`): the share of `a`'s cells with detail
   * inside `b` under the homography, and of `b`'s inside `a`; measured on pairs whose keypoints pass (unset otherwise).
   * The scan's keep order visits a picture held inside another after it ({@link heldInside}).
   */
  inside?: [number, number];
  /**
   * Share of the detailed tiles that agree once the second image is warped onto the first with the
   * homography ({@link alignedAgreement}, `./photometric.ts`), 0..1; NaN when not measured (keypoints
   * did not pass, or the pair was checked with pixels).
   */
  agreement: number;
  /** Aligned pixel correlation (NaN when not checked with pixels). */
  pixelCorrelation: number;
  /**
   * With the pixel margin ({@link VerifyOptions.pixelMargin}): the best pixel correlation of either image of the pair
   * over the pairs checked with pixels. A pair whose `pixelCorrelation` passes the level but is more than the margin
   * under this is `rejected`: one of its images matches another picture clearly better. Unset otherwise.
   */
  pixelBest?: number;
  /** The second signal matched the mirrored image. */
  flipped: boolean;
  /**
   * The pair was a candidate of the lower band ({@link LowBandOptions}): cosine under `band`, checked by keypoints
   * only and, when `verified`, listed at the band's bottom so it groups at the default threshold.
   */
  lowBand: boolean;
  /**
   * Confident words OCR read on each image ({@link OcrReader}, `./ocr.ts`); -1 when not read (OCR runs only on
   * verified keypoint-size pairs with `agreement` under {@link OCR_BELOW_AGREEMENT}, and skips the second
   * image once the first is not legible).
   */
  ocrWords: [number, number];
  /**
   * Word containment of the two readings ({@link wordContainment}), 0..1; NaN when not compared (either side
   * not read or under {@link OCR_MIN_WORDS} words). Under {@link OCR_MAX_SIMILARITY} the pair is `rejected`:
   * two legible pages with different text.
   */
  ocrSimilarity: number;
}

/** Options of {@link verifyCandidates}; every default comes from docs/quality.md's leave-one-family-out choice. */
export interface VerifyOptions {
  /** Lowest cosine that is checked (the band's bottom); default {@link VERIFY_BAND}. */
  band?: number;
  /** Cosine at or above which no check is needed; default {@link SURE_COSINE}. */
  sure?: number;
  /** Least RANSAC inliers for a verified pair; default {@link MIN_INLIERS}. */
  minInliers?: number;
  /** Least share of the images the inliers must span; default {@link MIN_COVERAGE}. */
  minCoverage?: number;
  /**
   * Least share of one image inside the other under the keypoints' homography (a copy is one picture inside the
   * other; two overlapping views of a scene are not); 0 turns it off; default {@link MIN_CONTAINMENT}.
   */
  minContainment?: number;
  /** Least share of agreeing tiles after a keypoint alignment; 0 turns the photometric check off; default {@link MIN_AGREEMENT}. */
  minAgreement?: number;
  /** Least share of agreeing tiles of the images as they are (or mirrored), which verifies without keypoints; default {@link MIN_IDENTITY_AGREEMENT}. */
  minIdentity?: number;
  /** Least aligned pixel correlation for tiny images; default {@link defaultPixelCorrelation} of the dataset (the scan also knows folders of tiny colour files). */
  minCorrelation?: number;
  /**
   * The pixel margin: a pair checked with aligned pixels is verified only when its correlation is within this of the
   * best pixel correlation of either of its two images (among the pairs this verification checks with pixels), so a
   * thumbnail pairs with the picture it was made from and not with the look-alikes it also correlates with. `false`
   * turns it off. Default {@link defaultPixelMargin} of the dataset (the scan also knows folders of tiny colour files).
   */
  pixelMargin?: number | false;
  /**
   * Least ratio-test matches for a RANSAC homography to be fitted (at least 4); default: the inliers the pair needs
   * (`minInliers`, or the lower band's). Fewer matches cannot give that many inliers, so the verdict is the same
   * without the fit, which on a look-alike pair's few chance matches is most of its cost (docs/quality.md, "Cost").
   * The families eval passes 4, so every pair keeps its inlier count for its replays at lower levels.
   */
  minMatches?: number;
  /**
   * Shifts and crops the pixel check searches (`./pixels.ts`); default {@link TINY_SEARCH}. The scan passes
   * {@link defaultPixelSearch} of the dataset.
   */
  pixelSearch?: CorrelationOptions;
  /** Images with a side under this many pixels use the pixel check; default 64. */
  tinySide?: number;
  /** Side (px) images are decoded at for keypoints; default 320. */
  side?: number;
  /** Decompression-bomb limit for the decodes (pixels); default the decoder's. */
  maxPixels?: number;
  /** Decodes in flight; default 4. */
  concurrency?: number;
  /**
   * Worker threads for the keypoint check (each loads its own OpenCV: about 0.7 s of CPU); 0 runs it on the
   * calling thread. Default {@link defaultVerifyWorkers}. The evidence is the same for any number.
   */
  workers?: number;
  /**
   * OCR veto (`./ocr.ts`): verified pairs of legible text pages whose words differ are rejected. Default true;
   * false turns it off (the verdicts of before 30 November).
   */
  ocr?: boolean;
  /** Verified pairs with agreement at or above this level are not read; default {@link OCR_BELOW_AGREEMENT}. */
  ocrBelowAgreement?: number;
  /**
   * The lower band for strong geometric evidence ({@link LowBandOptions}); default {@link defaultLowBand} of the
   * dataset and these options ({@link DEFAULT_LOW_BAND}, none for tiny arrays or settings stricter than it; the scan
   * also leaves it out for folders of tiny files);
   * `false` turns it off (pairs under `band` are never checked, as before).
   */
  low?: LowBandOptions | false;
  /**
   * ORB's low-contrast fallback (`./geometric.ts`): an image on which FAST at its default threshold (20) finds
   * under half of the 500-keypoint budget is described again at `LOW_CONTRAST_FAST_THRESHOLD` (7), so smooth
   * images (ice, sand, haze) have keypoints to confirm a crop or a rotation. Default true; false: as before 1 December.
   */
  lowContrast?: boolean;
  /**
   * Evidence already decided by an earlier call over a subset of these lists (keyed `a * n + b`, a < b): those
   * pairs are not checked again and keep their verdicts. The scan passes its first pass's evidence when it
   * widens crowded lists (src/similarity/widen.ts); `stats` then count the new pairs only, except `candidates`.
   */
  known?: ReadonlyMap<number, PairEvidence>;
  /**
   * OCR readings by row (null: not legible or unreadable), shared between calls so a page is read once: the
   * scan passes one map to its first pass and to the pass over widened lists. Default: a new map per call.
   */
  ocrWords?: Map<number, string[] | null>;
  /** Progress: pairs checked so far, of total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The lower band (issue 10, rotated copies): a pair whose cosine is under the band's bottom but at least
 * `floor`, and listed close to each other (`maxRank`), is checked by keypoints only and counts as a
 * duplicate with strong evidence: at least `minInliers` RANSAC inliers spanning `minCoverage` of each
 * image, and `minAgreement` of the tiles agreeing after the alignment. Why: a rotated copy with black
 * corners (or a rotated and cropped one) sits at cosines 0.63–0.87 from its original on natural textures
 * and dark photos, under the threshold, while its keypoints align (150–300 inliers, tile agreement
 * 0.85–1.00 after warping; docs/quality.md). A verified pair is listed with the score `band` (as a pHash
 * match is lifted: src/phash/merge.ts), so it counts at the default threshold; `max_similarity` keeps the
 * cosine. A pair that fails stays `unchecked` (as every pair under the band was before). The OCR veto
 * applies as to any verified pair.
 */
export interface LowBandOptions {
  /** Lowest cosine checked. */
  floor: number;
  /**
   * Neighbour rule: with `mutual`, each must be within the other's `maxRank` nearest; otherwise either one
   * within the other's `maxRank` nearest (positions in the neighbour lists, 1 = nearest).
   */
  maxRank: number;
  mutual: boolean;
  /** Least RANSAC inliers (at least the band's `minInliers`). */
  minInliers: number;
  /** Least share of the images the inliers span (at least the band's `minCoverage`). */
  minCoverage: number;
  /** Least share of agreeing tiles after the alignment (at least the band's `minAgreement`). */
  minAgreement: number;
}

/**
 * Defaults, chosen on all seven image families of the benchmark and the control (`npm run eval -- --families`,
 * bench/eval/families-eval.ts, `choose`; docs/quality.md, "Verification"): no removal in the
 * no-duplicates control, then the fewest wrong removals, then the most families at group-pair
 * precision ≥ 0.99 with no wrong removal, then the best mean F1. Each family's reported figures come
 * from the same rule applied without it (leave-one-family-out), which does not always give this setting.
 * The band's bottom is the photo default threshold ({@link DEFAULT_THRESHOLD} in src/dedup/defaults.ts).
 */
export const VERIFY_BAND = 0.78;
export const SURE_COSINE = 0.99;
/**
 * Sure level for tiny grayscale datasets (MNIST, Fashion-MNIST): their threshold (0.98,
 * src/dedup/defaults.ts) was calibrated with every pair ≥ 0.94 counted on its cosine, and the pixel
 * check has not been measured on them, so they keep that level.
 */
export const TINY_GRAYSCALE_SURE = 0.94;
/**
 * Sure level for array datasets of tiny images (either side under `tinySide`, e.g. CIFAR), checked with
 * aligned pixels: the level the earlier leave-one-family-out choice made with the tiny family (0.94);
 * checking their pairs above it too loses recall (tiny family 0.629 → 0.564, docs/quality.md) and no
 * look-alike pair above it was found there.
 */
export const TINY_ARRAY_SURE = 0.94;
export const MIN_INLIERS = 20;
/**
 * Least aligned pixel correlation for a pair of image files where one is under 64 px (a thumbnail of a photo,
 * page or screenshot; `./pixels.ts` with {@link TINY_SEARCH}): 0.92 with the pixel margin ({@link PIXEL_MARGIN}), the
 * families evaluation's choice on all seven families (1 December, seventh session). From the sixth session to then it
 * was 0.95 without a margin: at 32×32 an editor's window chrome is most of the picture, and thumbnails of different
 * screenshots correlate 0.92–0.95; the margin now keeps them apart (docs/quality.md, "Each thumbnail with its own
 * picture"). Datasets of tiny images use {@link TINY_PIXEL_CORRELATION} without a margin ({@link defaultPixelMargin}).
 */
export const MIN_PIXEL_CORRELATION = 0.92;
/**
 * Least aligned pixel correlation for arrays of tiny images (CIFAR-like) and folders of tiny colour files: 0.92, the
 * tiny path's own choice on the tiny family (its threshold and pixel level; docs/quality.md): the search also tries
 * shifts to ±5 px and crops, which lifts unrelated tiny look-alikes to 0.90–0.925 at cosines 0.65–0.75, and every
 * copy kind there stays at or above 0.91.
 */
export const TINY_PIXEL_CORRELATION = 0.92;

/**
 * The default pixel level for a dataset: {@link TINY_PIXEL_CORRELATION} for arrays of tiny images and folders of tiny
 * colour files (`tinyColourFiles`, src/dedup/tiny-files.ts), {@link MIN_PIXEL_CORRELATION} otherwise.
 */
export function defaultPixelCorrelation(pixels: { kind: string; width?: number; height?: number }, tinyColourFiles = false, tinyGrayFiles = false): number {
  if (tinyGrayFiles) return TINY_GRAY_FILES_CORRELATION;
  return isTinyArray(pixels) || tinyColourFiles ? TINY_PIXEL_CORRELATION : MIN_PIXEL_CORRELATION;
}
/**
 * Least aligned pixel correlation for folders of tiny grayscale files (MNIST as PNG): 0.98, chosen with their
 * threshold (`TINY_GRAY_FILES_THRESHOLD` in src/dedup/defaults.ts, see there). Different garments of one cut correlate
 * 0.92–0.99 at 28 px; copies 0.956–1 (median 0.998).
 */
export const TINY_GRAY_FILES_CORRELATION = 0.98;
/**
 * The pixel margin for folders of larger images (a thumbnail among photos, pages or screenshots): 0.03. Thumbnails of
 * one editor's screenshots correlate 0.92–0.95 with other modules' thumbnails, 0.04–0.07 under their best match, and
 * 0–0.05 (median 0.007) under it with copies of their own picture (docs/quality.md, "Each thumbnail with its own
 * picture"); the families eval's choice on all seven families takes it.
 */
export const PIXEL_MARGIN = 0.03;

/**
 * The default pixel margin for a dataset: none (`false`) for arrays of tiny images and folders of tiny colour files,
 * whose copies are often not their best pixel match (the tiny family loses recall with it: 89.8 → 88.2 % at 0.92),
 * {@link PIXEL_MARGIN} otherwise.
 */
export function defaultPixelMargin(pixels: { kind: string; width?: number; height?: number }, tinyColourFiles = false): number | false {
  return isTinyArray(pixels) || tinyColourFiles ? false : PIXEL_MARGIN;
}
export const MIN_COVERAGE = 0;
/**
 * Least share of one image inside the other under the keypoints' homography ({@link GeometricMatch.containment}):
 * 0.85, because a copy is one picture inside the other (2 December, eighth session). Why: two overlapping views of one
 * scene (frames of a panorama, two crops of one photo side by side) share one homography over their overlap, and
 * keypoints alone verified 38 of 50 such pairs cut from the benchmark's wallpapers and space photos (a third to
 * seven tenths of each frame shared; containment 0.31–0.77), while every copy verified by keypoints against its
 * original in the benchmark families lies at 0.91 or more (a rotated crop's corners; docs/quality.md, "Overlapping
 * views"). 0.85 is midway; the families eval does not choose it (its cache holds no homographies).
 */
export const MIN_CONTAINMENT = 0.85;
/**
 * Which way a verified pair goes, for the keep order (not the verdict): a picture is **held inside** the other when at
 * least {@link HELD_INSIDE} of its content lies inside the other picture and at most {@link HOLDS_MORE} of the other's
 * content lies inside it (`PairEvidence.inside`, `contentInside` in `./geometric.ts`): a crop of a photo to about 85 %
 * of each side or less (its share of the photo's area plus the grid's 3 % slack). Removing the photo against its crop would lose what lies outside the crop; so the built-in keep
 * policies visit held rows after the others (src/dedup/groups.ts `GroupOptions.heldInside`). The levels leave room
 * for the grid (1/64 of a side) and the homography's error.
 */
export const HELD_INSIDE = 0.95;
export const HOLDS_MORE = 0.75;

/**
 * Rows held inside another picture they were verified against (see {@link HELD_INSIDE}): 1 per such row, over `n`
 * rows; null when there is none (the keep order is then the policy's alone, and the explorer keeps its fast path).
 */
export function heldInside(evidence: Iterable<PairEvidence>, n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const e of evidence) {
    if (e.rule !== 'verified' || !e.inside) continue;
    const [a, b] = e.inside;
    const held = a >= HELD_INSIDE && b <= HOLDS_MORE ? e.a : b >= HELD_INSIDE && a <= HOLDS_MORE ? e.b : -1;
    if (held < 0) continue;
    out ??= new Uint8Array(n);
    out[held] = 1;
  }
  return out;
}
export const MIN_AGREEMENT = 0.6;
/**
 * Least share of agreeing tiles of two images as they are (no keypoints). 0.8 since the low-contrast keypoints
 * (1 December, fifth session): the families eval's choice on all families moved from 0.7 to 0.8 once those smooth
 * images had keypoints (at 0.7 space groups one look-alike pair, group-pair precision 0.992; docs/quality.md,
 * "Low-contrast keypoints").
 */
export const MIN_IDENTITY_AGREEMENT = 0.8;

/**
 * The lower band ({@link LowBandOptions}) the families evaluation chose on all six families (bench/eval/families-eval.ts,
 * `choose`, with the band's candidate values fixed beforehand): from cosine 0.6, listed in either image's 10 nearest,
 * at least 50 inliers spanning 20 % of each image, 80 % of the tiles agreeing after the alignment. On the families it
 * verified 406 pairs under the threshold, all copies (0 different images; 0 in the control), and lifted the grouped
 * recall of rotated copies on space from 81 to 100 % and on textures from 6 to 38 % (docs/quality.md, "Rotated
 * copies"). The default since 1 December ({@link DEFAULT_LOW_BAND}), when the choice began to score every setting
 * with the OCR veto, as a scan runs: chosen then on all families, and no held-out family's figures get worse with
 * it in the grid (docs/quality.md, "Crowded lists, tiny colour folders, the lower band and the content view by default").
 */
export const MEASURED_LOW_BAND: LowBandOptions = { floor: 0.6, maxRank: 10, mutual: false, minInliers: 50, minCoverage: 0.2, minAgreement: 0.8 };

/**
 * Default lower band for image files of keypoint size: {@link MEASURED_LOW_BAND} (see there; off until 1 December,
 * `neardup scan --rotated` turned it on). Datasets of tiny images have no band ({@link defaultLowBand}): their pairs
 * rest on aligned pixels, and the band checks by keypoints only. `verify: { low: false }`, `neardup scan
 * --no-rotated` turn it off. Cost: a third more verification work on photos, more on look-alike collections
 * (docs/quality.md, "Rotated copies", "Cost").
 */
export const DEFAULT_LOW_BAND: LowBandOptions | null = MEASURED_LOW_BAND;

/**
 * The default lower band for a dataset: none (`false`) for array datasets of tiny images, tiny grayscale ones and
 * folders of tiny colour files (keypoints need images of 64 px or more: their band pairs would all stay
 * unchecked, and Fashion-MNIST's lists hold 700,000 pairs over 0.6), nor when `opts` are stricter than the band
 * (or turn the photometric check off: `minAgreement` 0), {@link DEFAULT_LOW_BAND} otherwise.
 */
export function defaultLowBand(
  pixels: { kind: string; width?: number; height?: number },
  tinyGrayscale: boolean,
  tinyColourFiles = false,
  opts: Pick<VerifyOptions, 'minInliers' | 'minCoverage' | 'minAgreement'> = {},
): LowBandOptions | false {
  const low = tinyGrayscale || tinyColourFiles || isTinyArray(pixels) ? null : DEFAULT_LOW_BAND;
  if (!low) return false;
  // The band must be at least as strict as the band above it; settings stricter than it (or keypoints alone,
  // agreement 0) leave the default band out rather than fail (an explicit `low` is checked by verifyCandidates).
  const minAgreement = opts.minAgreement ?? MIN_AGREEMENT;
  const ok = low.minInliers >= (opts.minInliers ?? MIN_INLIERS) && low.minCoverage >= (opts.minCoverage ?? MIN_COVERAGE) && minAgreement > 0 && low.minAgreement >= minAgreement;
  return ok ? low : false;
}

/**
 * The default sure level for a dataset: {@link TINY_GRAYSCALE_SURE} for tiny grayscale arrays,
 * {@link TINY_ARRAY_SURE} for other arrays with a side under 64 px and for folders of tiny colour files
 * (`tinyColourFiles`, src/dedup/tiny-files.ts), {@link SURE_COSINE} otherwise.
 */
export function defaultSure(pixels: { kind: string; width?: number; height?: number; channels?: number }, tinyGrayscale: boolean, tinyColourFiles = false): number {
  if (tinyGrayscale) return TINY_GRAYSCALE_SURE;
  if (isTinyArray(pixels) || tinyColourFiles) return TINY_ARRAY_SURE;
  return SURE_COSINE;
}

/**
 * The default pixel search for a dataset: {@link NARROW_SEARCH} (±2 px) for tiny grayscale arrays,
 * {@link TINY_SEARCH} (±5 px and crops) otherwise. Why: the wide search was chosen and measured on tiny
 * colour photos only (docs/quality.md); tiny grayscale datasets have their threshold (0.98) above their sure
 * level (0.94), so their band is checked only for the explorer's lower thresholds, and there the wide search
 * cost 16.6 ms per pair: 361,558 band pairs of Fashion-MNIST's 70,000 took 5,991 s under load 15 on the 2-core
 * AMD EPYC, against about 1.2 ms per pair for the narrow one (docs/quality.md, "Cost").
 */
export function defaultPixelSearch(tinyGrayscale: boolean): CorrelationOptions {
  return tinyGrayscale ? NARROW_SEARCH : TINY_SEARCH;
}

/**
 * Pairs under which the check stays on the calling thread. A judgement from two measurements on the
 * 2-core test machine (docs/quality.md, "Cost"): a worker's OpenCV costs about 0.7 s of CPU to load
 * (plus its own JIT warm-up), a checked pair about 17 ms of CPU; under 256 pairs (about 4 s of work)
 * a second thread saves at most about 2 s, and the calling thread loads OpenCV only once per process.
 */
export const MIN_PAIRS_FOR_WORKERS = 256;

/**
 * Default number of verification worker threads for `pairs` pairs to check: one per core the process
 * may use (`os.availableParallelism()`), at most 4; none for a single core or fewer than
 * {@link MIN_PAIRS_FOR_WORKERS} pairs.
 */
export function defaultVerifyWorkers(pairs: number): number {
  const cores = availableParallelism();
  return cores < 2 || pairs < MIN_PAIRS_FOR_WORKERS ? 0 : Math.min(4, cores);
}

/** Output of {@link verifyCandidates}. */
export interface Verification {
  /** The neighbour lists with rejected and unreadable pairs removed (same n, k; sorted; -1 padding). */
  neighbors: Neighbors;
  /** Evidence per candidate pair, keyed by `a * n + b` (a < b). */
  evidence: Map<number, PairEvidence>;
  /** Pairs checked with a second signal, rejected among them, and seconds spent. */
  stats: {
    candidates: number; checked: number; verified: number; rejected: number; seconds: number; band: number; sure: number; minInliers: number; minCoverage: number; minContainment: number; minAgreement: number; minCorrelation: number;
    /** The pixel margin in force (false: off) and the pixel pairs it rejected (also counted in `rejected`). */
    pixelMargin: number | false; marginRejected: number;
    /** OCR veto: images read, pairs compared (both legible), pairs rejected by it (also counted in `rejected`). */
    ocr: { read: number; compared: number; vetoed: number };
    /**
     * The lower band: its settings (null: off), pairs it checked (also in `checked`) and verified (also in
     * `verified`); its pairs that fail stay `unchecked` and are not counted in `rejected` (unless the OCR veto
     * or an unreadable image rejected them).
     */
    low: { settings: LowBandOptions | null; checked: number; verified: number };
  };
  /**
   * Cost of each stage of the check, in the order they ran ({@link StageCost}); what bench/verify-stages.ts
   * prints. Empty when no pair needed a check.
   */
  stages: StageCost[];
}

/**
 * Wall and CPU time of one stage of the check. The stages run one after another (each waits for all of
 * its items), so the process's CPU time over a stage (`process.cpuUsage`: every thread, libvips' decoding
 * threads and the worker threads included) is that stage's cost.
 */
export interface StageCost {
  /** decode, load (OpenCV in the threads), prepare, identity, trim, orb, match, orb-mirrored, match-mirrored, pixels, ocr (the veto; items = images read). */
  stage: string;
  /** Images or pairs the stage worked on. */
  items: number;
  /** Wall seconds. */
  wall: number;
  /** CPU seconds over all threads of the process. */
  cpu: number;
}

/** Records {@link StageCost}s: `lap(stage, items)` closes the stage that ran since the previous lap. */
class StageClock {
  readonly stages: StageCost[] = [];
  private wall = performance.now();
  private cpu = process.cpuUsage();
  lap(stage: string, items: number): void {
    const u = process.cpuUsage(this.cpu);
    const now = performance.now();
    this.stages.push({ stage, items, wall: (now - this.wall) / 1000, cpu: (u.user + u.system) / 1e6 });
    this.wall = now;
    this.cpu = process.cpuUsage();
  }
}

/**
 * Checks the candidate pairs of `nb` (every listed pair of valid rows with cosine ≥ `band`) and
 * returns the decision lists and the evidence. `cosineOf(a, b)` gives the embedding cosine of two
 * rows (the lists may carry other scores, e.g. hash matches). Cost: one extra decode per image in a
 * band pair, ORB on it (and its mirror when needed), and one match per pair; printed in the scan's
 * timings as `verify`.
 *
 * @throws NeardupError (`invalid_argument`) for out-of-range options; (`unsupported`) when OpenCV cannot load.
 */
export async function verifyCandidates(
  ds: Dataset,
  nb: Neighbors,
  cosineOf: (a: number, b: number) => number,
  valid: Uint8Array,
  opts: VerifyOptions = {},
): Promise<Verification> {
  const t0 = performance.now();
  const band = opts.band ?? VERIFY_BAND;
  const sure = opts.sure ?? SURE_COSINE;
  const minInliers = opts.minInliers ?? MIN_INLIERS;
  const minCorrelation = opts.minCorrelation ?? defaultPixelCorrelation(ds.pixels as never);
  const pixelMargin = opts.pixelMargin ?? defaultPixelMargin(ds.pixels as never);
  if (pixelMargin !== false && !(pixelMargin >= 0 && pixelMargin <= 2)) throw new NeardupError(`pixelMargin must be false or a number in [0, 2], got ${pixelMargin}`);
  const minCoverage = opts.minCoverage ?? MIN_COVERAGE;
  const minContainment = opts.minContainment ?? MIN_CONTAINMENT;
  if (!(minContainment >= 0 && minContainment <= 1)) throw new NeardupError(`minContainment must be in [0, 1], got ${minContainment}`);
  const minAgreement = opts.minAgreement ?? MIN_AGREEMENT;
  const minIdentity = opts.minIdentity ?? MIN_IDENTITY_AGREEMENT;
  const tinySide = opts.tinySide ?? 64;
  const side = opts.side ?? 320;
  if (!(band >= -1 && band <= sure && sure <= 1.0001)) throw new NeardupError(`verification band ${band}..${sure} must satisfy -1 ≤ band ≤ sure ≤ 1`);
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 0)) throw new NeardupError(`verify workers must be a whole number ≥ 0, got ${opts.workers}`);
  if (!(minInliers >= 4)) throw new NeardupError(`minInliers must be at least 4 (a homography needs 4 points), got ${minInliers}`);
  if (opts.minMatches !== undefined && !(Number.isInteger(opts.minMatches) && opts.minMatches >= 4)) throw new NeardupError(`minMatches must be a whole number ≥ 4 (a homography needs 4 points), got ${opts.minMatches}`);
  // Unset: the default band, when the dataset and the settings allow one (defaultLowBand).
  const low = opts.low === false ? null : opts.low ?? (defaultLowBand(ds.pixels as never, false, false, opts) || null);
  if (low && !(low.floor >= -1 && low.floor <= 1 && Number.isInteger(low.maxRank) && low.maxRank >= 1 && low.minInliers >= minInliers && low.minCoverage >= minCoverage && low.minAgreement >= minAgreement && minAgreement > 0)) {
    throw new NeardupError(`lower band ${JSON.stringify(low)}: needs a floor in [-1, 1], a whole maxRank ≥ 1, and inliers, coverage and agreement at least the band's (${minInliers}, ${minCoverage}, ${minAgreement} > 0)`);
  }
  const { n, k } = nb;
  const evidence = new Map<number, PairEvidence>(opts.known ?? []);
  // Position (1-based) of `o` in row `i`'s list, Infinity when not listed: the lower band's neighbour rule.
  const rankOf = (i: number, o: number) => {
    for (let j = 0; j < k; j++) if (nb.indices[i * k + j] === o) return j + 1;
    return Infinity;
  };
  const lowRank = (a: number, b: number) => {
    const ra = rankOf(a, b), rb = rankOf(b, a);
    return (low!.mutual ? Math.max(ra, rb) : Math.min(ra, rb)) <= low!.maxRank;
  };
  const toCheck: PairEvidence[] = [];
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    for (let j = 0; j < k; j++) {
      const o = nb.indices[i * k + j];
      if (o < 0 || o === i || !valid[o]) continue;
      const a = Math.min(i, o);
      const b = Math.max(i, o);
      const key = a * n + b;
      if (evidence.has(key)) continue;
      const cosine = cosineOf(a, b);
      const listed = nb.scores[i * k + j];
      // A pair is a candidate when either signal put it above the band (a hash match may lift it), or, in the
      // lower band, when its cosine reaches the floor and the two are listed close to each other.
      const isLow = !(Math.max(cosine, listed) >= band);
      if (isLow && !(low && cosine >= low.floor && lowRank(a, b))) continue;
      const e: PairEvidence = { a, b, cosine, rule: cosine >= sure ? 'cosine' : 'unchecked', inliers: -1, matches: -1, coverage: NaN, containment: NaN, agreement: NaN, pixelCorrelation: NaN, flipped: false, lowBand: isLow, ocrWords: [-1, -1], ocrSimilarity: NaN };
      evidence.set(key, e);
      if (e.rule === 'unchecked') toCheck.push(e);
    }
  }

  const clock = new StageClock();
  if (toCheck.length) await checkPairs(ds, toCheck, clock, { pixelSearch: opts.pixelSearch ?? TINY_SEARCH, maxPixels: opts.maxPixels, side, tinySide, minInliers, minCoverage, minContainment, minAgreement, minIdentity, minCorrelation, low, lowContrast: opts.lowContrast ?? true, minMatches: opts.minMatches, concurrency: opts.concurrency ?? 4, workers: opts.workers ?? defaultVerifyWorkers(toCheck.length), onProgress: opts.onProgress });
  const marginRejected = pixelMargin === false ? 0 : applyPixelMargin(evidence, pixelMargin, minCorrelation);
  const ocr = opts.ocr === false ? { read: 0, compared: 0, vetoed: 0 } : await ocrVeto(ds, toCheck, opts.ocrBelowAgreement ?? OCR_BELOW_AGREEMENT, opts.maxPixels, opts.ocrWords);
  if (toCheck.length && opts.ocr !== false) clock.lap('ocr', ocr.read); // items: images read by Tesseract

  // Decision lists: drop what the second signal did not confirm.
  const indices = new Int32Array(nb.indices);
  const scores = new Float32Array(nb.scores);
  for (let i = 0; i < n; i++) {
    const kept: { o: number; s: number }[] = [];
    let dropped = false;
    for (let j = 0; j < k; j++) {
      const o = nb.indices[i * k + j];
      if (o < 0) continue;
      const e = evidence.get(Math.min(i, o) * n + Math.max(i, o));
      if (e && (e.rule === 'rejected' || e.rule === 'unreadable')) { dropped = true; continue; }
      // A verified lower-band pair is listed at the band's bottom, so it groups at the default threshold.
      if (e && e.lowBand && e.rule === 'verified' && nb.scores[i * k + j] < band) { dropped = true; kept.push({ o, s: band }); continue; }
      kept.push({ o, s: nb.scores[i * k + j] });
    }
    if (!dropped) continue;
    // Lists stay sorted by descending score (ties: lower index first), as the search leaves them.
    kept.sort((x, y) => y.s - x.s || x.o - y.o);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = j < kept.length ? kept[j].o : -1;
      scores[i * k + j] = j < kept.length ? kept[j].s : -Infinity;
    }
  }
  let verified = 0, rejected = 0, lowChecked = 0, lowVerified = 0;
  for (const e of toCheck) {
    if (e.lowBand) {
      lowChecked++;
      if (e.rule === 'verified') lowVerified++;
    }
    if (e.rule === 'verified') verified++;
    else if (!e.lowBand || e.rule !== 'unchecked') rejected++;
  }
  return {
    neighbors: { n, k, indices, scores },
    evidence,
    stats: { candidates: evidence.size, checked: toCheck.length, verified, rejected, seconds: (performance.now() - t0) / 1000, band, sure, minInliers, minCoverage, minContainment, minAgreement, minCorrelation, pixelMargin, marginRejected, ocr, low: { settings: low, checked: lowChecked, verified: lowVerified } },
    stages: clock.stages,
  };
}

interface CheckOptions {
  pixelSearch: CorrelationOptions;
  maxPixels?: number;
  side: number;
  tinySide: number;
  minInliers: number;
  minCoverage: number;
  minContainment: number;
  minAgreement: number;
  minIdentity: number;
  minCorrelation: number;
  low: LowBandOptions | null;
  lowContrast: boolean;
  /** Least matches for a homography fit; undefined: the inliers each pair needs. */
  minMatches?: number;
  concurrency: number;
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

const TINY = 32;

/**
 * The check of every pair, in stages that each run on the worker threads (`./pool.ts`, `./tasks.ts`):
 * 1. decode every involved image once (here; the decoder has its own threads) into the shared store;
 * 2. prepare each image's half-size gray, mirror and blurred forms;
 * 3. the agreement of each pair as they are (then mirrored): most copies are verified here;
 * 4. ORB features of the images of the pairs left, once per image;
 * 5. the match of each pair left (ratio test, RANSAC homography, agreement after warping);
 * 6. for the pairs that did not pass: ORB of the mirrored second image, and the mirrored match.
 * Every task is a pure function of its inputs (OpenCV's RANSAC seeds its generator on every call), so
 * the evidence is the same whatever the number of threads; the decisions below are the same as when
 * each pair ran start to end in turn. Images too small for keypoints use aligned pixels (here, cheap).
 */
async function checkPairs(ds: Dataset, pairs: PairEvidence[], clock: StageClock, o: CheckOptions): Promise<void> {
  const rows = new Set<number>();
  for (const p of pairs) { rows.add(p.a); rows.add(p.b); }
  const list = [...rows];
  const px = ds.pixels;
  const tinyArrays = px.kind === 'array' && Math.min(px.width, px.height) < o.tinySide;
  const settings: CheckSettings = { minInliers: o.minInliers, minCoverage: o.minCoverage, minContainment: o.minContainment, minAgreement: o.minAgreement, minIdentity: o.minIdentity, lowContrast: o.lowContrast };
  // Slot i of the store holds list[i] (when it is large enough for keypoints). Started before decoding, so
  // the workers load OpenCV meanwhile.
  const store = tinyArrays ? null : ImageStore.create(list.length, o.side);
  const pool = store ? new TaskPool(store, settings, o.workers) : null;
  let done = 0;
  const finished = () => {
    done++;
    if (o.onProgress && (done % 64 === 0 || done === pairs.length)) o.onProgress(done, pairs.length);
  };
  try {
    // 1. Decode every involved image once (files in parallel; arrays from memory).
    const tiny = new Map<number, Uint8Array | null>(); // null: unreadable
    const slotOf = new Map<number, number>(); // rows with a keypoint-size gray image
    let next = 0;
    const work = async () => {
      for (;;) {
        const idx = next++;
        if (idx >= list.length) return;
        const row = list[idx];
        if (px.kind === 'array') {
          tiny.set(row, toGray(arrayImageToRgb(px, row, TINY), TINY * TINY));
          if (store) {
            store.gray(idx).set(toGray(arrayImageToRgb(px, row, o.side), o.side * o.side));
            slotOf.set(row, idx);
          }
          continue;
        }
        const bytes = await readEncoded(px, row);
        const d = bytes.ok ? await decodeImage(bytes.bytes, { size: o.side, maxPixels: o.maxPixels }) : bytes;
        if (!d.ok) { tiny.set(row, null); continue; }
        const gray = toGray(d.rgb, o.side * o.side);
        tiny.set(row, downscaleGray(gray, o.side, TINY));
        if (store && Math.min(d.width, d.height) >= o.tinySide) {
          store.gray(idx).set(gray);
          slotOf.set(row, idx);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, work));
    clock.lap('decode', list.length);
    // OpenCV must load for keypoints (a missing package is an `unsupported` error, as before).
    if (pool && (px.kind !== 'array' || slotOf.size)) await pool.ready();
    clock.lap('load', pool?.workers ?? 0);

    const keypoints: PairEvidence[] = [];
    for (const e of pairs) {
      const ta = tiny.get(e.a);
      const tb = tiny.get(e.b);
      if (!ta || !tb) {
        e.rule = 'unreadable';
        finished();
      } else if (slotOf.has(e.a) && slotOf.has(e.b)) {
        keypoints.push(e);
      } else if (e.lowBand) {
        // The lower band rests on keypoints only: a tiny image's pair stays unchecked.
        finished();
      } else {
        // At least one image is too small for keypoints: compare aligned pixels at 32×32.
        const m = alignedCorrelation(ta, tb, TINY, o.pixelSearch);
        e.pixelCorrelation = m.correlation;
        e.flipped = m.flipped;
        e.rule = m.correlation >= o.minCorrelation ? 'verified' : 'rejected';
        finished();
      }
    }
    clock.lap('pixels', pairs.length - keypoints.length);
    if (keypoints.length && pool && store) await checkKeypointPairs(keypoints, pool, slotOf, settings, o.low, finished, store, clock, o.minMatches);
  } finally {
    // No thread outlives the scan.
    await pool?.close();
  }
}

const failed = (r: ItemResult): r is { error: string } => r !== null && typeof r === 'object' && 'error' in r;

/**
 * Stages 2–6 of {@link checkPairs} for pairs of images that both have keypoint-size gray images. The
 * verdict of each pair: first the photometric agreement of the two images as they are and with the
 * second mirrored (`./photometric.ts`): a re-encoded, resized, recoloured, blurred, watermarked or
 * flipped copy agrees tile by tile without any alignment, and needs no keypoints. Otherwise ORB +
 * RANSAC (plain, then mirrored), and the agreement after warping with the homography: the inliers
 * alone are not enough, because a shared layout (two pages of one manual: same headings, rules and
 * margins) gives a hundred inliers between different pictures. A task that fails (an OpenCV error, a
 * worker that died) leaves its pairs `unreadable`: unconfirmed, never a duplicate.
 */
async function checkKeypointPairs(pairs: PairEvidence[], pool: TaskPool, slotOf: Map<number, number>, o: CheckSettings, low: LowBandOptions | null, finished: () => void, store: ImageStore, clock: StageClock, minMatches?: number): Promise<void> {
  const slot = (row: number) => slotOf.get(row)!;
  const both = (e: PairEvidence): [number, number] => [slot(e.a), slot(e.b)];
  const unreadable = (e: PairEvidence) => { e.rule = 'unreadable'; finished(); };
  const photometric = o.minAgreement > 0; // 0 turns the photometric check off (keypoints alone, as before)
  type Match = { matches: number; inliers: number; coverage: number; containment: number; agreement: number; inside: [number, number] };
  // The least matches worth a homography fit: the inliers the pair needs (fewer matches cannot give them).
  const withNeed = (e: PairEvidence): [number, number, number] => [...both(e), minMatches ?? (e.lowBand && low ? low.minInliers : o.minInliers)];
  const geometric = (m: Match) => m.inliers >= o.minInliers && m.coverage >= o.minCoverage && m.containment >= o.minContainment;
  // A lower-band pair needs the strong evidence (its thresholds are at least the band's, so the match task,
  // which measures the agreement when the band's keypoint test passes, has measured it whenever it can pass).
  const passes = (m: Match, e?: PairEvidence) => e?.lowBand && low
    ? m.inliers >= low.minInliers && m.coverage >= low.minCoverage && m.containment >= o.minContainment && m.agreement >= low.minAgreement
    : geometric(m) && (!photometric || m.agreement >= o.minAgreement);
  const decide = (e: PairEvidence, m: Match, flipped: boolean) => {
    e.inliers = m.inliers;
    e.matches = m.matches;
    e.coverage = m.coverage;
    e.containment = m.containment;
    e.inside = m.inside;
    e.agreement = m.agreement;
    e.flipped = flipped;
    // A lower-band pair that fails stays unchecked, as every pair under the band was before.
    e.rule = passes(m, e) ? 'verified' : e.lowBand ? 'unchecked' : 'rejected';
    finished();
  };

  // 2. Half-size images, mirrors and their blurred forms, once per image.
  const slots = [...new Set(pairs.flatMap(both))];
  const broken = new Set<number>();
  const prepared = await pool.map(slots, 8, (part) => ({ kind: 'prepare', slots: part }));
  prepared.forEach((r, i) => { if (failed(r)) broken.add(slots[i]); });
  clock.lap('prepare', slots.length);
  let rest: PairEvidence[] = [];
  for (const e of pairs) {
    if (broken.has(slot(e.a)) || broken.has(slot(e.b))) unreadable(e);
    else rest.push(e);
  }

  // 3. The agreement as they are.
  if (photometric) {
    const left: (PairEvidence | null)[] = new Array(rest.length).fill(null);
    const current = rest;
    await pool.map(current.map(both), 16, (part) => ({ kind: 'identity', pairs: part }), (start, results) => {
      results.forEach((r, j) => {
        const e = current[start + j];
        if (failed(r)) return unreadable(e);
        const id = r as { agreement: number; flipped: boolean; verified: boolean };
        if (!id.verified || e.lowBand) { left[start + j] = e; return; } // the lower band rests on keypoints only
        Object.assign(e, { inliers: -1, coverage: NaN, agreement: id.agreement, flipped: id.flipped, rule: 'verified' });
        finished();
      });
    });
    clock.lap('identity', current.length);
    rest = left.filter((e): e is PairEvidence => e !== null);
    // 3b. The agreement as they are once letterbox/pillarbox bars are cut off (either image), before keypoints.
    // Only the images of pairs that did not agree as they are are trimmed.
    const side = store.side;
    const trimmed = new Map<number, Uint8Array>();
    for (const row of new Set(rest.filter((e) => !e.lowBand).flatMap((e) => [e.a, e.b]))) {
      const t = await trimBorders(store.gray(slot(row)), side);
      if (t) trimmed.set(row, t);
    }
    if (trimmed.size) {
      const half = new Map<number, Uint8Array>();
      const halfOf = (row: number) => {
        if (!half.has(row)) half.set(row, halveGray(trimmed.get(row) ?? store.gray(slot(row)), side, side));
        return half.get(row)!;
      };
      // The blurred half images (and mirrors), once per image as in stage 2: an untrimmed image's are the
      // store's (the same halving and blur); a trimmed image's are made here. Bit-identical to blurring per pair.
      const n2 = side >> 1;
      const smoothed = new Map<number, Float32Array>();
      const smoothOf = (row: number, flipped: boolean): Float32Array => {
        if (!trimmed.has(row)) return store.smooth(slot(row), flipped);
        const key = 2 * row + (flipped ? 1 : 0);
        if (!smoothed.has(key)) smoothed.set(key, smoothGray(flipped ? flipGray(halfOf(row), n2, n2) : halfOf(row), n2, n2));
        return smoothed.get(key)!;
      };
      rest = rest.filter((e) => {
        if (e.lowBand || (!trimmed.has(e.a) && !trimmed.has(e.b))) return true;
        const r = trimmedAgreement(halfOf(e.a), halfOf(e.b), n2, { a: smoothOf(e.a, false), b: smoothOf(e.b, false), bFlipped: smoothOf(e.b, true) });
        if (r.agreement < o.minIdentity) return true;
        Object.assign(e, { inliers: -1, coverage: NaN, agreement: r.agreement, flipped: r.flipped, rule: 'verified' });
        finished();
        return false;
      });
    }
    clock.lap('trim', trimmed.size);
  }

  // 4–6. Keypoints: features once per image, then the plain match; the mirrored one where it did not pass.
  const features = async (wanted: number[], flipped: boolean): Promise<Set<number>> => {
    const ok: [number, OrbFeatures][] = [];
    const bad = new Set<number>();
    const res = await pool.map(wanted, 2, (part) => ({ kind: 'orb', flipped, slots: part }));
    res.forEach((r, i) => (failed(r) ? bad.add(wanted[i]) : ok.push([wanted[i], r as OrbFeatures])));
    pool.shareFeatures(flipped, ok);
    return bad;
  };
  const plainSlots = [...new Set(rest.flatMap(both))];
  const noPlain = await features(plainSlots, false);
  clock.lap('orb', plainSlots.length);
  const matchable = rest.filter((e) => (noPlain.has(slot(e.a)) || noPlain.has(slot(e.b)) ? (unreadable(e), false) : true));
  const plain: (Match | null)[] = new Array(matchable.length).fill(null);
  await pool.map(matchable.map(withNeed), 4, (part) => ({ kind: 'match', flipped: false, pairs: part }), (start, results) => {
    results.forEach((r, j) => {
      const e = matchable[start + j];
      if (failed(r)) return unreadable(e);
      const m = r as Match;
      if (passes(m, e)) decide(e, m, false);
      else plain[start + j] = m; // a mirrored copy, or a symmetric picture whose plain match did not agree
    });
  });
  clock.lap('match', matchable.length);
  const again = matchable.map((e, i) => ({ e, m: plain[i] })).filter((x): x is { e: PairEvidence; m: Match } => x.m !== null);
  const flippedSlots = [...new Set(again.map((x) => slot(x.e.b)))];
  const noFlipped = await features(flippedSlots, true);
  clock.lap('orb-mirrored', flippedSlots.length);
  const mirrorable = again.filter((x) => (noFlipped.has(slot(x.e.b)) ? (unreadable(x.e), false) : true));
  await pool.map(mirrorable.map((x) => withNeed(x.e)), 4, (part) => ({ kind: 'match', flipped: true, pairs: part }), (start, results) => {
    results.forEach((r, j) => {
      const { e, m } = mirrorable[start + j];
      if (failed(r)) return unreadable(e);
      const mf = r as Match;
      // Neither passes: the evidence shown is the one with more inliers (with no fit on either side, more matches).
      const more = mf.inliers > m.inliers || (mf.inliers < 0 && m.inliers < 0 && mf.matches > m.matches);
      if (passes(mf, e) || (!geometric(m) && more)) decide(e, mf, true);
      else decide(e, m, false);
    });
  });
  clock.lap('match-mirrored', mirrorable.length);
}

/**
 * The OCR veto (`./ocr.ts`), after the other checks: for each verified pair checked with keypoints or tile
 * agreement (not the tiny pixel path) whose agreement is under `below`, read the words of both images (each
 * image once, on Tesseract's own worker thread; the second image of a pair is not read when the first is not
 * legible) and reject the pair when both are legible and their words differ ({@link ocrVetoes}). An image
 * that cannot be read leaves the verdict as it is (OCR only ever removes a verdict, and only with evidence).
 * Cost: about 1–4 s of CPU per image read (Tesseract at {@link OCR_SIDE} px; docs/quality.md, "OCR veto").
 */
async function ocrVeto(ds: Dataset, pairs: PairEvidence[], below: number, maxPixels?: number, words = new Map<number, string[] | null>()): Promise<Verification['stats']['ocr']> {
  // A pair verified through the mirror is not read: one side's text runs backwards, and Tesseract reads
  // mirrored text as confident nonsense (found on the documents family: a mirrored copy's 94 "words").
  const todo = pairs.filter((e) => e.rule === 'verified' && !e.flipped && Number.isNaN(e.pixelCorrelation) && e.agreement < below);
  const stats = { read: 0, compared: 0, vetoed: 0 };
  if (!todo.length) return stats;
  // Tesseract loads only when a row is not read yet (null in `words`: could not be read).
  let reader: OcrReader | null = null;
  const px = ds.pixels;
  const read = async (row: number): Promise<string[] | null> => {
    if (words.has(row)) return words.get(row)!;
    let w: string[] | null = null;
    try {
      let bytes: Uint8Array | null = null;
      if (px.kind === 'array') {
        const rgb = arrayImageToRgb(px, row, Math.max(px.width, px.height));
        bytes = await sharp(rgb, { raw: { width: Math.max(px.width, px.height), height: Math.max(px.width, px.height), channels: 3 } }).png().toBuffer();
      } else {
        const r = await readEncoded(px, row);
        if (r.ok) bytes = r.bytes;
      }
      if (bytes) {
        reader ??= await OcrReader.load();
        const r = await reader.read(bytes, maxPixels);
        w = r.words;
        if (r.page) stats.read++; // images Tesseract read (not those the page test turned away)
      }
    } catch (e) {
      if (e instanceof NeardupError && e.code === 'unsupported') throw e; // Tesseract missing: say so, as before
      w = null; // unreadable for OCR: the verdict stays
    }
    words.set(row, w);
    return w;
  };
  try {
    for (const e of todo) {
      const wa = await read(e.a);
      if (!wa || wa.length < OCR_MIN_WORDS) { if (wa) e.ocrWords = [wa.length, -1]; continue; }
      const wb = await read(e.b);
      if (!wb) continue;
      e.ocrWords = [wa.length, wb.length];
      e.ocrSimilarity = wordContainment(wa, wb);
      if (Number.isFinite(e.ocrSimilarity)) stats.compared++;
      if (ocrVetoes(e.ocrSimilarity)) { e.rule = 'rejected'; stats.vetoed++; }
    }
  } finally {
    await (reader as OcrReader | null)?.close();
  }
  return stats;
}

/**
 * The pixel margin ({@link VerifyOptions.pixelMargin}): every pair checked with aligned pixels whose correlation passed
 * `minCorrelation` is verified only when it is within `margin` of the best pixel correlation of either of its images
 * over all pixel-checked pairs in `evidence` (including pairs known from an earlier pass), else rejected; recomputed
 * from the correlations, so a second pass gives the same verdicts. Returns the pairs it rejected. Its source: Lowe's
 * ratio test (a match must be clearly better than the next) applied to whole thumbnails; the value, docs/quality.md.
 */
function applyPixelMargin(evidence: Map<number, PairEvidence>, margin: number, minCorrelation: number): number {
  const best = new Map<number, number>();
  const pixelPairs: PairEvidence[] = [];
  for (const e of evidence.values()) {
    if (!Number.isFinite(e.pixelCorrelation) || e.rule === 'unreadable') continue;
    pixelPairs.push(e);
    for (const x of [e.a, e.b]) best.set(x, Math.max(best.get(x) ?? -Infinity, e.pixelCorrelation));
  }
  let rejected = 0;
  for (const e of pixelPairs) {
    if (!(e.pixelCorrelation >= minCorrelation)) continue;
    const top = Math.max(best.get(e.a)!, best.get(e.b)!);
    e.pixelBest = top;
    const within = e.pixelCorrelation >= top - margin;
    if (!within) rejected++;
    e.rule = within ? 'verified' : 'rejected';
  }
  return rejected;
}

/** RGB (interleaved, `pixels` × 3 bytes) → gray bytes with Rec. 601 luma weights. */
export function toGray(rgb: Uint8Array, pixels: number): Uint8Array {
  const g = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) g[i] = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
  return g;
}

/**
 * Box-filter downscale of a square gray image (`from` → `to` px), as the tiny path makes its 32×32 gray
 * image of a decoded file.
 */
export function downscaleGray(g: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to * to);
  const f = from / to;
  for (let y = 0; y < to; y++) {
    for (let x = 0; x < to; x++) {
      let s = 0, c = 0;
      for (let yy = Math.floor(y * f); yy < Math.floor((y + 1) * f); yy++) for (let xx = Math.floor(x * f); xx < Math.floor((x + 1) * f); xx++) { s += g[yy * from + xx]; c++; }
      out[y * to + x] = c ? Math.round(s / c) : 0;
    }
  }
  return out;
}

const IDENTITY_H = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * Tile agreement of two half-size gray images (`n`×`n`) as they are, then with the second mirrored (the
 * first that is higher wins): the check of stage 3, on images whose bars were cut (./trim.ts).
 * `smoothed`: `a`, `b` and `b` mirrored already blurred ({@link smoothGray}, radius 1), so a caller that
 * compares one image with many others blurs it once; the result is the same to the bit.
 */
export function trimmedAgreement(
  a: Uint8Array, b: Uint8Array, n: number,
  smoothed?: { a: Float32Array; b: Float32Array; bFlipped: Float32Array },
): { agreement: number; flipped: boolean } {
  const plain = alignedAgreement(a, n, n, b, n, n, IDENTITY_H, { smoothedA: smoothed?.a, smoothedB: smoothed?.b }).agreeing;
  // With the blurred mirror given, the mirrored pixels themselves are not read (identity: no resampling).
  const mirrored = alignedAgreement(a, n, n, smoothed ? b : flipGray(b, n, n), n, n, IDENTITY_H, { smoothedA: smoothed?.a, smoothedB: smoothed?.bFlipped }).agreeing;
  return mirrored > plain ? { agreement: mirrored, flipped: true } : { agreement: plain, flipped: false };
}
