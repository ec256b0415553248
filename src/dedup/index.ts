/**
 * Duplicate groups after similarity: near-duplicate groups at a threshold with a keep policy, reports
 * (leakage, label conflicts, pairs, exact duplicates), threshold guidance and uniqueness. The exact
 * pre-pass itself is src/exact/, the pHash signal src/phash/.
 */
export * from './defaults';
export * from './groups';
export * from './threshold';
export * from './uniqueness';
export * from './report';
