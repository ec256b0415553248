/**
 * Speed of the similarity stage: exact all-pairs top-k by cosine, ours (onnxruntime GEMM tiles,
 * src/similarity) against numpy's blocked matmul + top-1 on the same data in the same run, plus
 * the article's full-matrix scikit-learn method at the sizes where it fits.
 *
 *   npm run bench -- knn                       70,000 x 1280, k = 10 (a few minutes)
 *   node --import tsx bench/knn.bench.ts --n 20000 --dim 256   smaller (npm run bench does not forward options)
 *   options: --k 10  --numpy-k 1  --rounds 1  --parallelism gemm|tiles  --sklearn 5000,10000,20000 (or none)  --no-numpy
 *            --vectors <file.f32 | embedding cache dir>  (real embeddings instead of random ones)
 *
 * Each contender runs in its own process, so its peak RSS is its own: we report the RSS right
 * before the search and the process's peak, and "extra" = peak - before.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { loadavg, tmpdir, cpus, totalmem, freemem } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

function rssNow(): number {
  const statm = readFileSync('/proc/self/statm', 'utf8').split(' ');
  return Number(statm[1]) * 4096;
}

/** Seeded standard normals (mulberry32 + Box-Muller), rows L2-normalised. */
function generate(n: number, dim: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const th = 2 * Math.PI * u();
    v[i] = r * Math.cos(th);
    if (i + 1 < v.length) v[i + 1] = r * Math.sin(th);
  }
  normalise(v, n, dim);
  return v;
}

function normalise(v: Float32Array, n: number, dim: number) {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) v[i * dim + d] *= inv;
  }
}

/**
 * Real vectors: a raw float32 file (rows of `dim`), or an embedding cache directory of
 * `chunk-*.bin` files (src/embed/cache.ts format: `NDEMB001`, uint32 dim, uint32 count, keys, vectors).
 */
function loadVectors(path: string, dim: number, n: number): { v: Float32Array; n: number; dim: number } {
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => /^chunk-.*\.bin$/.test(f)).sort();
    const parts: Float32Array[] = [];
    let total = 0;
    let d = 0;
    for (const f of files) {
      const buf = readFileSync(join(path, f));
      if (buf.subarray(0, 8).toString('latin1') !== 'NDEMB001') continue;
      d = buf.readUInt32LE(8);
      const count = buf.readUInt32LE(12);
      const off = 16 + count * 16;
      const vec = new Float32Array(count * d);
      new Uint8Array(vec.buffer).set(buf.subarray(off, off + count * d * 4));
      parts.push(vec);
      total += count;
      if (total >= n) break;
    }
    const m = Math.min(n, total);
    const v = new Float32Array(m * d);
    let o = 0;
    for (const p of parts) {
      const take = Math.min(p.length, v.length - o);
      v.set(p.subarray(0, take), o);
      o += take;
    }
    normalise(v, m, d);
    return { v, n: m, dim: d };
  }
  const bytes = Math.min(statSync(path).size, n * dim * 4);
  const v = new Float32Array(Math.floor(bytes / 4 / dim) * dim);
  const fd = openSync(path, 'r');
  readSync(fd, new Uint8Array(v.buffer), 0, v.byteLength, 0);
  closeSync(fd);
  normalise(v, v.length / dim, dim);
  return { v, n: v.length / dim, dim };
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const gib = (b: number) => `${(b / GiB).toFixed(2)} GiB`;

