/**
 * The second signal the families evaluation caches for each candidate pair (bench/eval/families-eval.ts,
 * `familyData`), before the photometric agreements are added to it (`addAgreement`, `addTrimmed`).
 *
 * Why a module of its own: the evaluation replays the scan's verdicts from this evidence at every setting of its
 * grid, so the evidence must hold the keypoint data of every pair of keypoint-size images. `verifyCandidates` with
 * its default options does not keep it for the pairs it settles first by their agreement as they are (or with
 * letterbox bars cut): those come back with `inliers` -1 and no pixel correlation, which the replay cannot tell
 * from a pair it has no evidence for, and counted as rejected. That was the fresh-cache gap of 1 December
 * (docs/quality.md, "Verification"): the table's caches had been built before that stage existed (November 30,
 * 2588f97) with keypoints for every pair and then upgraded; a cache built from empty lost every copy verified as
 * it is or with its bars cut (wallpapers recall 0.968 → 0.868, letterbox+watermark 91.9 → 45.9 %).
 */
import type { Dataset, Neighbors } from '../../src/types';
import { verifyCandidates } from '../../src/verify';

/**
 * One cached candidate pair: a, b (rows, a < b), cosine, RANSAC inliers (-1 when not checked with keypoints), aligned
 * pixel correlation (tiny images; null otherwise), inlier coverage (null when not checked with keypoints), then
 * the agreements `addAgreement` adds (per orientation) and the trimmed agreement `addTrimmed` adds.
 */
export type EvidencePair = [number, number, number, number, number | null, number | null, number[] | null, (number | null)?];

/** Lowest cosine whose listed pairs get evidence (the grid's lowest lower-band floor). */
export const EVIDENCE_BAND = 0.6;

/**
 * The second signal of every listed pair of valid rows with cosine ≥ {@link EVIDENCE_BAND}: keypoints (ORB and a
 * RANSAC homography, plain, then mirrored when the plain match has under `MIN_INLIERS` inliers, as the scan matches
 * them) for pairs of keypoint-size images, aligned pixel correlation when an image is under 64 px. The photometric
 * check is off here (`minAgreement` 0), so no pair is settled by its agreement before its keypoints are matched;
 * the OCR veto and the lower band are off too (the evaluation replays them from its own cache).
 *
 * @param cosineOf embedding cosine of two rows.
 * @returns the pairs (a < b, in the order `verifyCandidates` lists them) and the number checked with a second signal.
 * @throws what `verifyCandidates` throws (NeardupError `unsupported` when OpenCV cannot load).
 */
export async function familyEvidence(ds: Dataset, nb: Neighbors, cosineOf: (a: number, b: number) => number, valid: Uint8Array): Promise<{ pairs: EvidencePair[]; stats: { checked: number } }> {
  const v = await verifyCandidates(ds, nb, cosineOf, valid, { band: EVIDENCE_BAND, sure: 1, minAgreement: 0, ocr: false, low: false, minMatches: 4 });
  const pairs = [...v.evidence.values()].map((p): EvidencePair => [p.a, p.b, p.cosine, p.inliers, Number.isFinite(p.pixelCorrelation) ? p.pixelCorrelation : null, Number.isFinite(p.coverage) ? p.coverage : null, null]);
  return { pairs, stats: { checked: v.stats.checked } };
}
