/**
 * Builds the bundled sample (data/sample/) from the real Fashion-MNIST (70,000 images, both splits).
 * Run: node --import tsx scripts/make-sample.ts [fashion-mnist-folder]   (default /usr/share/datasets/fashion-mnist)
 *
 * Procedure (deterministic; seed below):
 *  1. Exact duplicates: images whose 784 bytes are identical, grouped by their bytes.
 *  2. Near duplicates in pixel space: pairs whose pixel L2 distance is at most NEAR_RMS * 28 (RMS
 *     difference per pixel <= NEAR_RMS grey levels) and whose Pearson correlation is >= NEAR_CORR.
 *     Found exactly (no approximation): candidates are pruned by |‖a‖-‖b‖| <= d(a,b) on images sorted
 *     by norm, then by the 4x4 mean-pooled distance (4·‖pool(a)-pool(b)‖ <= ‖a-b‖), then measured at full size.
 *  3. All exact groups (up to MAX_EXACT_GROUPS) and the NEAR_PAIRS closest near pairs (as connected groups) are kept;
 *     random images (seeded) fill up to TARGET, drawn so train:test stays 6:1 like the full dataset.
 * Output: data/sample/images-idx3-ubyte.gz (N x 28 x 28, rows train then test, each by original index)
 *         data/sample/samples.csv (split, original_index, label, reason, group).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadIdxFolder, encodeIdx } from '../src/datasets/idx';
import { writeFileAtomic } from '../src/frame/atomic';
import { writeCsv } from '../src/frame/csv';
import { columnValues } from '../src/frame/table';

const SEED = 20261125;
const TARGET = 3000;
const NEAR_RMS = 10;
const NEAR_CORR = 0.98;
const NEAR_PAIRS = 150;
const MAX_EXACT_GROUPS = 200;

function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const ds = await loadIdxFolder(src, 'fashion-mnist');
  if (ds.pixels.kind !== 'array') throw new Error('expected array pixels');
  const px = ds.pixels.data;
  const split = columnValues<string>(ds.df, 'split');
  const orig = columnValues<number>(ds.df, 'original_index');
  const label = columnValues<number>(ds.df, 'label');
  const N = split.length;
  const D = 784;
  console.log(`loaded ${N} images from ${src}`);

  // 1. exact duplicates
  const byBytes = new Map<string, number[]>();
  for (let i = 0; i < N; i++) {
    const k = Buffer.from(px.buffer, px.byteOffset + i * D, D).toString('base64');
    const g = byBytes.get(k);
    if (g) g.push(i);
    else byBytes.set(k, [i]);
  }
  const exactGroups = [...byBytes.values()].filter((g) => g.length > 1);
  const isExactDup = new Uint8Array(N);
  for (const g of exactGroups) for (const i of g) isExactDup[i] = 1;
  console.log(`exact duplicate groups: ${exactGroups.length} (${exactGroups.reduce((a, g) => a + g.length, 0)} images; ` +
    `${exactGroups.filter((g) => new Set(g.map((i) => split[i])).size > 1).length} cross train/test)`);

  // 2. near duplicates
  const norm = new Float64Array(N);
  const pooled = new Float32Array(N * 49);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let p = 0; p < D; p++) s += px[i * D + p] ** 2;
    norm[i] = Math.sqrt(s);
    for (let by = 0; by < 7; by++)
      for (let bx = 0; bx < 7; bx++) {
        let m = 0;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) m += px[i * D + (by * 4 + y) * 28 + bx * 4 + x];
        pooled[i * 49 + by * 7 + bx] = m / 16;
      }
  }
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => norm[a] - norm[b]);
  const T = NEAR_RMS * 28;
  const T2 = T * T;
  const pooledT2 = T2 / 16;
  const near: { a: number; b: number; d: number; r: number }[] = [];
  const t0 = Date.now();
  let fullChecks = 0;
  for (let oi = 0; oi < N; oi++) {
    const a = order[oi];
    if (isExactDup[a]) continue;
    for (let oj = oi + 1; oj < N; oj++) {
      const b = order[oj];
      if (norm[b] - norm[a] > T) break;
      if (isExactDup[b]) continue;
      let pd = 0;
      for (let k = 0; k < 49 && pd <= pooledT2; k++) {
        const t = pooled[a * 49 + k] - pooled[b * 49 + k];
        pd += t * t;
      }
      if (pd > pooledT2) continue;
      fullChecks++;
      let d2 = 0;
      for (let p = 0; p < D && d2 <= T2; p++) {
        const t = px[a * D + p] - px[b * D + p];
        d2 += t * t;
      }
      if (d2 > T2 || d2 === 0) continue;
      near.push({ a, b, d: Math.sqrt(d2), r: pearson(px, a, b, D) });
    }
  }
  console.log(`near pairs with RMS <= ${NEAR_RMS}: ${near.length} (${fullChecks} full-size checks, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const lim of [2, 4, 6, 8, 10]) {
    const sel = near.filter((p) => p.d <= lim * 28);
    if (sel.length) console.log(`  RMS <= ${lim}: ${sel.length} pairs, min corr ${Math.min(...sel.map((p) => p.r)).toFixed(4)}`);
  }
  const good = near.filter((p) => p.r >= NEAR_CORR).sort((x, y) => x.d - y.d || x.a - y.a);
  console.log(`  of which correlation >= ${NEAR_CORR}: ${good.length}; cross train/test: ${good.filter((p) => split[p.a] !== split[p.b]).length}`);

  // 3. selection
  const reason = new Map<number, { reason: string; group: string }>();
  exactGroups
    .sort((g, h) => g[0] - h[0])
    .slice(0, MAX_EXACT_GROUPS)
    .forEach((g, k) => g.forEach((i) => reason.set(i, { reason: 'exact-duplicate', group: `exact-${k}` })));
  // Near pairs become groups (connected components), so chains of near copies stay together.
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  for (const p of good.slice(0, NEAR_PAIRS)) {
    for (const x of [p.a, p.b]) if (!parent.has(x)) parent.set(x, x);
    const ra = find(p.a), rb = find(p.b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  const roots = [...new Set([...parent.keys()].map(find))].sort((a, b) => a - b);
  const groupOf = new Map(roots.map((r, k) => [r, k]));
  for (const x of parent.keys()) reason.set(x, { reason: 'near-duplicate', group: `near-${groupOf.get(find(x))}` });
  console.log(`kept ${Math.min(NEAR_PAIRS, good.length)} near pairs in ${roots.length} groups (${parent.size} images)`);
  const rand = mulberry32(SEED);
  const chosenTest = () => [...reason.keys()].filter((i) => split[i] === 'test').length;
  const wantTest = Math.round(TARGET / 7);
  const pools = { train: [] as number[], test: [] as number[] };
  for (let i = 0; i < N; i++) if (!reason.has(i)) pools[split[i] as 'train' | 'test'].push(i);
  const draw = (pool: number[], count: number) => {
    for (let k = 0; k < count && pool.length; k++) {
      const j = Math.floor(rand() * pool.length);
      const i = pool[j];
      pool[j] = pool[pool.length - 1];
      pool.pop();
      reason.set(i, { reason: 'random', group: '' });
    }
  };
  draw(pools.test, Math.max(0, wantTest - chosenTest()));
  draw(pools.train, Math.max(0, TARGET - reason.size));
  const rows = [...reason.keys()].sort((a, b) => a - b); // dataset order: train then test, by index
  const data = new Uint8Array(rows.length * D);
  rows.forEach((i, k) => data.set(px.subarray(i * D, (i + 1) * D), k * D));

  const outDir = path.join(__dirname, '..', 'data', 'sample');
  await writeFileAtomic(path.join(outDir, 'images-idx3-ubyte.gz'), zlib.gzipSync(encodeIdx([rows.length, 28, 28], data), { level: 9 }));
  await writeCsv(
    rows.map((i) => ({ split: split[i], original_index: orig[i], label: label[i], reason: reason.get(i)!.reason, group: reason.get(i)!.group })),
    path.join(outDir, 'samples.csv'),
  );
  const count = (r: string) => rows.filter((i) => reason.get(i)!.reason === r).length;
  console.log(`wrote ${rows.length} images (${rows.filter((i) => split[i] === 'train').length} train, ${rows.filter((i) => split[i] === 'test').length} test): ` +
    `${count('exact-duplicate')} in exact groups, ${count('near-duplicate')} in near pairs, ${count('random')} random`);
  console.log(`size: ${fs.statSync(path.join(outDir, 'images-idx3-ubyte.gz')).size} + ${fs.statSync(path.join(outDir, 'samples.csv')).size} bytes`);
}

function pearson(px: Uint8Array, a: number, b: number, D: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let p = 0; p < D; p++) {
    const x = px[a * D + p], y = px[b * D + p];
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  const cov = sab - (sa * sb) / D;
  const va = saa - (sa * sa) / D, vb = sbb - (sb * sb) / D;
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
