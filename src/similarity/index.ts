/** Similarity stage: exact k nearest neighbours and queries over them. */
export { topK, topKSync } from './knn';
export type { TopKOptions } from './knn';
export { topKReference } from './knn-reference';
export { defaultNeighborCacheDir, neighborCacheKey } from './cache';
export { cosine, cosineOfRows, neighborsOf, neighborColumns, withNeighborColumns, rowOf } from './query';
export type { Neighbor, NeighborColumns } from './query';
export { searchNeighbors } from './search';
export type { SearchNeighborsOptions } from './search';
export { registerSearchBackend, resolveSearch, searchBackendNames, AUTO_ANN_THRESHOLD } from './backends/registry';
export type { SearchChoice, BackendFactory } from './backends/registry';
export { ExactBackend } from './backends/exact';
export { LanceDbBackend, LANCE_DEFAULTS } from './backends/lancedb';
export { HnswBackend, HNSW_DEFAULTS } from './backends/hnsw';
export type { HnswParams, HnswOptions, HnswQuantization, HnswStats } from './backends/hnsw';
export type { LanceParams, LanceLocation } from './backends/lancedb';
export { searchInfo } from './backends/types';
export type { SearchBackend, SearchInfo, BackendParams, BackendSearchOptions } from './backends/types';
export { topKOfRows, widenLists, WIDEN_K, WIDEN_BUDGET } from './widen';
