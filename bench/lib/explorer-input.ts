// The explorer bench's 1,000,000-row input (the cached Fashion-MNIST scan in out/explorer-bench/, repeated by replicate.ts), for node-only measurements.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replicateNeighbors, replicateColumn, replicateList } from './replicate';
export async function build1m(N = 1_000_000) {
  const CACHE = join(__dirname, '..', '..', 'out', 'explorer-bench', 'fashion-mnist-s96-k10');
  const meta = JSON.parse(readFileSync(join(CACHE, 'meta.json'), 'utf8'));
  const bytes = (f: string) => { const b = readFileSync(join(CACHE, f)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
  const nb0 = { n: meta.n, k: meta.k, indices: new Int32Array(bytes('indices.bin')), scores: new Float32Array(bytes('scores.bin')) };
  const { loadDataset } = await import('../../src');
  const ds = await loadDataset('fashion-mnist');
  const col = (c: string) => (ds.df as any)[c].values as any[];
  return {
    neighbors: replicateNeighbors(nb0, N),
    splits: replicateList(col('split'), N),
    labels: replicateList(col('label'), N),
    valid: replicateColumn(new Uint8Array(bytes('valid.bin')), N),
    exactGroups: replicateColumn(new Int32Array(bytes('exact.bin')), N, meta.n),
  };
}
