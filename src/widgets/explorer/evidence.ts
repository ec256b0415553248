/**
 * The evidence behind each near-duplicate verdict, for the explorer's cards, its closer look and the
 * static picture: which rule made a pair a duplicate (exact copy, cosine at or above the sure level,
 * keypoints, aligned pixels, perceptual hash) and its figures.
 *
 * Only pairs decided by more than their cosine are stored (a sparse table sent once to the browser);
 * everything else follows from the cosine and the verification's settings. The browser formats the
 * same words with widgets/src/compute.ts `verdictText` (a test checks both agree).
 */
import { formatSimilarity } from './format';

/** Pairs with evidence beyond their cosine, as compact columns (row indices, a < b). */
export interface EvidenceTable {
  /** Row pairs, flattened: a0, b0, a1, b1, … (a < b). */
  pairs: Int32Array;
  /** RANSAC keypoint inliers (-1 when not checked with keypoints). */
  inliers: Int32Array;
  /** Share of each image the inliers span, 0–1 (NaN when not checked with keypoints). */
  coverage: Float32Array;
  /** Aligned pixel correlation, -1–1 (NaN when not checked with pixels). */
  correlation: Float32Array;
  /** Share of detailed 8×8 tiles that agree after alignment, 0–1 (NaN when not measured; see src/verify/photometric.ts). */
  agreement: Float32Array;
  /** Share of one picture inside the other under the keypoints' homography, 0–1 (NaN when not checked with keypoints; src/verify `containment`). */
  containment: Float32Array;
  /** 1 when the second signal matched the mirrored image. */
  flipped: Uint8Array;
  /** pHash Hamming distance in bits (-1 when the pair is not a hash match). */
  hashBits: Int32Array;
  /**
   * The verification's cosine band and sure level (a pair at or above `sure` needs no check; one in
   * [band, sure) was confirmed by keypoints or pixels; below `band` it was not checked); null when the
   * scan ran without verification (every pair is decided on its cosine).
   */
  settings: { band: number; sure: number } | null;
}

/** Evidence of one pair, as {@link verdictText} reads it. */
export interface PairVerdict {
  /** The score the pair was grouped on (cosine, or a hash match's score). */
  score: number;
  exact: boolean;
  inliers: number;
  coverage: number;
  correlation: number;
  /** Tile agreement after alignment, 0–1 (NaN when not measured). */
  agreement: number;
  /** Share of one picture inside the other, 0–1 (NaN when not checked with keypoints). */
  containment: number;
  flipped: boolean;
  hashBits: number;
}

/** An empty table (no verification, no hash matches). */
export function emptyEvidence(): EvidenceTable {
  return { pairs: new Int32Array(0), inliers: new Int32Array(0), coverage: new Float32Array(0), correlation: new Float32Array(0), agreement: new Float32Array(0), containment: new Float32Array(0), flipped: new Uint8Array(0), hashBits: new Int32Array(0), settings: null };
}

/**
 * Builds the table from a scan's evidence (every candidate pair; only `verified` ones are kept) and its
 * pHash matches (`[a, b, bits]`). Cost: one pass over each (no N·k walk), so opening the explorer on
 * 70,000 samples stays cheap.
 */
export function buildEvidenceTable(
  evidence: Iterable<{ a: number; b: number; rule: string; inliers: number; coverage: number; containment?: number; agreement?: number; pixelCorrelation: number; flipped: boolean }>,
  hashes: Iterable<readonly [number, number, number]>,
  settings: { band: number; sure: number } | null,
): EvidenceTable {
  const pairs: number[] = [];
  const inliers: number[] = [];
  const coverage: number[] = [];
  const correlation: number[] = [];
  const agreement: number[] = [];
  const containment: number[] = [];
  const flipped: number[] = [];
  const hashBits: number[] = [];
  for (const e of evidence) {
    if (e.rule !== 'verified') continue;
    const a = Math.min(e.a, e.b);
    const b = Math.max(e.a, e.b);
    pairs.push(a, b);
    inliers.push(e.inliers >= 0 ? e.inliers : -1);
    coverage.push(e.coverage);
    correlation.push(e.pixelCorrelation);
    agreement.push(e.agreement ?? NaN);
    containment.push(e.containment ?? NaN);
    flipped.push(e.flipped ? 1 : 0);
    hashBits.push(-1);
  }
  // A pair both verified and hash-matched keeps one entry (index built only when there are hash matches).
  let at: Map<number, number> | null = null;
  const key = (a: number, b: number) => a * 2 ** 26 + b; // exact below 2^26 rows
  for (const [x, y, bits] of hashes) {
    if (!at) {
      at = new Map();
      for (let p = 0; p < inliers.length; p++) at.set(key(pairs[2 * p], pairs[2 * p + 1]), p);
    }
    const a = Math.min(x, y);
    const b = Math.max(x, y);
    const p = at.get(key(a, b));
    if (p !== undefined) {
      hashBits[p] = bits;
      continue;
    }
    pairs.push(a, b);
    inliers.push(-1);
    coverage.push(NaN);
    correlation.push(NaN);
    agreement.push(NaN);
    containment.push(NaN);
    flipped.push(0);
    hashBits.push(bits);
  }
  return {
    pairs: Int32Array.from(pairs),
    inliers: Int32Array.from(inliers),
    coverage: Float32Array.from(coverage),
    correlation: Float32Array.from(correlation),
    agreement: Float32Array.from(agreement),
    containment: Float32Array.from(containment),
    flipped: Uint8Array.from(flipped),
    hashBits: Int32Array.from(hashBits),
    settings,
  };
}

