/**
 * Scale benchmark (issue 13): all-pairs top-10 of N × 1280 real-derived embeddings with the
 * approximate LanceDB backend, against exact search for a sample of queries in the same run.
 *
 *   npm run bench -- scale                        # N = 200,000 (default)
 *   node --import tsx bench/scale.bench.ts --n 1000000 --queries 1000 --nprobes 20 --candidates 40
 *
 * Options: --n, --queries (exact-checked sample), --k, --nprobes, --candidates, --partitions,
 *   --sub-vectors, --index ivf_rq|ivf_pq|ivf_flat|ivf_hnsw_sq|ivf_hnsw_pq, --max-iterations and
 *   --sample-rate (IVF k-means), --ef (HNSW), --sweep np:cand[:ef],… (more query settings on the
 *   same index and exact sample), --keep <dir> (keep / reuse the table and index),
 *   --base <embedding cache dir> (real vectors),
 *   --threshold (duplicate threshold, default 0.98 = Fashion-MNIST's default), --seed,
 *   --float16 (store/search the vectors rounded to float16 and measure the recall cost),
 *   --dim-reduce <d> (keep the first d dims after a random rotation-free truncation: recall cost),
 *   --storage-cost (no index: recall of exact search over float16 / randomly projected vectors
 *   against float32, on --queries sampled queries; the measured cost of smaller storage),
 *   --ann-queries <m> (ANN for query rows [0, m) only, per-query time extrapolated to all N; the
 *   exact sample and the planted pairs are then taken within those rows), --query-batch <b> and
 *   --concurrency <c> (LanceDB multi-vector query size and calls in flight), --compare-batches
 *   (times several batch/concurrency settings on the same 512 queries before the main run).
 *
 * Generator (documented in docs/scale.md): `m` real base embeddings (default: the bundled
 * Fashion-MNIST sample's 3,000 MobileNetV2 vectors from the embedding cache, or any cache dir via
 * --base). Row i = normalise(base[i mod m] + w·base[r] + noise) with r a random other base,
 * w ~ U[0, 0.6] and an isotropic Gaussian noise of norm ~ U[0.3, 0.8]: perturbed variants that
 * stay on the real embeddings' manifold without being copies. Then 1 % of rows are overwritten by
 * planted near-duplicates of a random earlier row (noise norm ~ U[0.02, 0.12], cosine ≈ 0.993–0.9998):
 * the known pairs. The noise comes from a pre-drawn pool (see `generate`): 1M rows in ~2 min.
 *
 * Figures printed: index build time, ANN all-pairs time, exact time for the sampled queries (and
 * the ratio per query), recall@k vs exact on the sample, recall of exact pairs ≥ threshold on the
 * sample, recall of the planted pairs, peak extra memory (VmHWM minus RSS after generating).
 */
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, loadavg, cpus } from 'node:os';
import { LanceDbBackend, type LanceIndexType } from '../src/similarity/backends/lancedb';
import { HNSW_DEFAULTS, HnswBackend, type HnswQuantization } from '../src/similarity/backends/hnsw';
import type { Neighbors } from '../src/types';
import { openStore } from '../src/store/connect';
import { createGemmSession } from '../src/similarity/knn-tile';
import { TopKRows } from '../src/similarity/topk-rows';
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const flag = (name: string) => args.includes(`--${name}`);
const N = Number(arg('n', '200000'));
const Q = Number(arg('queries', '1000'));
const K = Number(arg('k', '10'));
const THRESHOLD = Number(arg('threshold', '0.98'));
let seed = Number(arg('seed', '13')) >>> 0;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
const GiB = 2 ** 30;
const secs = (t0: number) => (performance.now() - t0) / 1000;

function defaultBase(): string {
  const root = join(process.env.NEARDUP_CACHE || join(process.env.HOME || '/root', '.cache', 'neardup'), 'embeddings');
  // The largest cache folder (the sample's, or fashion-mnist's if it was embedded).
  const dirs = readdirSync(root).map((d) => join(root, d)).filter((d) => statSync(d).isDirectory());
  const size = (d: string) => readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0);
  dirs.sort((a, b) => size(b) - size(a));
  if (!dirs.length) throw new Error(`no embedding cache under ${root}: run "node bin/neardup.js scan sample --out /tmp/s" first`);
  return dirs[0];
}

