import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupAtThreshold } from '../../src/dedup/groups';
import { ThresholdIndex, maxSimilarity, histogram, countAtThreshold } from '../../src/dedup/threshold';
import { uniqueness } from '../../src/dedup/uniqueness';
import type { Neighbors } from '../../src/types';

/** Exact k-NN (k = n-1) from a symmetric similarity matrix given as rows. */
function knnFromMatrix(sim: number[][], k = sim.length - 1): Neighbors {
  const n = sim.length;
  const indices = new Int32Array(n * k).fill(-1);
  const scores = new Float32Array(n * k).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const order = [...Array(n).keys()].filter((j) => j !== i).sort((a, b) => sim[i][b] - sim[i][a] || a - b);
    order.slice(0, k).forEach((j, r) => {
      indices[i * k + r] = j;
      scores[i * k + r] = sim[i][j];
    });
  }
  return { n, k, indices, scores };
}

function matrix(n: number, pairs: Array<[number, number, number]>, base = 0.1): number[][] {
  const m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : base)));
  for (const [a, b, s] of pairs) { m[a][b] = s; m[b][a] = s; }
  return m;
}

// Chain 0~1 (0.95), 1~2 (0.95), 0~2 below (0.5); pair 3~4 (0.99); 5 alone.
const chain = knnFromMatrix(matrix(6, [[0, 1, 0.95], [1, 2, 0.95], [0, 2, 0.5], [3, 4, 0.99]]));

test('components: a chain A≈B≈C with A and C unrelated is one group for browsing, but only B is removed', () => {
  const g = groupAtThreshold(chain, 0.9, { method: 'components', keep: 'first' });
  assert.deepEqual([...g.group_id], [0, 0, 0, 1, 1, -1]);
  // C (row 2) is not directly matched to the kept A (row 0): it is kept, never removed through B.
  assert.deepEqual([...g.keep], [1, 0, 1, 1, 0, 1]);
  assert.deepEqual([...g.is_duplicate], [0, 1, 0, 0, 1, 0]);
  assert.deepEqual([...g.duplicate_of], [-1, 0, -1, -1, 3, -1]);
  assert.equal(g.counts.flagged, 5);
  assert.equal(g.counts.groups, 2);
  assert.equal(g.counts.to_remove, 2);
  // Whatever the policy, a removed row is directly matched to its kept row.
  for (const keep of ['first', 'largest', (m: readonly number[]) => m[m.length - 1]] as const) {
    const r = groupAtThreshold(chain, 0.9, { keep, pixelCounts: [1, 1, 9, 1, 1, 1] });
    for (let i = 0; i < 6; i++) {
      if (!r.is_duplicate[i]) continue;
      assert.equal(r.keep[r.duplicate_of[i]], 1);
      assert.ok([[0, 1], [1, 2], [3, 4]].some(([a, b]) => (a === i && b === r.duplicate_of[i]) || (b === i && a === r.duplicate_of[i])), `row ${i} removed against ${r.duplicate_of[i]} without a direct match`);
    }
    assert.ok(!(r.is_duplicate[0] && r.is_duplicate[2]) || r.keep[1] === 1);
  }
});

test('fiftyone: keep the first, drop its neighbours; a chain keeps both ends', () => {
  const g = groupAtThreshold(chain, 0.9, { method: 'fiftyone' });
  // 0 kept, drops 1; 2's only neighbour (1) is already dropped, so 2 stays, ungrouped.
  assert.deepEqual([...g.keep], [1, 0, 1, 1, 0, 1]);
  assert.deepEqual([...g.duplicate_of], [-1, 0, -1, -1, 3, -1]);
  assert.deepEqual([...g.group_id], [0, 0, -1, 1, 1, -1]);
  assert.equal(g.counts.to_remove, 2);
  // Walking from the middle (as 'largest' does when 1 is the biggest) drops both ends.
  const g2 = groupAtThreshold(chain, 0.9, { method: 'fiftyone', keep: 'largest', pixelCounts: [1, 9, 1, 1, 1, 1] });
  assert.deepEqual([...g2.duplicate_of], [1, -1, 1, -1, 3, -1]);
});

