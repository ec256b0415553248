// The explorer's fast regroup (src/dedup/regroup.ts) against the reference groupAtThreshold + decide:
// identical groups, keep/remove, duplicate_of, keepers and counts at thresholds moving down and up
// (and 60 random moves through one Regrouper's reused arrays), on the bundled sample's real scan, on random data with
// skipped rows and exact copies, and on a hand-made chain; and the explorer's counts, samples and
// pages with tags equal to those of an explorer forced onto the reference path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Neighbors } from '../../src/types';
import { groupAtThreshold, type GroupOptions, type GroupResult } from '../../src/dedup/groups';
import { Regrouper } from '../../src/dedup/regroup';
import { linkageOfListsInWorker } from '../../src/dedup/linkage';
import { explore, keepRank, encodeCategories } from '../../src/widgets/explorer';
import { columnValues } from '../../src/frame';
import { getCommManager } from '../../src/kernel/comm';
import { autoDecision, decide, type ExplorerTag } from '../../src/widgets/explorer/decide';
import { byBest } from '../../src/widgets/explorer/pages';

const THRESHOLDS = [0.95, 0.97, 0.99, 1, 0.93, 0.9, 0.96, 0.8, 0.85, 0.5, 0.999, 0.9];

function same(a: GroupResult, b: GroupResult, what: string): void {
  assert.deepEqual(a.counts, b.counts, `${what}: counts`);
  for (const f of ['group_id', 'is_duplicate', 'duplicate_of', 'keep', 'offsets', 'members', 'keepers'] as const) {
    assert.deepEqual(Array.from(a[f]), Array.from(b[f]), `${what}: ${f}`);
  }
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomCase(seed: number, n = 800, k = 6) {
  const rand = rng(seed);
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: k }, () => 0.8 + 0.2 * rand()).sort((a, b) => b - a);
    for (let j = 0; j < k; j++) {
      let o = Math.floor(rand() * n);
      if (o === i) o = (o + 1) % n;
      indices[i * k + j] = j === k - 1 && rand() < 0.1 ? -1 : o;
      scores[i * k + j] = j === k - 1 && indices[i * k + j] < 0 ? -Infinity : s[j];
    }
  }
  // A few exact 1.0 scores and repeated scores, as real lists have.
  for (let i = 0; i < n; i += 37) scores[i * k] = 1;
  const splits = Array.from({ length: n }, () => (rand() < 0.7 ? 'train' : rand() < 0.6 ? 'test' : null));
  const labels = Array.from({ length: n }, () => (rand() < 0.05 ? null : Math.floor(rand() * 4)));
  const valid = Uint8Array.from({ length: n }, () => (rand() < 0.96 ? 1 : 0));
  const exactGroups = Int32Array.from({ length: n }, () => (rand() < 0.06 ? Math.floor(rand() * 9) : -1));
  const pixelCounts = Array.from({ length: n }, () => [0, 784, 1024, 4096][Math.floor(rand() * 4)]);
  const fileSizes = Array.from({ length: n }, () => Math.floor(rand() * 5000));
  return { nb: { n, k, indices, scores } as Neighbors, splits, labels, valid, exactGroups, pixelCounts, fileSizes };
}