/** Index of a table's pairs by `a * n + b` (a < b), for lookups while drawing cards. */
export function evidenceIndex(t: EvidenceTable, n: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let p = 0; p < t.pairs.length / 2; p++) m.set(t.pairs[2 * p] * n + t.pairs[2 * p + 1], p);
  return m;
}

/** The verdict of pair (row, other) with score `score` from the table (exact copies flagged by the caller). */
export function pairVerdict(t: EvidenceTable, index: Map<number, number>, n: number, row: number, other: number, score: number, exact: boolean): PairVerdict {
  const p = index.get(Math.min(row, other) * n + Math.max(row, other));
  if (p === undefined) return { score, exact, inliers: -1, coverage: NaN, correlation: NaN, agreement: NaN, containment: NaN, flipped: false, hashBits: -1 };
  // Tables of before 2 December have no containment column.
  const containment = t.containment?.length ? t.containment[p] : NaN;
  return { score, exact, inliers: t.inliers[p], coverage: t.coverage[p], correlation: t.correlation[p], agreement: t.agreement[p], containment, flipped: t.flipped[p] === 1, hashBits: t.hashBits[p] };
}

/**
 * The rule that made a pair a duplicate, in words: `short` for a tile ("exact", "cos ≥ 0.99",
 * "pixels r=0.982", "keypoints 45 · 38% · tiles 92%", "tiles 100%", "pHash 4 bits"), `long` for tooltips, the closer look and
 * the static picture. `threshold` is the view's; `settings` the verification's (null = cosine only).
 */
export function verdictText(v: PairVerdict, threshold: number, settings: EvidenceTable['settings']): { short: string; long: string } {
  const cos = formatSimilarity(v.score);
  const mirrored = v.flipped ? ', mirrored' : '';
  if (v.exact) return { short: 'exact', long: 'exact copy (same bytes or pixels)' };
  const tiles = Number.isFinite(v.agreement) ? `${Math.round(v.agreement * 100)}%` : '';
  if (v.inliers >= 0) {
    const cov = Number.isFinite(v.coverage) ? `${Math.round(v.coverage * 100)}%` : '?';
    const agree = tiles ? ` · tiles ${tiles}` : '';
    const agreeLong = tiles ? `; after alignment ${tiles} of the detailed tiles agree` : '';
    const inside = Number.isFinite(v.containment) ? `, ${Math.round(v.containment * 100)}% of one picture inside the other` : '';
    return { short: `keypoints ${v.inliers} · ${cov}${agree}`, long: `keypoints: ${v.inliers} RANSAC inliers spanning ${cov} of the image${inside}${agreeLong}${mirrored} (cosine ${cos})` };
  }
  if (tiles) return { short: `tiles ${tiles}`, long: `pictures: ${tiles} of the detailed tiles agree as they are${mirrored} (cosine ${cos})` };
  if (Number.isFinite(v.correlation)) {
    return { short: `pixels r=${v.correlation.toFixed(3)}`, long: `pixels: aligned correlation r=${v.correlation.toFixed(3)}${mirrored} (cosine ${cos})` };
  }
  if (v.hashBits >= 0) return { short: `pHash ${v.hashBits} bits`, long: `perceptual hash: ${v.hashBits} bits apart (score ${cos})` };
  if (settings && v.score >= Math.fround(settings.sure)) return { short: `cos ≥ ${settings.sure}`, long: `cosine ${cos} ≥ ${settings.sure} (sure without a second check)` };
  if (settings && v.score < Math.fround(settings.band)) return { short: `cos ${cos}, unchecked`, long: `cosine ${cos} ≥ threshold ${threshold}; below the verification band ${settings.band}, not checked` };
  return { short: `cos ≥ ${threshold}`, long: `cosine ${cos} ≥ threshold ${threshold}` };
}