test('threshold is inclusive and higher thresholds split groups', () => {
  assert.equal(groupAtThreshold(chain, 0.95).counts.groups, 2);
  const g = groupAtThreshold(chain, 0.96);
  assert.deepEqual([...g.group_id], [-1, -1, -1, 0, 0, -1]);
  assert.equal(groupAtThreshold(chain, 1.0).counts.flagged, 0);
});

test('keep policies: split preference, largest, user function', () => {
  const splits = ['test', 'train', 'test', 'test', 'train', 'train'];
  const train = groupAtThreshold(chain, 0.9, { keep: 'train', splits });
  assert.deepEqual([...train.keepers], [1, 4]);
  assert.equal(train.counts.cross_split, 2);
  const test_ = groupAtThreshold(chain, 0.9, { keep: 'test', splits });
  assert.deepEqual([...test_.keepers], [0, 3]);
  const largest = groupAtThreshold(chain, 0.9, {
    keep: 'largest',
    pixelCounts: [100, 400, 400, 50, 50, 1],
    fileSizes: [1, 10, 20, 5, 6, 1],
  });
  assert.deepEqual([...largest.keepers], [2, 4]); // 1 and 2 tie on pixels; 2 has the bigger file
  // 0 is not a direct match of 2 (0.5 < 0.9): it is kept too.
  assert.deepEqual([...largest.keep], [1, 0, 1, 0, 1, 1]);
  const fn = groupAtThreshold(chain, 0.9, { keep: (m) => m[m.length - 1] });
  assert.deepEqual([...fn.keepers], [2, 4]);
  assert.deepEqual([...fn.duplicate_of], [-1, 2, -1, 4, -1, -1]);
  assert.throws(() => groupAtThreshold(chain, 0.9, { keep: () => 5 }), /not a member/);
  assert.throws(() => groupAtThreshold(chain, 0.9, { keep: 'valid', splits }), /split 'valid'/);
  assert.throws(() => groupAtThreshold(chain, 0.9, { keep: 'train' }), /no splits/);
  assert.throws(() => groupAtThreshold(chain, 0.9, { keep: 'largest' }), /pixelCounts/);
});

test('label conflicts, invalid rows and exact groups', () => {
  const labels = ['cat', 'cat', 'dog', 1, 1, null];
  assert.equal(groupAtThreshold(chain, 0.9, { labels }).counts.label_conflicts, 1);
  const valid = Uint8Array.from([1, 0, 1, 1, 1, 1]);
  const g = groupAtThreshold(chain, 0.9, { valid });
  assert.deepEqual([...g.group_id], [-1, -1, -1, 0, 0, -1]);
  // 2 and 5 are exact copies: grouped at any threshold, counted once.
  const exactGroups = Int32Array.from([-1, -1, 0, -1, -1, 0]);
  const e = groupAtThreshold(chain, 0.999, { exactGroups });
  assert.deepEqual([...e.group_id], [-1, -1, 0, -1, -1, 0]);
  assert.deepEqual([...e.duplicate_of], [-1, -1, -1, -1, -1, 2]);
  assert.equal(e.counts.exact_duplicates, 1);
  const f = groupAtThreshold(chain, 0.999, { exactGroups, method: 'fiftyone', keep: 'largest', pixelCounts: [1, 1, 1, 1, 1, 5] });
  assert.deepEqual([...f.duplicate_of], [-1, -1, 5, -1, -1, -1]);
});