test('fast regroup equals groupAtThreshold on random data: every keep policy, thresholds down and up, skipped rows, exact copies', () => {
  for (const seed of [1, 2, 3]) {
    const c = randomCase(seed);
    for (const keep of ['first', 'train', 'test', 'largest'] as const) {
      const opts: GroupOptions = { keep, splits: c.splits, labels: c.labels, valid: c.valid, exactGroups: c.exactGroups, pixelCounts: c.pixelCounts, fileSizes: c.fileSizes };
      const r = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
      for (const t of THRESHOLDS) same(r.at(t), groupAtThreshold(c.nb, t, opts), `seed ${seed}, keep ${keep}, t ${t}`);
    }
    // Rows held inside another picture (src/verify heldInside) come after the rest of their kind, in every policy.
    const rh = rng(seed + 100);
    const heldInside = Uint8Array.from({ length: c.nb.n }, () => (rh() < 0.2 ? 1 : 0));
    for (const keep of ['first', 'train', 'largest'] as const) {
      const opts: GroupOptions = { keep, splits: c.splits, labels: c.labels, valid: c.valid, exactGroups: c.exactGroups, pixelCounts: c.pixelCounts, fileSizes: c.fileSizes, heldInside };
      const r = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
      for (const t of THRESHOLDS) same(r.at(t), groupAtThreshold(c.nb, t, opts), `seed ${seed}, keep ${keep}, heldInside, t ${t}`);
      const g = groupAtThreshold(c.nb, 0.8, opts);
      const plain = groupAtThreshold(c.nb, 0.8, { ...opts, heldInside: undefined });
      if (keep === 'first') assert.notDeepEqual(Array.from(g.keep), Array.from(plain.keep), 'the held rows change which copies are kept');
      // A held row is kept over an unheld one only when the policy's own key says so (its split; its size).
      for (let x = 0; x < g.keepers.length; x++) {
        const k = g.keepers[x];
        if (!heldInside[k] || keep !== 'first') continue;
        for (let m = g.offsets[x]; m < g.offsets[x + 1]; m++) assert.ok(heldInside[g.members[m]] === 1 || g.duplicate_of[g.members[m]] !== k, `group ${x}: held row ${k} kept, and it removed unheld ${g.members[m]}`);
      }
    }
    // Without the optional arrays.
    const r = new Regrouper(c.nb, {}, keepRank('first', c.nb.n, {})!);
    for (const t of THRESHOLDS) same(r.at(t), groupAtThreshold(c.nb, t), `seed ${seed}, no options, t ${t}`);
  }
});

test('decide over the members only equals decide over every row, with tags inside and outside groups; byBest equals the comparator sort', () => {
  const c = randomCase(4);
  const n = c.nb.n;
  const rand = rng(9);
  const rank = keepRank('first', n, {})!;
  const splitCodes = Int32Array.from(c.splits, (s) => (s === 'train' ? 0 : s === 'test' ? 1 : -1));
  for (const t of [0.85, 0.9, 0.95]) {
    const g = groupAtThreshold(c.nb, t, { valid: c.valid, exactGroups: c.exactGroups });
    const tags = new Map<number, ExplorerTag>();
    for (let i = 0; i < n; i++) if (rand() < 0.08) tags.set(i, (['keep', 'remove', 'drop'] as const)[Math.floor(rand() * 3)]);
    assert.ok([...tags.keys()].some((r) => g.group_id[r] < 0 && tags.get(r) !== 'keep'), 'a removed row outside any group');
    const all = decide(g.group_id, g.keepers.length, g.is_duplicate, tags, rank, splitCodes);
    const some = decide(g.group_id, g.keepers.length, g.is_duplicate, tags, rank, splitCodes, g.members);
    assert.deepEqual(some, all, `decide at ${t}`);
  }
  // Category codes stand for the values in the counts only when they separate them like ===.
  assert.equal(encodeCategories(['a', null, 'b', 'a'], 4).strict, true);
  assert.equal(encodeCategories([1, 2, null, 1], 4).strict, true);
  assert.equal(encodeCategories([1, '1'], 2).strict, false);
  assert.equal(encodeCategories([NaN, 1], 2).strict, false);
  const mixed = { ...c, labels: c.labels.map((l, i) => (l === 1 && i % 2 ? '1' : l)) };
  const w = explore({ ids: mixed.labels.map((_, i) => `r${i}`), neighbors: c.nb, labels: mixed.labels as any, valid: c.valid }, { threshold: 0.9 });
  assert.equal(w.counts.label_conflict_groups, groupAtThreshold(c.nb, 0.9, { labels: mixed.labels as any, valid: c.valid }).counts.label_conflicts, '1 and "1" differ in the counts as in groupAtThreshold');
  w.close();
  const best = Float32Array.from({ length: 3000 }, () => [0.95, 1, -0, 0, -Infinity, -0.5][Math.floor(rand() * 6)] + (rand() < 0.5 ? 0 : rand() * 0.01));
  const groups = Array.from({ length: 3000 }, (_, i) => i).filter(() => rand() < 0.7);
  assert.deepEqual(Array.from(byBest([...groups], best)), [...groups].sort((x, y) => best[y] - best[x] || x - y));
});