/** Real vectors from an embedding cache dir (src/embed/cache.ts chunks: NDEMB001, dim, count, keys, vectors). */
function loadBase(dir: string): { v: Float32Array; m: number; dim: number } {
  const parts: Float32Array[] = [];
  let dim = 0;
  for (const f of readdirSync(dir).filter((x) => /^chunk-.*\.bin$/.test(x)).sort()) {
    const buf = readFileSync(join(dir, f));
    if (buf.subarray(0, 8).toString('latin1') !== 'NDEMB001') continue;
    dim = buf.readUInt32LE(8);
    const count = buf.readUInt32LE(12);
    const off = 16 + count * 16;
    const vec = new Float32Array(count * dim);
    new Uint8Array(vec.buffer).set(buf.subarray(off, off + count * dim * 4));
    parts.push(vec);
  }
  const v = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (v.set(p, o), (o += p.length));
  const m = v.length / dim;
  // Zero rows (skipped samples) are dropped; the rest normalised.
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    if (s > 0) out.push(i);
  }
  const w = new Float32Array(out.length * dim);
  out.forEach((i, r) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) w[r * dim + d] = v[i * dim + d] * inv;
  });
  return { v: w, m: out.length, dim };
}

function generate(base: Float32Array, m: number, dim: number, n: number) {
  const v = new Float32Array(n * dim);
  const row = new Float64Array(dim);
  // Noise: a pool of 4,096 Gaussian vectors drawn once; each row's noise is the sum of two pool
  // vectors, each cyclically shifted by a random offset and signed at random (2⁴⁵ combinations, and
  // isotropic: a shift or sign flip of a Gaussian vector is Gaussian). 1,280 Gaussian draws per row
  // made the 1M generation take most of an hour.
  const P = 4096;
  const pool = new Float32Array(P * dim);
  for (let i = 0; i < pool.length; i++) pool[i] = gauss();
  const z = new Float64Array(dim);
  const noise = (norm: number) => {
    z.fill(0);
    for (let t = 0; t < 2; t++) {
      const a = Math.floor(rnd() * P);
      const p = pool.subarray(a * dim, (a + 1) * dim);
      const sh = Math.floor(rnd() * dim);
      const sg = rnd() < 0.5 ? -1 : 1;
      for (let d = 0; d < dim - sh; d++) z[d] += sg * p[d + sh];
      for (let d = dim - sh; d < dim; d++) z[d] += sg * p[d + sh - dim];
    }
    let s = 0;
    for (let d = 0; d < dim; d++) s += z[d] * z[d];
    const f = norm / Math.sqrt(s);
    for (let d = 0; d < dim; d++) z[d] *= f;
    return z;
  };
  const put = (i: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += row[d] * row[d];
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) v[i * dim + d] = row[d] * inv;
  };
  for (let i = 0; i < n; i++) {
    const a = i % m;
    const r = Math.floor(rnd() * m);
    const w = 0.6 * rnd();
    const z = noise(0.3 + 0.5 * rnd());
    for (let d = 0; d < dim; d++) row[d] = base[a * dim + d] + w * base[r * dim + d] + z[d];
    put(i);
  }
  const planted: [number, number][] = [];
  for (let t = 0; t < Math.floor(n / 100); t++) {
    const j = 1 + Math.floor(rnd() * (n - 1));
    const i = Math.floor(rnd() * j);
    const z = noise(0.02 + 0.1 * rnd());
    for (let d = 0; d < dim; d++) row[d] = v[i * dim + d] + z[d];
    put(j);
    planted.push([i, j]);
  }
  return { v, planted };
}

/** A storage variant: rows as stored (float16-rounded, projected to fewer dims…), block by block. */
type Transform = { name: string; dim: number; bytes: number; apply: (rows: Float32Array, count: number) => Promise<Float32Array> };

/**
 * Exact top-k of the query rows against all n rows: onnxruntime GEMM in column blocks; with a
 * transform, both sides are transformed first (block by block, so memory stays bounded).
 */