test('threshold index counts match a scan and the components flagged count', () => {
  const ms = maxSimilarity(chain);
  const idx = new ThresholdIndex(ms);
  for (const t of [0, 0.1, 0.5, 0.9, 0.95, 0.96, 0.99, 1]) {
    assert.equal(idx.count(t), countAtThreshold(ms, t), `t=${t}`);
    assert.equal(idx.count(t), groupAtThreshold(chain, t).counts.flagged, `t=${t}`);
  }
  const h = histogram(ms, { bins: 10, min: 0, max: 1 });
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 6);
  assert.equal(h.counts[9], 5);
  assert.equal(h.edges.length, 11);
});

test('uniqueness: isolated samples score highest, copies lowest', () => {
  const u = uniqueness(chain);
  assert.ok(Math.abs(Math.max(...u) - 1) < 1e-6);
  assert.ok(u[5] > u[0] && u[5] > u[3]);
  assert.ok(u[3] < u[0]); // 3 has a 0.99 twin, 0 only 0.95
});

test('70,000 samples, k = 10: grouping stays cheap enough for a slider', () => {
  // Deterministic random neighbour lists with scores in [0.5, 1).
  const n = 70000, k = 10;
  let seed = 42;
  const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0.5 + 0.5 * rand();
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = (i + 1 + Math.floor(rand() * (n - 1))) % n;
      scores[i * k + j] = s;
      s *= 0.99;
    }
  }
  const nb = { n, k, indices, scores };
  for (const method of ['components', 'fiftyone'] as const) {
    const g = groupAtThreshold(nb, 0.9, { method });
    assert.ok(g.counts.to_remove <= g.counts.flagged - g.counts.groups);
    // Every removed row has a direct edge ≥ threshold to the kept row it duplicates.
    const direct = (a: number, b: number) => {
      for (const [x, y] of [[a, b], [b, a]]) for (let j = 0; j < k; j++) if (indices[x * k + j] === y && scores[x * k + j] >= Math.fround(0.9)) return true;
      return false;
    };
    let dups = 0;
    for (let i = 0; i < n; i++) {
      dups += g.is_duplicate[i];
      if (g.is_duplicate[i]) {
        assert.equal(g.group_id[g.duplicate_of[i]], g.group_id[i]);
        assert.equal(g.keep[g.duplicate_of[i]], 1);
        assert.ok(direct(i, g.duplicate_of[i]), `row ${i} removed without a direct match to ${g.duplicate_of[i]}`);
      }
    }
    assert.equal(dups, g.counts.to_remove);
  }
});

test('random graphs: components match a BFS reference, fiftyone matches a naive walk', () => {
  let seed = 7;
  const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  for (let trial = 0; trial < 20; trial++) {
    const n = 30;
    const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { const s = Math.round(rand() * 100) / 100; m[i][j] = s; m[j][i] = s; }
    const nb = knnFromMatrix(m); // k = n-1: the graph is the full thresholded matrix
    const t = 0.9;
    // BFS reference for components.
    const comp = new Array<number>(n).fill(-1);
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (comp[i] >= 0 || !m[i].some((s, j) => j !== i && s >= t)) continue;
      const queue = [i]; comp[i] = c;
      while (queue.length) { const a = queue.pop()!; for (let b = 0; b < n; b++) if (b !== a && m[a][b] >= t && comp[b] < 0) { comp[b] = c; queue.push(b); } }
      c++;
    }
    const g = groupAtThreshold(nb, t);
    assert.deepEqual([...g.group_id], comp); // BFS numbers groups by first row too
    // Naive FiftyOne walk.
    const dupOf = new Array<number>(n).fill(-1);
    const kept = new Array<boolean>(n).fill(false);
    for (let i = 0; i < n; i++) {
      if (dupOf[i] >= 0) continue;
      kept[i] = true;
      for (let j = 0; j < n; j++) if (j !== i && !kept[j] && dupOf[j] < 0 && m[i][j] >= t) dupOf[j] = i;
    }
    const f = groupAtThreshold(nb, t, { method: 'fiftyone' });
    assert.deepEqual([...f.duplicate_of], dupOf);
  }
});
