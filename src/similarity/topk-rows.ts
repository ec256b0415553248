/**
 * Running top-k lists for many rows at once, stored flat in the `Neighbors` layout
 * (`indices[row*k + j]`, `scores[row*k + j]`). Each row's list stays sorted by descending score,
 * ties by ascending index, so merging candidates from any number of blocks in any order gives the
 * same answer as one global sort. Memory is exactly O(n·k).
 */
import type { Neighbors } from '../types';

export class TopKRows {
  readonly n: number;
  readonly k: number;
  readonly indices: Int32Array;
  readonly scores: Float32Array;
  /** Current worst kept score per row (the entry a candidate must beat); -Infinity until full. */
  readonly worst: Float32Array;

  constructor(n: number, k: number) {
    this.n = n;
    this.k = k;
    this.indices = new Int32Array(n * k).fill(-1);
    this.scores = new Float32Array(n * k).fill(-Infinity);
    this.worst = new Float32Array(n).fill(-Infinity);
  }

  /**
   * Offers candidate `idx` with `score` to `row`. Cheap rejection first: callers that scan many
   * candidates can pre-check `score >= worst[row]` themselves and skip the call.
   * NaN scores are never kept.
   */
  offer(row: number, idx: number, score: number): void {
    const k = this.k;
    if (k === 0 || !(score >= this.worst[row])) return;
    const base = row * k;
    const sc = this.scores;
    const ix = this.indices;
    // Slot k-1 holds the worst entry. A candidate equal to it in score only wins on lower index
    // (an empty slot has index -1 and score -Infinity, so any real candidate beats it).
    const last = base + k - 1;
    const lastIdx = ix[last];
    if (score === sc[last] && lastIdx !== -1 && idx > lastIdx) return;
    // Insertion from the end: shift worse entries down one slot.
    let p = last;
    while (p > base) {
      const s = sc[p - 1];
      const i = ix[p - 1];
      if (s > score || (s === score && i !== -1 && i < idx)) break;
      sc[p] = s;
      ix[p] = i;
      p--;
    }
    sc[p] = score;
    ix[p] = idx;
    this.worst[row] = sc[last];
  }

  /** The finished lists as a `Neighbors` value (shares this object's arrays). */
  toNeighbors(): Neighbors {
    return { n: this.n, k: this.k, indices: this.indices, scores: this.scores };
  }
}
