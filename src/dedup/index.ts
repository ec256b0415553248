/**
 * Duplicate detection after similarity: exact-hash pre-pass, near-duplicate groups at a threshold
 * with a keep policy, reports (leakage, label conflicts, pairs), threshold guidance and uniqueness.
 */
export * from './defaults';
export * from './groups';
export * from './threshold';
export * from './uniqueness';
export * from './exact';
export * from './report';
