/**
 * The single-linkage order of a k-NN result: the rows listed so that every connected component of
 * the edges >= t is a contiguous run, for every threshold t at once, with the score at which each
 * row joins the next. It is the leaf order of the single-linkage dendrogram, which is built from
 * the maximum spanning forest (Gower & Ross, "Minimum spanning trees and single linkage cluster
 * analysis", Applied Statistics 18, 1969); Kruskal's algorithm gives that forest, and keeping each
 * component's rows as a linked list that a merge appends gives the order without the tree.
 * The explorer's slider step (src/dedup/regroup.ts) reads its groups off the order in one
 * sequential pass instead of a union-find over the edges.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What the order is built from (the Regrouper's own arrays). */
export interface LinkageInput {
  /** Rows. */
  n: number;
  /** List length. */
  k: number;
  /** n·k: the neighbour of each list entry, -1 for an entry no grouping uses (invalid end, the row itself, padding). */
  to: Int32Array;
  /** n·k: the entry's cosine similarity (float32). */
  scores: Float32Array;
  /** The rows with at least one usable edge or an exact copy, ascending. */
  active: Int32Array;
  /** Per row: the first valid row of its exact-duplicate group (-1 = none, or itself the first); joined at +Infinity. */
  exactFirst: Int32Array | null;
}

/** `order`: the active rows; `height[p]`: the score at which order[p] and order[p + 1] join (-Infinity: never). */
export interface Linkage {
  order: Int32Array;
  height: Float32Array;
}

/**
 * The usable list entries and each row's best edge, as the Regrouper and the order both need them:
 * `to` = the indices with -1 for padding, the row itself and invalid ends; `top[i]` = the highest
 * score of an edge of row i in either direction (+Infinity with an exact copy, -Infinity with none).
 * Both directions: a row can be the neighbour of a closer row than any in its own list when lists
 * are approximate or cut.
 *
 * @param valid 1 = embedded (default all); @param exactFirst from {@link exactFirstOf}
 */
export function usableEdges(nb: { n: number; k: number; indices: Int32Array; scores: Float32Array }, valid: Uint8Array | null | undefined, exactFirst: Int32Array | null): { to: Int32Array; top: Float32Array } {
  const { n, k, indices, scores } = nb;
  const top = new Float32Array(n).fill(-Infinity);
  const to = new Int32Array(n * k).fill(-1);
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] !== 1) continue;
    const base = i * k;
    for (let j = 0; j < k; j++) {
      const s = scores[base + j];
      if (!(s > -Infinity)) break; // sorted descending: only padding (or NaN) follows
      const x = indices[base + j];
      if (x < 0 || x === i || (valid && valid[x] !== 1)) continue;
      to[base + j] = x;
      if (s > top[i]) top[i] = s;
      if (s > top[x]) top[x] = s;
    }
  }
  if (exactFirst) {
    for (let i = 0; i < n; i++) {
      if (exactFirst[i] < 0) continue;
      top[i] = Infinity;
      top[exactFirst[i]] = Infinity;
    }
  }
  return { to, top };
}

/** Per row: the first valid row of its exact-duplicate group (-1 = none, or itself the first); null without groups. */
export function exactFirstOf(exactGroups: Int32Array | null | undefined, valid: Uint8Array | null | undefined): Int32Array | null {
  if (!exactGroups) return null;
  const n = exactGroups.length;
  let max = -1;
  for (let i = 0; i < n; i++) if (exactGroups[i] > max) max = exactGroups[i];
  const first = new Int32Array(max + 1).fill(-1);
  const exactFirst = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const e = exactGroups[i];
    if (e < 0 || (valid && valid[i] !== 1)) continue;
    if (first[e] < 0) first[e] = i;
    else exactFirst[i] = first[e];
  }
  return exactFirst;
}

/** The rows with a best edge ({@link usableEdges}' `top` above -Infinity), ascending. */
export function activeRows(top: Float32Array): Int32Array {
  let na = 0;
  for (let i = 0; i < top.length; i++) if (top[i] > -Infinity) na++;
  const active = new Int32Array(na);
  for (let i = 0, a = 0; i < top.length; i++) if (top[i] > -Infinity) active[a++] = i;
  return active;
}

/**
 * The order's input from the k-NN lists themselves, derived as the Regrouper derives it (the same
 * functions): lets the order be built from the scan's arrays before any Regrouper exists
 * ({@link linkageOfListsInWorker}); test/dedup/regroup.test.ts checks both give the same order.
 *
 * @param valid 1 = embedded (default all); @param exactGroups exact-duplicate group per row, -1 none
 */
export function linkageInputOf(nb: { n: number; k: number; indices: Int32Array; scores: Float32Array }, valid: Uint8Array | null, exactGroups: Int32Array | null): LinkageInput {
  const exactFirst = exactFirstOf(exactGroups, valid);
  const { to, top } = usableEdges(nb, valid, exactFirst);
  return { n: nb.n, k: nb.k, to, scores: nb.scores, active: activeRows(top), exactFirst };
}

/**
 * Kruskal over every usable edge, highest score first (exact links first, then the list entries
 * sorted by a two-pass 16-bit radix sort of their float32 bits), with each component's rows kept as
 * a linked list: a merge appends one list to the other and records its score at the junction.
 * Within a component every junction is >= the score that formed it, and the junction between two
 * components is the score that merged them, so at any t the components are the runs of `order`
 * whose junctions are all >= t.
 *
 * Cost: O(E) time for E usable entries (n·k at most) plus the union-find; about 16·E + 24·n bytes
 * while it runs; the result is 8 bytes per active row.
 *
 * @throws Error (internal) if the lists did not produce one entry per active row
 */
