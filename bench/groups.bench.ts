/**
 * Slider-speed figures for the duplicate stage on 70,000 samples × k = 10:
 * `groupAtThreshold` (both methods) against a straightforward baseline measured in the same run
 * (pairs → Map adjacency → BFS), and `ThresholdIndex.count` against a linear scan.
 */
import { groupAtThreshold } from '../src/dedup/groups';
import { ThresholdIndex, countAtThreshold, maxSimilarity } from '../src/dedup/threshold';
import type { Neighbors } from '../src/types';

const n = 70_000;
const k = 10;
let seed = 1;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
// Neighbour lists with sorted, realistic-looking scores (first neighbour 0.6..1).
const indices = new Int32Array(n * k);
const scores = new Float32Array(n * k);
for (let i = 0; i < n; i++) {
  let s = 0.6 + 0.4 * Math.sqrt(rand());
  for (let j = 0; j < k; j++) {
    indices[i * k + j] = Math.floor(rand() * n);
    scores[i * k + j] = s;
    s *= 0.995;
  }
}
const nb: Neighbors = { n, k, indices, scores };
const splits = Array.from({ length: n }, (_, i) => (i < 60_000 ? 'train' : 'test'));
const labels = Array.from({ length: n }, (_, i) => i % 10);

/** Baseline: what a first implementation does — collect pairs, Map-of-arrays adjacency, BFS. */
function baselineComponents(t: number): number {
  const adj = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      if (scores[i * k + j] < t) break;
      const b = indices[i * k + j];
      if (!adj.has(i)) adj.set(i, []);
      if (!adj.has(b)) adj.set(b, []);
      adj.get(i)!.push(b);
      adj.get(b)!.push(i);
    }
  }
  const seen = new Set<number>();
  let groups = 0;
  for (const start of adj.keys()) {
    if (seen.has(start)) continue;
    groups++;
    const queue = [start];
    seen.add(start);
    while (queue.length) for (const b of adj.get(queue.pop()!)!) if (!seen.has(b)) { seen.add(b); queue.push(b); }
  }
  return groups;
}

function time(fn: () => unknown, reps = 5): number {
  fn();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - t0) / reps;
}

console.log(`70,000 samples x k=10 (synthetic neighbour lists); times are means of 5 runs`);
for (const t of [0.99, 0.95, 0.9, 0.8]) {
  const comp = time(() => groupAtThreshold(nb, t, { method: 'components', keep: 'train', splits, labels }));
  const fo = time(() => groupAtThreshold(nb, t, { method: 'fiftyone', keep: 'train', splits, labels }));
  const base = time(() => baselineComponents(t));
  const g = groupAtThreshold(nb, t, { splits, labels });
  if (g.counts.groups !== baselineComponents(t)) throw new Error(`group count mismatch at ${t}`);
  console.log(
    `t=${t}: flagged ${g.counts.flagged}, groups ${g.counts.groups} | components ${comp.toFixed(1)} ms, fiftyone ${fo.toFixed(1)} ms, baseline BFS ${base.toFixed(1)} ms → ${(base / comp).toFixed(1)}x faster`,
  );
}
const ms = maxSimilarity(nb);
const idx = new ThresholdIndex(ms);
const q = Array.from({ length: 1000 }, (_, i) => 0.6 + (0.4 * i) / 1000);
const fast = time(() => q.forEach((t) => idx.count(t)));
const slow = time(() => q.forEach((t) => countAtThreshold(ms, t)));
console.log(`1,000 threshold counts: ThresholdIndex ${fast.toFixed(2)} ms, linear scan ${slow.toFixed(1)} ms → ${(slow / fast).toFixed(0)}x faster`);
