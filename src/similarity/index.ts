/** Similarity stage: exact k nearest neighbours and queries over them. */
export { topK, topKSync } from './knn';
export type { TopKOptions } from './knn';
export { topKReference } from './knn-reference';
export { defaultNeighborCacheDir, neighborCacheKey } from './cache';
export { cosine, neighborsOf, neighborColumns, withNeighborColumns, rowOf } from './query';
export type { Neighbor, NeighborColumns } from './query';