test('without tags, the regrouper\'s per-group flags and autoDecision equal decide and the per-group split / label check, every keep policy', () => {
  for (const seed of [5, 6]) {
    const c = randomCase(seed);
    const n = c.nb.n;
    const splits = encodeCategories(c.splits, n);
    const labels = encodeCategories(c.labels, n);
    for (const keep of ['first', 'test', 'largest'] as const) {
      const opts: GroupOptions = { keep, splits: c.splits, labels: c.labels, valid: c.valid, exactGroups: c.exactGroups, pixelCounts: c.pixelCounts, fileSizes: c.fileSizes };
      const rank = keepRank(keep, n, opts)!;
      const r = new Regrouper(c.nb, opts, rank, { splits: splits.codes, labels: labels.codes });
      let leaks = 0;
      for (const t of THRESHOLDS) {
        const g = r.step(t);
        const f = r.flags!;
        const ref = decide(g.group_id, g.keepers.length, g.is_duplicate, new Map(), rank, splits.codes, g.members);
        const fast = autoDecision(g.is_duplicate, g.keepers, g.counts.to_remove, f.leak, f.leaks);
        assert.deepEqual(fast, ref, `seed ${seed}, keep ${keep}, t ${t}: decision`);
        leaks += ref.leaksRemaining;
        for (let gi = 0; gi < g.keepers.length; gi++) {
          const rows = Array.from(g.members.subarray(g.offsets[gi], g.offsets[gi + 1]));
          const mixed = (codes: Int32Array) => new Set(rows.map((x) => codes[x]).filter((x) => x >= 0)).size > 1;
          assert.equal(f.cross[gi], mixed(splits.codes) ? 1 : 0, `t ${t}, group ${gi}: cross`);
          assert.equal(f.label[gi], mixed(labels.codes) ? 1 : 0, `t ${t}, group ${gi}: label`);
        }
      }
      assert.ok(leaks > 0, `seed ${seed}, keep ${keep}: some leak stays, so the leak flags were tested`);
    }
  }
  // A group without a kept member (only tags make one) is left to decide().
  assert.equal(autoDecision(new Uint8Array([1, 1]), Int32Array.from([-1]), 2, new Uint8Array(1), 0), null);
});

test('fast regroup on a chain and exact copies: the chain keeps both ends, exact copies stay grouped at any threshold', () => {
  // 0~1 (0.96), 1~2 (0.95), 2~3 (0.94): a chain; 4, 5, 6 exact copies with low cosines; 7 skipped but an exact copy of 4.
  const n = 8;
  const k = 2;
  const indices = Int32Array.from([1, -1, 0, 2, 1, 3, 2, -1, 5, -1, 4, -1, 4, -1, 4, -1]);
  const scores = Float32Array.from([0.96, -Infinity, 0.96, 0.95, 0.95, 0.94, 0.94, -Infinity, 0.3, -Infinity, 0.3, -Infinity, 0.2, -Infinity, 0.99, -Infinity]);
  const nb: Neighbors = { n, k, indices, scores };
  const opts: GroupOptions = { exactGroups: Int32Array.from([-1, -1, -1, -1, 0, 0, 0, 0]), valid: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0]), splits: ['train', 'test', 'train', 'train', 'test', 'train', 'train', 'test'] };
  const r = new Regrouper(nb, opts, keepRank('first', n, opts)!);
  const g = r.at(0.94);
  same(g, groupAtThreshold(nb, 0.94, opts), 'chain at 0.94');
  assert.deepEqual(Array.from(g.group_id), [0, 0, 0, 0, 1, 1, 1, -1]);
  assert.deepEqual(Array.from(g.keep), [1, 0, 1, 0, 1, 0, 0, 1], 'the chain keeps 0 and 2; one exact copy kept; the skipped row untouched');
  assert.deepEqual(Array.from(g.duplicate_of), [-1, 0, -1, 2, -1, 4, 4, -1]);
  for (const t of [0.99, 0.95, 0.955, 0.94, 0.1, 0.97]) same(r.at(t), groupAtThreshold(nb, t, opts), `chain at ${t}`);
  const tr = new Regrouper(nb, { ...opts, keep: 'test' }, keepRank('test', n, opts)!);
  for (const t of [0.94, 0.96, 0.5]) same(tr.at(t), groupAtThreshold(nb, t, { ...opts, keep: 'test' }), `chain, keep test, at ${t}`);
  assert.throws(() => r.at(NaN), /threshold/);
});

