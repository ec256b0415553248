/**
 * Export: filtered sample tables (CSV / JSON), the list of files to remove, and a deduplicated
 * copy of an image folder (copy or hardlink, with a dry run). Never modifies the input.
 */
export * from './lists';
export * from './copy';
export { checkOutputDir, safeJoin, isInside } from './safe-path';