/** Child mode: run our topK on the file and print JSON (own process = own peak RSS). */
async function child() {
  const file = arg('file', '');
  const n = Number(arg('n', '0'));
  const dim = Number(arg('dim', '0'));
  const k = Number(arg('k', '10'));
  const v = new Float32Array(n * dim);
  const fd = openSync(file, 'r');
  readSync(fd, new Uint8Array(v.buffer), 0, v.byteLength, 0);
  closeSync(fd);
  // Load the compiled library, as a user would.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { topK } = require(join(root, 'dist', 'similarity', 'index.js')) as typeof import('../src/similarity');
  const rss0 = rssNow();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const parallelism = arg('parallelism', '') as 'tiles' | 'gemm' | '';
  const nb = await topK(v, n, dim, k, { backend: 'onnx', ...(parallelism ? { parallelism } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const top1 = new Int32Array(n);
  for (let i = 0; i < n; i++) top1[i] = nb.indices[i * k];
  writeFileSync(arg('out', '/dev/null'), new Uint8Array(top1.buffer));
  console.log(JSON.stringify({ seconds, cpu_seconds: cpuSeconds, rss_before: rss0, max_rss: maxRss, k }));
}

function runJson(cmd: string, args: string[], env?: NodeJS.ProcessEnv): any {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { error: `exit ${r.status} ${r.signal ?? ''} ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  }
}

async function main() {
  if (arg('child', '') === 'ours') return child();
  let n = Number(arg('n', '70000'));
  let dim = Number(arg('dim', '1280'));
  const k = Number(arg('k', '10'));
  const numpyK = Number(arg('numpy-k', '1'));
  const sklearnSizes = arg('sklearn', '5000,10000,20000') === 'none' ? [] : arg('sklearn', '5000,10000,20000').split(',').map(Number);
  const python = existsSync(join(root, '.venv/bin/python')) ? join(root, '.venv/bin/python') : 'python3';

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${gib(totalmem())} RAM, node ${process.version}`);
  let v: Float32Array;
  let source: string;
  const vectorsPath = arg('vectors', '');
  if (vectorsPath) {
    const got = loadVectors(vectorsPath, dim, n);
    ({ v, n, dim } = got);
    source = `real vectors from ${vectorsPath}`;
  } else {
    v = generate(n, dim, 20240601);
    source = 'seeded Gaussian, L2-normalised (seed 20240601)';
  }
  console.log(`data: ${n} x ${dim} float32 (${gib(v.byteLength)}), ${source}; k = ${k}`);
  const dir = mkdtempSync(join(tmpdir(), 'neardup-knn-bench-'));
  const file = join(dir, 'vectors.f32');
  writeFileSync(file, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  try {
    // --- ours and numpy, alternated for --rounds rounds (the machine is shared: the best round
    // of each is the least disturbed one; the load average is printed around every run).
    const rounds = Math.max(1, Number(arg('rounds', '1')));
    const oursRuns: any[] = [];
    const npRuns: any[] = [];
    let npMissing = flag('no-numpy');
    for (let round = 1; round <= rounds; round++) {
      console.log(`\n[ours, round ${round}] neardup topK (onnxruntime GEMM tiles, upper triangle, k=${k}); load avg before: ${load()}`);
      const ours = runJson(process.execPath, ['--import', 'tsx', __filename, '--child', 'ours', '--file', file, '--n', `${n}`, '--dim', `${dim}`, '--k', `${k}`, '--out', join(dir, 'ours.i32'), '--parallelism', arg('parallelism', '')]);
      if (ours.error) throw new Error(`ours failed: ${ours.error}`);
      console.log(`  time ${ours.seconds.toFixed(2)} s (CPU ${ours.cpu_seconds.toFixed(1)} s), peak RSS ${gib(ours.max_rss)}, extra over the loaded data ${gib(ours.max_rss - ours.rss_before)}; load avg after: ${load()}`);
      oursRuns.push(ours);
      if (npMissing) continue;
      console.log(`\n[numpy, round ${round}] blocked matmul, 4096 rows a block, top-${numpyK}; load avg before: ${load()}`);
      const np = runJson(python, [join(root, 'bench/peers/knn_numpy.py'), '--file', file, '--n', `${n}`, '--dim', `${dim}`, '--k', `${numpyK}`, '--out', join(dir, 'numpy.i32')]);
      if (np.error) {
        console.log(`  numpy peer did not run (${np.error}); install with: .venv/bin/pip install -r scripts/bench-requirements.txt`);
        npMissing = true;
        continue;
      }
      console.log(`  time ${np.seconds.toFixed(2)} s (CPU ${np.cpu_seconds.toFixed(1)} s), peak RSS ${gib(np.max_rss)}, extra over the loaded data ${gib(np.max_rss - np.rss_before)} (numpy ${np.numpy}); load avg after: ${load()}`);
      npRuns.push(np);
      if (round === 1) {
        // Same answer? Top-1 may legitimately differ only on near-ties (float summation order).
        const ints = (f: string) => {
          const b = readFileSync(f);
          return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        };
        const a = ints(join(dir, 'ours.i32'));
        const b = ints(join(dir, 'numpy.i32'));
        let same = 0;
        let tieOk = 0;
        for (let i = 0; i < n; i++) {
          if (a[i] === b[i]) same++;
          else {
            let sa = 0;
            let sb = 0;
            for (let d = 0; d < dim; d++) {
              sa += v[i * dim + d] * v[a[i] * dim + d];
              sb += v[i * dim + d] * v[b[i] * dim + d];
            }
            if (Math.abs(sa - sb) < 1e-5) tieOk++;
          }
        }
        console.log(`  top-1 agreement with numpy: ${same}/${n} identical, ${tieOk} more are near-ties (|Δ| < 1e-5), ${n - same - tieOk} real differences`);
      }
    }
    const best = (runs: any[]) => runs.reduce((x, y) => (y.seconds < x.seconds ? y : x));
    const ours = best(oursRuns);
    const np = npRuns.length ? best(npRuns) : null;

    // --- the article's method
    const rows: string[] = [];
    for (const m of sklearnSizes) {
      if (m > n) continue;
      const predicted = 20 * m * m;
      const avail = Number((readFileSync('/proc/meminfo', 'utf8').match(/MemAvailable:\s+(\d+)/) ?? [])[1] ?? 0) * 1024 || freemem();
      if (predicted + 2 * GiB > avail * 0.6) {
        rows.push(`  ${m}: skipped: needs about ${gib(predicted)} (20·n² bytes) and only ${gib(avail)} is available on this shared machine`);
        continue;
      }
      const cap = Math.ceil((predicted + 4 * GiB) / 1024); // KiB, ulimit -v: fail with MemoryError instead of swapping the machine
      console.log(`\n[sklearn] cosine_similarity full matrix, n=${m} (ulimit -v ${gib(cap * 1024)}); load avg before: ${load()}`);
      const r = runJson('bash', ['-c', `ulimit -v ${cap} && exec "$0" "$@"`, python, join(root, 'bench/peers/sklearn_full.py'), '--file', file, '--n', `${m}`, '--dim', `${dim}`]);
      const line = r.error || !r.ok
        ? `  ${m}: failed (${r.error})`
        : `  ${m}: ${r.seconds.toFixed(2)} s, peak RSS ${gib(r.max_rss)} (extra ${gib(r.max_rss - r.rss_before)}; predicted 20·n² = ${gib(predicted)})`;
      console.log(line);
      rows.push(line);
    }

    console.log(`\n=== summary (best of ${rounds} round${rounds > 1 ? 's' : ''}) ===`);
    console.log(`ours (k=${k}):   ${ours.seconds.toFixed(2)} s wall, ${ours.cpu_seconds.toFixed(1)} s CPU, extra memory ${gib(ours.max_rss - ours.rss_before)}`);
    if (np) {
      console.log(`numpy (top-${numpyK}): ${np.seconds.toFixed(2)} s wall, ${np.cpu_seconds.toFixed(1)} s CPU, extra memory ${gib(np.max_rss - np.rss_before)}`);
      console.log(`ratio ours/numpy: ${(ours.seconds / np.seconds).toFixed(3)} wall time (target <= 1), ${(ours.cpu_seconds / np.cpu_seconds).toFixed(3)} CPU time`);
    }
    if (sklearnSizes.length) {
      console.log('sklearn full matrix (the article):');
      for (const r of rows) console.log(r);
      for (const m of [40000, 60000, 70000]) {
        console.log(`  ${m}: predicted ${gib(20 * m * m)} (float32 matrix alone ${gib(4 * m * m)}) vs ${gib(totalmem())} RAM: ${20 * m * m > totalmem() ? 'does not fit' : 'fits'}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
