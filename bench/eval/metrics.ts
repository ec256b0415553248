/**
 * Detection-quality metrics against ground-truth groups, from a dense n x n similarity matrix
 * (the benchmark has ~660 images, so n² is small; the product never builds this matrix).
 *
 * Two views of the same prediction at a threshold t:
 * - pairs:        the direct pairs with similarity ≥ t (what `duplicates.csv` lists);
 * - group pairs:  every pair inside one connected component of that graph (what a scan groups and
 *                 removes). Components can chain, so this also shows merges of unrelated photos.
 * Positives are all pairs inside one ground-truth group (an original and its copies).
 * Groups: a predicted component (size ≥ 2) is correct when its member set equals a ground-truth group.
 */

export interface Truth {
  /** Ground-truth group index of each image (distractors are singleton groups). */
  group: Int32Array;
  /** Transform of each image ('' for originals and distractors). */
  transform: string[];
  /** Index of each copy's original (-1 for originals and distractors). */
  original: Int32Array;
}

export interface PRF {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ThresholdResult {
  threshold: number;
  pairs: PRF;
  groupPairs: PRF;
  /** Exact-group matching: precision over predicted groups, recall over ground-truth groups. */
  groups: PRF & { predicted: number; truth: number };
  /** Components holding images of more than one ground-truth group (unrelated photos chained). */
  chained: number;
  /** Distinct unrelated-photo pairs (cross-group) that end up in one component. */
  chainedPairs: number;
  /** Per transform: fraction of copies whose similarity to their original is ≥ t ... */
  perTransformPair: Record<string, number>;
  /** ... and fraction of copies grouped with their original. */
  perTransformGroup: Record<string, number>;
  /** Highest-scoring false pairs, for reading mistakes. */
  worstFalse: { a: number; b: number; score: number }[];
}

export function prf(tp: number, fp: number, fn: number): PRF {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/** Connected components of {(i,j): sim ≥ t}; returns the component root of each row. */
export function componentsAt(sim: Float32Array, n: number, t: number): Int32Array {
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (sim[i * n + j] >= t) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const root = new Int32Array(n);
  for (let i = 0; i < n; i++) root[i] = find(i);
  return root;
}

/**
 * Evaluates one threshold. `sim` is symmetric n x n (diagonal ignored). `groupOf`, when given, is
 * the grouping to score instead of the components of `sim` (e.g. the product's `group_id`, where -1
 * means "in no group").
 */
export function evaluateAt(sim: Float32Array, truth: Truth, t: number, worst = 5, groupOf?: Int32Array): ThresholdResult {
  const n = truth.group.length;
  const g = truth.group;
  // Direct pairs.
  let tp = 0;
  let fp = 0;
  let positives = 0;
  const falses: { a: number; b: number; score: number }[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const same = g[i] === g[j];
      if (same) positives++;
      const s = sim[i * n + j];
      if (s >= t) {
        if (same) tp++;
        else {
          fp++;
          falses.push({ a: i, b: j, score: s });
        }
      }
    }
  }
  const pairs = prf(tp, fp, positives - tp);
  falses.sort((x, y) => y.score - x.score);

  // Components and group pairs.
  const root = groupOf ? Int32Array.from(groupOf, (g, i) => (g < 0 ? -1 - i : g)) : componentsAt(sim, n, t);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = root[i];
    let m = members.get(r);
    if (!m) members.set(r, (m = []));
    m.push(i);
  }
  let gtp = 0;
  let gfp = 0;
  let chained = 0;
  let chainedPairs = 0;
  let groupsCorrect = 0;
  let predicted = 0;
  const truthSize = new Map<number, number>();
  for (let i = 0; i < n; i++) truthSize.set(g[i], (truthSize.get(g[i]) ?? 0) + 1);
  for (const m of members.values()) {
    if (m.length < 2) continue;
    predicted++;
    const byTruth = new Map<number, number>();
    for (const i of m) byTruth.set(g[i], (byTruth.get(g[i]) ?? 0) + 1);
    let same = 0;
    for (const c of byTruth.values()) same += (c * (c - 1)) / 2;
    const all = (m.length * (m.length - 1)) / 2;
    gtp += same;
    gfp += all - same;
    if (byTruth.size > 1) {
      chained++;
      chainedPairs += all - same;
    } else {
      const [only] = byTruth.keys();
      if (truthSize.get(only) === m.length) groupsCorrect++;
    }
  }
  const groupPairs = prf(gtp, gfp, positives - gtp);
  const truthGroups = [...truthSize.values()].filter((c) => c > 1).length;
  const gp = prf(groupsCorrect, predicted - groupsCorrect, truthGroups - groupsCorrect);