test('fast regroup equals groupAtThreshold on the bundled sample scan, and the explorer with tags equals the reference path: counts, samples, pages', { timeout: 300_000 }, async () => {
  const mgr = getCommManager();
  mgr.transport = { send: () => {}, display: () => {}, currentParentMsgId: () => '', log: () => {} };
  const { scan } = await import('../../src/pipeline/scan');
  const result = await scan('sample', { threshold: 0.9, size: 96 });
  for (const keep of ['first', 'train'] as const) {
    const opts = { ...result.groupOptions(keep, 'components'), keep };
    const r = new Regrouper(result.neighbors, opts, keepRank(keep, result.ids.length, opts)!);
    for (const t of THRESHOLDS) same(r.at(t), groupAtThreshold(result.neighbors, t, opts), `sample, keep ${keep}, t ${t}`);
  }

  // The explorer on the fast path (keep 'first') against one forced onto groupAtThreshold by an
  // equivalent keep function (the lowest row of the members not yet decided), both in kernel mode.
  const fast = explore(result, { threshold: 0.95, keep: 'first', browserCompute: false });
  const ref = explore(result, { threshold: 0.95, keep: (m) => m[0], browserCompute: false });
  assert.ok((fast as any).regrouper && !(ref as any).regrouper, 'one explorer on each path');
  const g0 = fast.groups;
  assert.ok(g0.keepers.length >= 3, 'the sample has groups at 0.95');
  // Tags: keep a removed copy, remove a kept copy (another is kept), drop a whole group.
  const idOf = (r: number) => result.ids[r];
  const m = (g: number) => Array.from(g0.members.subarray(g0.offsets[g], g0.offsets[g + 1]));
  const tags: Record<string, 'keep' | 'remove' | 'drop'> = {};
  tags[idOf(m(0).find((r) => g0.is_duplicate[r])!)] = 'keep';
  tags[idOf(g0.keepers[1])] = 'remove';
  for (const r of m(2)) tags[idOf(r)] = 'drop';
  for (const w of [fast, ref]) w.tags = tags;
  const req = (filter: string, page = 0) => ({ filter, search: '', page, page_size: 12, expanded: [] });
  for (const t of THRESHOLDS) {
    fast.threshold = t;
    ref.threshold = t;
    assert.deepEqual(fast.counts, ref.counts, `counts at ${t}`);
    same(fast.groups, ref.groups, `explorer groups at ${t}`);
    for (const col of ['group_id', 'is_duplicate', 'duplicate_of', 'keep', 'tag']) {
      assert.deepEqual(columnValues(fast.toDataFrame(), col), columnValues(ref.toDataFrame(), col), `${col} at ${t}`);
    }
    for (const filter of ['flagged', 'cross_split', 'leak', 'label_conflict', 'exact']) {
      for (const page of [0, 1]) assert.deepEqual((fast as any).page(req(filter, page)), (ref as any).page(req(filter, page)), `page ${page} of ${filter} at ${t}`);
    }
  }
  assert.ok(fast.counts.tagged_keep + fast.counts.tagged_remove > 0, 'tags in force');
  fast.close();
  ref.close();
});

