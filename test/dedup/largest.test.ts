// keep: 'largest' — most pixels, then the larger file, then dataset order; unknown sizes count as smallest.
// The explorer's keep rank (browser side) must pick the same copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupAtThreshold } from '../../src/dedup/groups';
import { keepRank } from '../../src/widgets/explorer';
import type { Neighbors } from '../../src/types';

/** All rows in one group (every pair at 0.99). */
function clique(n: number): Neighbors {
  const k = n - 1;
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k).fill(0.99);
  for (let i = 0; i < n; i++) [...Array(n).keys()].filter((j) => j !== i).forEach((j, r) => (indices[i * k + r] = j));
  return { n, k, indices, scores };
}

function kept(pixelCounts: number[], fileSizes?: number[]): number {
  const n = pixelCounts.length;
  const g = groupAtThreshold(clique(n), 0.95, { keep: 'largest', pixelCounts, fileSizes });
  const rank = keepRank('largest', n, { pixelCounts, fileSizes })!;
  const best = [...rank.keys()].sort((a, b) => rank[a] - rank[b])[0];
  assert.equal(best, g.keepers[0], 'the explorer keeps the same copy');
  return g.keepers[0];
}

test("keep 'largest': pixels first, even against a bigger file", () => {
  // a 320x240 PNG of 600 kB against the 640x480 JPEG of 130 kB: the JPEG has more pixels.
  assert.equal(kept([320 * 240, 640 * 480], [600_000, 130_000]), 1);
});

test("keep 'largest': same pixels, the larger file; same both, the first in dataset order", () => {
  assert.equal(kept([640 * 480, 640 * 480], [130_000, 600_000]), 1);
  assert.equal(kept([640 * 480, 640 * 480, 640 * 480], [130_000, 130_000, 130_000]), 0);
  assert.equal(kept([28 * 28, 28 * 28]), 0, 'array datasets (no file sizes): first');
});

test("keep 'largest': unknown sizes (0, NaN, negative) count as smallest", () => {
  assert.equal(kept([NaN, 100], [0, 0]), 1);
  assert.equal(kept([0, 0], [-5, 0]), 0, 'a negative size is unknown, not smaller than unknown: tie goes to the first');
  assert.equal(kept([NaN, NaN], [NaN, 10]), 1);
});