export function singleLinkageOrder(input: LinkageInput): Linkage {
  const { n, k, to, scores, active, exactFirst } = input;
  let nEdges = 0;
  for (let e = 0; e < to.length; e++) if (to[e] >= 0) nEdges++;
  // Keys that grow as the score falls: the float32 bits made order-preserving, then inverted.
  let key = new Uint32Array(nEdges);
  let idx = new Int32Array(nEdges);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let e = 0, m = 0; e < to.length; e++) {
    if (to[e] < 0) continue;
    f[0] = scores[e];
    const b = u[0];
    const asc = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    key[m] = (0xffffffff - asc) >>> 0;
    idx[m++] = e;
  }
  // LSD radix sort, 16 bits per pass (stable: equal scores keep the list order).
  let key2 = new Uint32Array(nEdges);
  let idx2 = new Int32Array(nEdges);
  const count = new Int32Array(65537);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let m = 0; m < nEdges; m++) count[((key[m] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 65536; d++) count[d + 1] += count[d];
    for (let m = 0; m < nEdges; m++) {
      const at = count[(key[m] >>> shift) & 0xffff]++;
      key2[at] = key[m];
      idx2[at] = idx[m];
    }
    [key, key2] = [key2, key];
    [idx, idx2] = [idx2, idx];
  }
  key = key2 = new Uint32Array(0); // only idx is read below: free the rest before the union-find's arrays
  idx2 = new Int32Array(0);

  const parent = new Int32Array(n);
  const size = new Int32Array(n).fill(1);
  const head = new Int32Array(n);
  const tail = new Int32Array(n);
  const next = new Int32Array(n).fill(-1);
  const joinAt = new Float32Array(n).fill(-Infinity);
  for (let i = 0; i < n; i++) parent[i] = head[i] = tail[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const merge = (a: number, b: number, score: number): void => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return;
    if (size[ra] < size[rb]) [ra, rb] = [rb, ra]; // union by size; which list comes first does not matter
    next[tail[ra]] = head[rb];
    joinAt[tail[ra]] = score;
    tail[ra] = tail[rb];
    parent[rb] = ra;
    size[ra] += size[rb];
  };
  if (exactFirst) for (let a = 0; a < active.length; a++) if (exactFirst[active[a]] >= 0) merge(active[a], exactFirst[active[a]], Infinity);
  for (let m = 0; m < nEdges; m++) {
    const e = idx[m];
    merge((e / k) | 0, to[e], scores[e]);
  }
  const order = new Int32Array(active.length);
  const height = new Float32Array(active.length);
  let p = 0;
  for (let a = 0; a < active.length; a++) {
    const i = active[a];
    if (parent[i] !== i) continue;
    for (let x = head[i]; x >= 0; x = next[x]) {
      if (p === order.length) throw new Error(`internal: the single-linkage order holds more than the ${active.length} active rows`);
      order[p] = x;
      height[p++] = joinAt[x]; // -Infinity at the end of each component
    }
  }
  if (p !== active.length) throw new Error(`internal: the single-linkage order holds ${p} of ${active.length} active rows`);
  return { order, height };
}

/**
 * Rows from which the explorer builds the order in a worker: below, the Regrouper's second step
 * builds it in its own thread in about 0.1 s or less (1.2–1.6 s of one core at 1,000,000 rows, k = 10),
 * cheaper than starting a thread and copying the lists to it.
 */
export const LINKAGE_WORKER_ROWS = 100_000;

/** The worker's file, next to this one (tsx in tests and benches, compiled JS in the package). */
function workerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  const file = join(__dirname, `linkage-worker${ext}`);
  return ext === '.ts' ? { file, execArgv: ['--require', require.resolve('tsx/cjs')] } : { file, execArgv: [] };
}

/**
 * {@link linkageInputOf} then {@link singleLinkageOrder}, both in a worker thread: the explorer
 * starts it first thing in `explore()` for a large result, from the scan's own arrays, so the order
 * is ready by the first slider steps instead of arriving while they run. Copies the lists to the
 * worker (about 8·n·k bytes).
 * @throws (rejects) when the worker fails or exits early
 */
export function linkageOfListsInWorker(nb: { n: number; k: number; indices: Int32Array; scores: Float32Array }, valid: Uint8Array | null, exactGroups: Int32Array | null): Promise<Linkage> {
  return runWorker({ lists: { n: nb.n, k: nb.k, indices: nb.indices, scores: nb.scores }, valid, exactGroups });
}

/**
 * {@link singleLinkageOrder} in a worker thread (the input is copied to it, about 8·n·k bytes).
 * @throws (rejects) when the worker fails or exits early
 */
export function linkageInWorker(input: LinkageInput): Promise<Linkage> {
  return runWorker({ input });
}

/** What the worker receives: a ready input, or the lists to derive it from. */
export type LinkageWorkerData = { input: LinkageInput } | { lists: { n: number; k: number; indices: Int32Array; scores: Float32Array }; valid: Uint8Array | null; exactGroups: Int32Array | null };

function runWorker(data: LinkageWorkerData): Promise<Linkage> {
  const { file, execArgv } = workerEntry();
  return new Promise<Linkage>((resolve, reject) => {
    const w = new Worker(file, { execArgv, workerData: data });
    let done = false;
    w.once('message', (msg: Linkage | { error: string }) => {
      done = true;
      void w.terminate();
      if ('error' in msg) reject(new Error(`single-linkage worker: ${msg.error}`));
      else resolve(msg);
    });
    w.once('error', (e) => {
      done = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`single-linkage worker exited with code ${code}`));
    });
  });
}