test('repeated ids: explore() refuses them at once in browser mode, and at the first tag or export in kernel mode (the id index waits)', () => {
  const c = randomCase(5, 50, 4);
  const ids = Array.from({ length: 50 }, (_, i) => (i === 30 ? 'r7' : `r${i}`));
  assert.throws(() => explore({ ids, neighbors: c.nb }, { threshold: 0.9 }), /ids must be unique; "r7" appears more than once/);
  const w = explore({ ids, neighbors: c.nb }, { threshold: 0.9, browserCompute: false });
  assert.ok(w.counts.groups >= 0, 'counts without the id index');
  assert.throws(() => w.toDataFrame(), /ids must be unique; "r7"/);
  assert.throws(() => w.tag('r1', 'keep'), /ids must be unique/);
  w.close();
  assert.throws(() => explore({ ids, neighbors: c.nb }, { threshold: 0.9, browserCompute: false, tags: { r1: 'keep' } }), /ids must be unique/);
});

test('step() reuses its arrays across 60 random moves up and down and still equals groupAtThreshold (fused and rank-ordered walks); at() and explorer.groups are not changed by a later step', () => {
  for (const seed of [5, 6]) {
    const c = randomCase(seed, 600, 5);
    const rand = rng(seed * 7);
    for (const keep of ['first', 'test', 'largest'] as const) {
      const opts: GroupOptions = { keep, splits: c.splits, labels: c.labels, valid: c.valid, exactGroups: c.exactGroups, pixelCounts: c.pixelCounts, fileSizes: c.fileSizes };
      const r = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
      const kept = r.at(0.97);
      const keptCopy = structuredClone(kept);
      let t = 0.95;
      for (let s = 0; s < 60; s++) {
        t = Math.min(1, Math.max(0.78, t + (rand() - 0.5) * (s % 10 === 0 ? 0.3 : 0.03)));
        same(r.step(t), groupAtThreshold(c.nb, t, opts), `seed ${seed}, keep ${keep}, move ${s} to ${t}`);
      }
      same(kept, keptCopy, 'at() result after later steps');
    }
  }
  const c = randomCase(8, 400, 5);
  const w = explore({ ids: c.splits.map((_, i) => `r${i}`), neighbors: c.nb, splits: c.splits as any, valid: c.valid, exactGroups: c.exactGroups }, { threshold: 0.9, browserCompute: false });
  const before = w.groups;
  const copy = structuredClone(before);
  w.threshold = 0.97;
  same(before, copy, 'explorer.groups after a threshold change');
  same(w.groups, groupAtThreshold(c.nb, 0.97, { splits: c.splits as any, valid: c.valid, exactGroups: c.exactGroups }), 'explorer.groups at 0.97');
  w.close();
});

test('decide without tags: a group whose automatic choice removes every member still keeps its best copy (the shortcut checks it)', () => {
  // Rows 0-2 in group 0, 3-4 in group 1; the "automatic" choice removes all of group 1.
  const groupOf = Int32Array.from([0, 0, 0, 1, 1, -1]);
  const auto = Uint8Array.from([0, 1, 1, 1, 1, 0]);
  const rank = Int32Array.from([0, 1, 2, 4, 3, 5]);
  const splits = Int32Array.from([0, 1, 0, 0, 1, -1]);
  const d = decide(groupOf, 2, auto, new Map(), rank, splits, Int32Array.from([0, 1, 2, 3, 4]));
  assert.deepEqual(Array.from(d.removed), [0, 1, 1, 1, 0, 0], 'row 4 (rank 3) rescued in group 1');
  assert.deepEqual(d, decide(groupOf, 2, auto, new Map(), rank, splits), 'the same over every row');
  assert.equal(d.lastCopiesKept, 1);
  assert.equal(d.samplesToRemove, 3);
  const ok = decide(groupOf, 2, Uint8Array.from([0, 1, 1, 0, 1, 0]), new Map(), rank, splits);
  assert.equal(ok.lastCopiesKept, 0);
  assert.deepEqual(Array.from(ok.leak), [0, 0]);
});