async function exactForQueries(v: Float32Array, n: number, dim: number, k: number, qs: number[], t?: Transform): Promise<TopKRows> {
  const tdim = t ? t.dim : dim;
  const session = await createGemmSession(tdim, cpus().length);
  const acc = new TopKRows(qs.length, k);
  let A = new Float32Array(qs.length * dim);
  qs.forEach((q, r) => A.set(v.subarray(q * dim, (q + 1) * dim), r * dim));
  if (t) A = await t.apply(A, qs.length);
  const ta = new ort.Tensor('float32', A, [qs.length, tdim]);
  const B = 8192;
  for (let c0 = 0; c0 < n; c0 += B) {
    const cols = Math.min(B, n - c0);
    const block = v.subarray(c0 * dim, (c0 + cols) * dim);
    const tb = new ort.Tensor('float32', t ? await t.apply(block, cols) : block, [cols, tdim]);
    const out = await session.run({ A: ta, B: tb });
    const S = out.S.data as Float32Array;
    for (let r = 0; r < qs.length; r++) {
      const floor = acc.worst;
      for (let c = 0; c < cols; c++) {
        const s = S[r * cols + c];
        if (s >= floor[r] && c0 + c !== qs[r]) acc.offer(r, c0 + c, s);
      }
    }
  }
  await session.release();
  return acc;
}

/** float16 rounding (what a float16 column holds). */
function float16Transform(dim: number): Transform {
  const f16 = (globalThis as { Float16Array?: Float32ArrayConstructor }).Float16Array;
  return { name: 'float16', dim, bytes: dim * 2, apply: async (rows) => (f16 ? new Float32Array(new f16(rows)) : rows.map(toHalfPrecision)) };
}

/**
 * float32 → the nearest float16 value, as a float32: Veltkamp splitting keeps 11 significant bits
 * (round to nearest); below float16's normal range (2⁻¹⁴) the fixed subnormal step is used.
 */
function toHalfPrecision(x: number): number {
  if (Math.abs(x) < 2 ** -14) return Math.round(x * 2 ** 24) / 2 ** 24;
  const c = Math.fround(x * 8193); // 2^13 + 1: 24 - 11 bits dropped
  return Math.fround(c - Math.fround(c - x));
}

/**
 * Gaussian random projection to d dims, then L2-normalised (Johnson–Lindenstrauss; no training
 * data needed, so every shard can apply it alone). PCA would keep more of the variance.
 */
function projectionTransform(dim: number, d: number, half: boolean): Transform {
  // Rᵀ, d × dim, so that the GEMM session's rows · Rᵀᵀ = rows · R.
  const Rt = new Float32Array(d * dim);
  for (let i = 0; i < Rt.length; i++) Rt[i] = gauss();
  const tR = new ort.Tensor('float32', Rt, [d, dim]);
  const f16 = half ? float16Transform(d) : null;
  let session: Awaited<ReturnType<typeof createGemmSession>> | null = null;
  return {
    name: `random projection to ${d}${half ? ' + float16' : ''}`,
    dim: d,
    bytes: d * (half ? 2 : 4),
    apply: async (rows, count) => {
      session ??= await createGemmSession(dim, cpus().length);
      const out = (await session.run({ A: new ort.Tensor('float32', rows, [count, dim]), B: tR })).S.data as Float32Array;
      for (let i = 0; i < count; i++) {
        const o = out.subarray(i * d, (i + 1) * d);
        let s = 0;
        for (let b = 0; b < d; b++) s += o[b] * o[b];
        const inv = 1 / Math.sqrt(s || 1);
        for (let b = 0; b < d; b++) o[b] *= inv;
      }
      return f16 ? f16.apply(out, count) : out;
    },
  };
}

/**
 * `--storage-cost`: recall of the exact top-k and of the pairs ≥ threshold when the vectors are
 * stored smaller, against float32 exact search, on the same sampled queries (no index involved).
 */
async function storageCost(v: Float32Array, n: number, dim: number, planted: [number, number][]) {
  // Q random queries (recall@k) plus up to Q planted duplicates' later rows (the pairs ≥ threshold).
  const qs = Array.from({ length: Q }, () => Math.floor(rnd() * n));
  for (const [, j] of planted.slice(0, Q)) qs.push(j);
  let t0 = performance.now();
  const ref = await exactForQueries(v, n, dim, K, qs);
  console.log(`float32 (${dim * 4} B/vector): exact top-${K} of ${qs.length} queries (${Q} random, ${qs.length - Q} planted duplicates) in ${secs(t0).toFixed(1)} s (reference)`);
  const variants = [float16Transform(dim), ...[640, 320, 160].map((d) => projectionTransform(dim, d, false)), projectionTransform(dim, 320, true)];
  for (const t of variants) {
    t0 = performance.now();
    const got = await exactForQueries(v, n, dim, K, qs, t);
    let hit = 0;
    let tot = 0;
    let pHit = 0;
    let pTot = 0;
    for (let r = 0; r < qs.length; r++) {
      const mine = new Set(Array.from(got.indices.subarray(r * K, (r + 1) * K)));
      for (let j = 0; j < K; j++) {
        const x = ref.indices[r * K + j];
        if (x < 0) continue;
        if (r < Q) (tot++, mine.has(x) && hit++);
        if (ref.scores[r * K + j] >= THRESHOLD) (pTot++, mine.has(x) && pHit++);
      }
    }
    console.log(`${t.name} (${t.bytes} B/vector, ${((100 * t.bytes) / (dim * 4)).toFixed(1)} %): recall@${K} ${(hit / tot).toFixed(4)}, pairs ≥ ${THRESHOLD} ${pTot ? (pHit / pTot).toFixed(4) : 'n/a'} (${pHit}/${pTot}); ${secs(t0).toFixed(1)} s`);
  }
}

