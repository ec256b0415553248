/** Exact duplicates, the pre-pass before embedding: byte- and pixel-identical samples. */
export * from './duplicates';