  // Per transform.
  const hitPair: Record<string, [number, number]> = {};
  const hitGroup: Record<string, [number, number]> = {};
  for (let i = 0; i < n; i++) {
    const o = truth.original[i];
    if (o < 0) continue;
    const tr = truth.transform[i];
    const hp = (hitPair[tr] ??= [0, 0]);
    const hg = (hitGroup[tr] ??= [0, 0]);
    hp[1]++;
    hg[1]++;
    if (sim[i * n + o] >= t) hp[0]++;
    if (root[i] === root[o]) hg[0]++;
  }
  const frac = (r: Record<string, [number, number]>) => Object.fromEntries(Object.entries(r).map(([k, [a, b]]) => [k, a / b]));
  return {
    threshold: t,
    pairs,
    groupPairs,
    groups: { ...gp, predicted, truth: truthGroups },
    chained,
    chainedPairs,
    perTransformPair: frac(hitPair),
    perTransformGroup: frac(hitGroup),
    worstFalse: falses.slice(0, worst),
  };
}

/** Thresholds from `lo` to `hi` inclusive in steps of `step` (rounded to avoid float drift). */
export function thresholdSweep(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let t = lo; t <= hi + 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
}

/** Dense cosine matrix of L2-normalised rows. */
export function cosineMatrix(vectors: Float32Array, n: number, dim: number): Float32Array {
  const sim = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    sim[i * n + i] = 1;
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      const b = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += vectors[a + d] * vectors[b + d];
      sim[i * n + j] = s;
      sim[j * n + i] = s;
    }
  }
  return sim;
}

/**
 * Dense similarity matrix holding only the scores listed in k-NN lists (symmetrised by max); pairs
 * not listed get -Infinity. Lets the product's neighbour lists be scored with {@link evaluateAt}.
 */
export function matrixFromNeighbors(nb: { n: number; k: number; indices: Int32Array; scores: Float32Array }): Float32Array {
  const { n, k } = nb;
  const sim = new Float32Array(n * n).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    sim[i * n + i] = 1;
    for (let j = 0; j < k; j++) {
      const o = nb.indices[i * k + j];
      if (o < 0) continue;
      const s = nb.scores[i * k + j];
      if (s > sim[i * n + o]) sim[i * n + o] = sim[o * n + i] = s;
    }
  }
  return sim;
}

/** Element-wise max of several similarity matrices (symmetric max over views). */
export function maxMatrix(...ms: Float32Array[]): Float32Array {
  const out = new Float32Array(ms[0]);
  for (const m of ms.slice(1)) for (let i = 0; i < out.length; i++) if (m[i] > out[i]) out[i] = m[i];
  return out;
}

/**
 * Best threshold: highest group-pair F1 among thresholds with no chained components and
 * pair precision ≥ minPrecision; falls back to highest F1 when none qualifies.
 */
export function pickThreshold(results: ThresholdResult[], minPrecision = 0.98): ThresholdResult {
  const ok = results.filter((r) => r.chained === 0 && r.groupPairs.precision >= minPrecision);
  const pool = ok.length ? ok : results;
  return pool.reduce((best, r) => (r.groupPairs.f1 > best.groupPairs.f1 ? r : best));
}
