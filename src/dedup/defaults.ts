/**
 * Default cosine-similarity threshold above which two samples count as near-duplicates.
 *
 * Placeholder: the article's 0.92 belongs to its model. The detection-quality benchmark
 * (`npm run eval`) calibrates the value for our model and owns this constant.
 */
export const DEFAULT_THRESHOLD = 0.92;
