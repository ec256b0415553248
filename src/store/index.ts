/** Lance tables in a local folder or object storage: embeddings, neighbour lists, scan metadata. */
export { openStore, isRemoteUri, storageOptionsFromEnv } from './connect';
export type { StoreOptions } from './connect';
export { writeStore, readStore } from './tables';
export { readStoreFor } from './scan-store';
export type { StoredScan } from './tables';
export { embedShard, searchShard, buildSharedIndex, mergeShards, readEmbeddingShards, parseShard, shardRange, sliceDataset } from './shard';
export type { EmbedShardOptions, ShardedEmbeddings } from './shard';