test('single-linkage order (src/dedup/linkage.ts): built in a worker or in this thread, before any step, a step on it equals groupAtThreshold; every component is a contiguous run', async () => {
  const c = randomCase(11, 700, 6);
  for (const keep of ['first', 'test'] as const) {
    const opts: GroupOptions = { keep, splits: c.splits, labels: c.labels, valid: c.valid, exactGroups: c.exactGroups, pixelCounts: c.pixelCounts, fileSizes: c.fileSizes };
    const inWorker = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
    await inWorker.prepareOrderInBackground(); // the kernel's path: a worker thread (tsx here)
    assert.ok((inWorker as any).linkage, 'the worker delivered the order');
    const here = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
    here.prepareOrder();
    assert.deepEqual(Array.from((inWorker as any).linkage.order), Array.from((here as any).linkage.order), 'same order from the worker and this thread');
    // explore()'s path for large results: the order built from the scan's own arrays in a worker,
    // started before the Regrouper exists, then adopted by it.
    const early = linkageOfListsInWorker(c.nb, c.valid, c.exactGroups);
    const adopting = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
    await adopting.adoptOrder(early);
    assert.ok((adopting as any).linkage, 'the early order was adopted');
    const l = (adopting as any).linkage, h = (here as any).linkage;
    assert.deepEqual([Array.from(l.order), Array.from(l.height)], [Array.from(h.order), Array.from(h.height)], 'same order and heights from the lists as from the Regrouper');
    for (const t of THRESHOLDS) same(adopting.at(t), groupAtThreshold(c.nb, t, opts), `adopted order, keep ${keep}, t ${t}`);
    // An order of another size (not these lists) is refused: the Regrouper keeps the union-find.
    const other = randomCase(12, 500, 6);
    const refusing = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
    await refusing.adoptOrder(linkageOfListsInWorker(other.nb, other.valid, other.exactGroups));
    assert.equal((refusing as any).linkage, null, 'an order of other lists is not used');
    same(refusing.at(0.9), groupAtThreshold(c.nb, 0.9, opts), `after a refused order, keep ${keep}`);
    // A worker that fails after the second step: the next step builds the order in this thread.
    const late = new Regrouper(c.nb, opts, keepRank(keep, c.nb.n, opts)!);
    let fail!: (e: Error) => void;
    const failing = late.adoptOrder(new Promise<never>((_, rej) => (fail = rej)));
    late.step(0.95);
    late.step(0.9);
    assert.equal((late as any).linkage, null, 'the order is pending: steps run the union-find');
    fail(new Error('worker died'));
    await failing;
    same(late.at(0.93), groupAtThreshold(c.nb, 0.93, opts), `after a failed order, keep ${keep}`);
    assert.ok((late as any).linkage, 'the step after the failure built the order itself');
    // A second order offered while one is in use is ignored, and its failure is handled (no unhandled rejection).
    await late.adoptOrder(Promise.reject(new Error('ignored')));
    for (const t of THRESHOLDS) {
      const ref = groupAtThreshold(c.nb, t, opts);
      same(inWorker.at(t), ref, `worker order, keep ${keep}, t ${t}`);
      same(here.step(t), ref, `order built first, keep ${keep}, t ${t}`);
      // Contiguity, read off the order itself: the rows of each reference group sit side by side.
      const { order } = (here as any).linkage as { order: Int32Array };
      const pos = new Int32Array(c.nb.n).fill(-1);
      order.forEach((row, p) => (pos[row] = p));
      for (let g = 0; g < ref.keepers.length; g++) {
        const ps = Array.from(ref.members.subarray(ref.offsets[g], ref.offsets[g + 1]), (r) => pos[r]);
        assert.equal(Math.max(...ps) - Math.min(...ps) + 1, ps.length, `group ${g} at ${t} is a contiguous run`);
      }
    }
  }
});