async function main() {
  console.log(`scale bench: n=${N.toLocaleString('en-US')} k=${K} queries=${Q} cpus=${cpus().length} (${cpus()[0]?.model}) load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const baseDir = arg('base', '') || defaultBase();
  const base = loadBase(baseDir);
  let t0 = performance.now();
  const { v: full, planted } = generate(base.v, base.m, base.dim, N);
  let dim = base.dim;
  let v = full;
  const reduce = Number(arg('dim-reduce', '0'));
  if (reduce > 0 && reduce < dim) {
    // Truncation after the model's pooling is a crude reduction; it measures what fewer bytes cost in recall.
    const r = new Float32Array(N * reduce);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let d = 0; d < reduce; d++) s += full[i * dim + d] ** 2;
      const inv = 1 / Math.sqrt(s || 1);
      for (let d = 0; d < reduce; d++) r[i * reduce + d] = full[i * dim + d] * inv;
    }
    v = r;
  }
  if (flag('float16')) {
    // Round every value through float16 (what a float16 store would hold).
    const h = new Float32Array(v.length);
    const f16 = (globalThis as { Float16Array?: Float32ArrayConstructor }).Float16Array;
    if (f16) h.set(new f16(v));
    else for (let i = 0; i < v.length; i++) h[i] = toHalfPrecision(v[i]);
    v = h;
  }
  const searchDim = reduce > 0 && reduce < dim ? reduce : dim;
  console.log(`generated ${N.toLocaleString('en-US')} × ${dim} from ${base.m} real base vectors (${baseDir}) in ${secs(t0).toFixed(1)} s; planted pairs ${planted.length}${searchDim !== dim ? `; searching ${searchDim} dims` : ''}${flag('float16') ? '; float16-rounded' : ''}`);
  dim = searchDim;
  const rss0 = process.memoryUsage().rss;
  if (flag('storage-cost')) return storageCost(v, N, dim, planted);

  if (arg('search', 'lancedb') === 'hnsw') return hnswRun(v, N, dim, planted, rss0);

  const params = {
    index: arg('index', 'ivf_pq') as LanceIndexType,
    nprobes: Number(arg('nprobes', '20')),
    candidates: Number(arg('candidates', '40')),
    partitions: Number(arg('partitions', '0')),
    subVectors: Number(arg('sub-vectors', '0')),
    ef: Number(arg('ef', '64')),
    maxIterations: Number(arg('max-iterations', '0')),
    sampleRate: Number(arg('sample-rate', '0')),
  };
  // --keep <dir>: the table and index stay there and a later run with the same seed, n and build
  // parameters reuses them (query settings can then be compared without rebuilding).
  const keep = arg('keep', '');
  const dir = keep || mkdtempSync(join(tmpdir(), 'neardup-scale-'));
  const backend = new LanceDbBackend(params, { uri: dir, table: 'vectors', reuse: !!keep });
  t0 = performance.now();
  const db = await openStore(dir);
  await backend.indexedTable(db, v, N, dim);
  const tBuild = secs(t0);
  console.log(`lancedb ${JSON.stringify(backend.params)}: table + index built in ${tBuild.toFixed(1)} s (load ${loadavg()[0].toFixed(1)}; RSS ${(process.memoryUsage().rss / GiB).toFixed(2)} GiB)`);

  const M = Math.min(N, Number(arg('ann-queries', String(N))));
  const queryBatch = Number(arg('query-batch', '64'));
  const concurrency = Number(arg('concurrency', '4'));
  if (flag('compare-batches')) {
    // Same 512 queries, same index: what the multi-vector batch and the calls in flight buy.
    const m = Math.min(512, N);
    for (const [b, c] of [[1, 1], [32, 1], [256, 1], [256, 2], [64, 4], [512, 2]]) {
      const be = new LanceDbBackend(params, { uri: dir, table: 'vectors', reuse: true, queryBatch: b, concurrency: c });
      const t = performance.now();
      await be.search(v, N, dim, K, { queryRange: [0, m] });
      console.log(`  batch ${b} × ${c} in flight: ${((performance.now() - t) / m).toFixed(2)} ms/query (load ${loadavg()[0].toFixed(1)})`);
    }
  }

  // Exact for a sample of queries (among the ANN's query rows), against all N, in the same run.
  const qs = Array.from({ length: Q }, () => Math.floor(rnd() * M));
  t0 = performance.now();
  const ex = await exactForQueries(v, N, dim, K, qs);
  const tExact = secs(t0);
  const perQueryExact = tExact / Q;
  console.log(`exact top-${K} for ${Q} sampled queries vs all ${N.toLocaleString('en-US')}: ${tExact.toFixed(1)} s (${(1e3 * perQueryExact).toFixed(2)} ms/query; all ${N.toLocaleString('en-US')} queries ≈ ${((perQueryExact * N) / 60).toFixed(1)} min, extrapolated, one-sided; load ${loadavg()[0].toFixed(1)})`);

  // Query-time settings to compare on the same index (--sweep nprobes:candidates[:ef],…); the
  // first is the one given by --nprobes/--candidates/--ef.
  const settings: { nprobes: number; candidates: number; ef: number }[] = [{ nprobes: params.nprobes, candidates: params.candidates, ef: params.ef }];
  for (const s of arg('sweep', '').split(',').filter(Boolean)) {
    const [np, c, ef] = s.split(':').map(Number);
    settings.push({ nprobes: np, candidates: c, ef: ef || params.ef });
  }
  for (const st of settings) {
    const ps = { ...params, ...st };
    // All-pairs with the index (reuses the table just built), or its first M query rows.
    const reuse = new LanceDbBackend(ps, { uri: dir, table: 'vectors', reuse: true, queryBatch, concurrency });
    t0 = performance.now();
    let lastPrint = t0;
    const ann = await reuse.search(v, N, dim, K, {
      queryRange: [0, M],
      onProgress: (d, t) => {
        if (performance.now() - lastPrint > 60000) {
          lastPrint = performance.now();
          console.log(`  ann ${d}/${t} batches, ${secs(t0).toFixed(0)} s, ETA ${((secs(t0) * (t - d)) / d).toFixed(0)} s (load ${loadavg()[0].toFixed(1)})`);
        }
      },
    });
    const tAnnRun = secs(t0);
    const tAnn = (tAnnRun * N) / M;
    console.log(`-- ${JSON.stringify(reuse.params)}`);
    if (M < N) console.log(`ann top-${K} for query rows 0..${M} (batch ${queryBatch} × ${concurrency}): ${tAnnRun.toFixed(1)} s (${((1e3 * tAnnRun) / M).toFixed(3)} ms/query); all ${N.toLocaleString('en-US')} queries ≈ ${tAnn.toFixed(0)} s (extrapolated; load ${loadavg()[0].toFixed(1)})`);
    else console.log(`ann all-pairs top-${K} (batch ${queryBatch} × ${concurrency}): ${tAnn.toFixed(1)} s (${((1e3 * tAnn) / N).toFixed(3)} ms/query); with build ${(tAnn + tBuild).toFixed(1)} s (load ${loadavg()[0].toFixed(1)})`);
    console.log(`ratio per query ann / exact: ${(tAnn / N / perQueryExact).toFixed(4)}`);

    report(ann, M, qs, ex, v, dim, planted, rss0);
  }
  console.log(`goals (1M, 2 cores): ≤ 600 s all-pairs, recall@10 ≥ 0.95, pair recall ≥ 0.99, extra ≤ 4 GiB`);
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

/** Recall figures of one all-pairs result against the exact sample, the planted pairs and memory. */
function report(ann: Neighbors, M: number, qs: number[], ex: TopKRows, v: Float32Array, dim: number, planted: [number, number][], rss0: number) {
  let hit = 0;
  let tot = 0;
  let pairHit = 0;
  let pairTot = 0;
  const missed: string[] = [];
  qs.forEach((q, r) => {
    const mine = new Set(Array.from(ann.indices.subarray(q * K, (q + 1) * K)));
    for (let j = 0; j < K; j++) {
      const x = ex.indices[r * K + j];
      if (x < 0) continue;
      tot++;
      if (mine.has(x)) hit++;
      if (ex.scores[r * K + j] >= THRESHOLD) {
        pairTot++;
        if (mine.has(x)) pairHit++;
        else missed.push(`${q}–${x} (cosine ${ex.scores[r * K + j].toFixed(4)}, exact rank ${j + 1})`);
      }
    }
  });
  const has = (i: number, j: number) => i < M && ann.indices.subarray(i * K, (i + 1) * K).includes(j);
  let pl = 0;
  let plTot = 0;
  for (const [i, j] of planted) {
    if (i >= M && j >= M) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] * v[j * dim + d];
    if (s < THRESHOLD) continue;
    plTot++;
    if (has(i, j) || has(j, i)) pl++;
  }
  const extra = vmHwm() - rss0;
  console.log(`recall@${K} vs exact (${qs.length} queries): ${(hit / tot).toFixed(4)}`);
  console.log(`recall of exact pairs ≥ ${THRESHOLD} on the sample: ${pairTot ? (pairHit / pairTot).toFixed(4) : 'n/a'} (${pairHit}/${pairTot})${missed.length ? `; missed: ${missed.slice(0, 5).join(', ')}` : ''}`);
  console.log(`recall of planted pairs ≥ ${THRESHOLD}: ${(pl / Math.max(1, plTot)).toFixed(4)} (${pl}/${plTot})`);
  console.log(`peak extra memory: ${(extra / GiB).toFixed(2)} GiB (VmHWM ${(vmHwm() / GiB).toFixed(2)} GiB, RSS after generating ${(rss0 / GiB).toFixed(2)} GiB); load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

/**
 * --search hnsw: USearch graph built once (--quantization, --connectivity, --expansion-add,
 * --expansion-search, --pca-dims (0 = full vectors), --pca-sample), then all-pairs (or query rows [0, --ann-queries)) for --candidates and each
 * --sweep value of candidates, each re-ranked exactly; the exact sample is computed after the ANN
 * runs so its memory does not overlap the graph's build.
 */
async function hnswRun(v: Float32Array, n: number, dim: number, planted: [number, number][], rss0: number) {
  const base = {
    quantization: arg('quantization', HNSW_DEFAULTS.quantization) as HnswQuantization,
    connectivity: Number(arg('connectivity', String(HNSW_DEFAULTS.connectivity))),
    expansionAdd: Number(arg('expansion-add', String(HNSW_DEFAULTS.expansionAdd))),
    expansionSearch: Number(arg('expansion-search', String(HNSW_DEFAULTS.expansionSearch))),
    candidates: Number(arg('candidates', String(HNSW_DEFAULTS.candidates))),
    pcaDims: Number(arg('pca-dims', String(HNSW_DEFAULTS.pcaDims))),
    pcaSample: Number(arg('pca-sample', String(HNSW_DEFAULTS.pcaSample))),
  };
  const M = Math.min(n, Number(arg('ann-queries', String(n))));
  const be = new HnswBackend(base);
  let t0 = performance.now();
  let last = t0;
  const progress = (what: string) => (d: number, t: number) => {
    if (performance.now() - last > 60000) {
      last = performance.now();
      console.log(`  ${what} ${d}/${t}, ${secs(t0).toFixed(0)} s, ETA ${((secs(t0) * (t - d)) / Math.max(1, d)).toFixed(0)} s (load ${loadavg()[0].toFixed(1)})`);
    }
  };
  let c0 = process.cpuUsage();
  const cpuSecs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
  const g = await be.prepare(v, n, dim, { onProgress: progress('project') });
  const tPca = secs(t0);
  const cPca = cpuSecs(process.cpuUsage(c0));
  if (base.pcaDims > 0) console.log(`pca ${dim} -> ${base.pcaDims} dims (fit on ${g.projection?.sampleRows} rows, keeps ${(100 * be.stats.pcaKept).toFixed(1)} % of the second moment) + projection of all rows: ${tPca.toFixed(1)} s, ${cPca.toFixed(1)} CPU-s`);
  t0 = performance.now();
  c0 = process.cpuUsage();
  const ix = await be.build(g, n, { onProgress: progress('insert') });
  const tBuild = secs(t0) + tPca;
  // CPU seconds of this process (all threads): under a shared machine's load, the wall time
  // measures the other jobs as much as this one; the CPU time does not.
  const cBuild = cpuSecs(process.cpuUsage(c0)) + cPca;
  console.log(`hnsw build CPU (with pca): ${cBuild.toFixed(1)} CPU-s (${((1e3 * cBuild) / n).toFixed(3)} CPU-ms per row; ÷ 2 cores = ${(cBuild / 2).toFixed(1)} s on an idle 2-core machine)`);
  console.log(`hnsw build (usearch ${base.quantization}, M ${base.connectivity}, ef_add ${base.expansionAdd}, ${g.dim} dims, threads ${cpus().length}): ${tBuild.toFixed(1)} s with pca (load ${loadavg()[0].toFixed(1)}; RSS ${(process.memoryUsage().rss / GiB).toFixed(2)} GiB; extra so far ${((vmHwm() - rss0) / GiB).toFixed(2)} GiB)`);
  const cands = [base.candidates, ...arg('sweep', '').split(',').filter(Boolean).map(Number)];
  const results: { params: string; ann: Neighbors; t: number; c: number }[] = [];
  for (const c of cands) {
    const b2 = new HnswBackend({ ...base, candidates: c });
    t0 = performance.now();
    last = t0;
    c0 = process.cpuUsage();
    const ann = await b2.query(ix, g, v, n, dim, K, { queryRange: [0, M], onProgress: progress('search') });
    const t = secs(t0);
    const cq = cpuSecs(process.cpuUsage(c0));
    console.log(`   unreachable rows (not found by their own vector) in the main graph, then each rescue graph: ${b2.stats.unreachable.join(' -> ')}; exact rescue of ${b2.stats.exactRescued}; unrescued ${b2.stats.unrescued}`);
    console.log(`   search + exact re-rank + rescue CPU: ${cq.toFixed(1)} CPU-s (${((1e3 * cq) / M).toFixed(3)} CPU-ms per query; all ${n.toLocaleString('en-US')} ÷ 2 cores ≈ ${((cq * n) / M / 2).toFixed(0)} s; with build ≈ ${((cq * n) / M / 2 + cBuild / 2).toFixed(0)} s on an idle 2-core machine)`);
    console.log(`-- hnsw ${JSON.stringify(b2.params)}: top-${K} for ${M === n ? 'all' : `query rows 0..${M} of`} ${n.toLocaleString('en-US')}: ${t.toFixed(1)} s (${((1e3 * t) / M).toFixed(3)} ms/query)${M < n ? `; all ≈ ${((t * n) / M).toFixed(0)} s extrapolated` : ''}; with build ${(tBuild + (t * n) / M).toFixed(1)} s (load ${loadavg()[0].toFixed(1)})`);
    results.push({ params: JSON.stringify(b2.params), ann, t: (t * n) / M, c: cq / M });
  }
  console.log(`peak extra memory through build + search: ${((vmHwm() - rss0) / GiB).toFixed(2)} GiB`);
  const qs = Array.from({ length: Q }, () => Math.floor(rnd() * M));
  t0 = performance.now();
  c0 = process.cpuUsage();
  const ex = await exactForQueries(v, n, dim, K, qs);
  const perQueryExact = secs(t0) / Q;
  const cEx = cpuSecs(process.cpuUsage(c0));
  console.log(`exact CPU: ${cEx.toFixed(1)} CPU-s (${((1e3 * cEx) / Q).toFixed(2)} CPU-ms per query)`);
  console.log(`exact top-${K} for ${Q} sampled queries vs all ${n.toLocaleString('en-US')}: ${secs(t0).toFixed(1)} s (${(1e3 * perQueryExact).toFixed(2)} ms/query; all ≈ ${((perQueryExact * n) / 60).toFixed(1)} min, extrapolated, one-sided; load ${loadavg()[0].toFixed(1)})`);
  for (const r of results) {
    console.log(`-- ${r.params}: ratio per query hnsw / exact: wall ${(r.t / n / perQueryExact).toFixed(4)}, CPU ${(r.c / (cEx / Q)).toFixed(4)}`);
    report(r.ann, M, qs, ex, v, dim, planted, rss0);
  }
  console.log(`goals (1M, 2 cores): ≤ 600 s all-pairs, recall@10 ≥ 0.95, pair recall ≥ 0.99, extra ≤ 4 GiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
