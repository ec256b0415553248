/** Argument checks and post-processing shared by every top-k implementation. */
import type { Neighbors } from '../types';
import { NeardupError } from '../errors';

export function checkKnnArgs(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  valid?: Uint8Array,
): void {
  if (!(vectors instanceof Float32Array)) throw new NeardupError('topK: vectors must be a Float32Array');
  for (const [name, v] of [
    ['n', n],
    ['dim', dim],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new NeardupError(`topK: ${name} must be a non-negative integer, got ${v}`);
  }
  if (dim === 0 && n > 0) throw new NeardupError('topK: dim must be at least 1');
  if (vectors.length < n * dim) {
    throw new NeardupError(`topK: vectors has ${vectors.length} values, expected n*dim = ${n}*${dim} = ${n * dim}`);
  }
  if (valid && valid.length < n) throw new NeardupError(`topK: valid has ${valid.length} entries, expected n = ${n}`);
}

/** Rows that were not queried (skipped samples) get index -1 and score NaN in every slot. */
export function finishInvalidRows(nb: Neighbors, valid?: Uint8Array): void {
  if (!valid) return;
  const { n, k, indices, scores } = nb;
  for (let i = 0; i < n; i++) {
    if (valid[i] !== 0) continue;
    indices.fill(-1, i * k, (i + 1) * k);
    scores.fill(NaN, i * k, (i + 1) * k);
  }
}
