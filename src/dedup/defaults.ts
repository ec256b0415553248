/**
 * Default cosine-similarity threshold above which two samples count as near-duplicates.
 *
 * Calibrated for the default model (int8 MobileNetV2, GeM-pooled embedding) plus pHash matching, on
 * the real-photo benchmark of `npm run eval` (37 photos × 16 kinds of copies + 32 look-alike
 * distractors; docs/quality.md). Every threshold from 0.85 to 0.88 met the goals there (no unrelated
 * photos grouped, group-pair precision 1.0, every transform ≥ 0.90 recall); 0.87 sits inside that window
 * with 0.02 to spare above the strongest unrelated pair (0.847, two mountain photos by one
 * photographer). Group-pair F1 0.991 at 0.87. The article's 0.92 belongs to its own model.
 * Tiny grayscale datasets (28x28 Fashion-MNIST) score unrelated items far higher: use ≈ 0.97 there.
 */
export const DEFAULT_THRESHOLD = 0.87;
