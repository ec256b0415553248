/**
 * The approximate backends' exact re-rank, per query: one onnxruntime batched MatMul per 256
 * queries (src/similarity/backends/rerank.ts, 1 and 2 intra-op threads) against the JavaScript
 * float64 dot loop it replaced (the baseline, same run). Rows: `--n` random 1280-d float32 rows,
 * `--queries` queries × `--width` random candidate rows each (defaults 100,000 / 2,048 / 81: the
 * HNSW default of 80 candidates + the row itself). Prints CPU-ms and wall-ms per query and the
 * CPU ratio to the baseline. Run: `nice -n 19 node --import tsx bench/rerank.bench.ts`.
 */
import { cpus, loadavg } from 'node:os';
import { BatchDot } from '../src/similarity/backends/rerank';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const n = arg('n', 100000);
const Qn = arg('queries', 2048);
const W = arg('width', 81);
const dim = 1280;
const B = 256;

let seed = 13;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed / 2 ** 32);
const v = new Float32Array(n * dim);
for (let i = 0; i < v.length; i++) v[i] = rnd() - 0.5;
const cands = Int32Array.from({ length: Qn * W }, () => Math.floor(rnd() * n));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

function jsDot(oq: number, oj: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[oq + d] * v[oj + d];
  return s;
}

async function main() {
  console.log(`rerank bench: ${Qn} queries × ${W} candidates of ${n.toLocaleString('en-US')} × ${dim}; ${cpus()[0]?.model}, ${cpus().length} cpus, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  let c0 = cpuMs();
  let t0 = performance.now();
  let check = 0;
  for (let q = 0; q < Qn; q++) for (let t = 0; t < W; t++) check += jsDot(q * dim, cands[q * W + t] * dim);
  const base = (cpuMs() - c0) / Qn;
  console.log(`JS float64 dot loop (baseline): ${base.toFixed(3)} CPU-ms/query, ${((performance.now() - t0) / Qn).toFixed(3)} wall-ms/query`);
  for (const threads of [1, 2]) {
    const bd = new BatchDot(dim, B, W, threads);
    await bd.scores(v, Int32Array.from({ length: B }, (_, i) => i), B, cands.subarray(0, B * W)); // session creation, not timed
    c0 = cpuMs();
    t0 = performance.now();
    let sum = 0;
    for (let a = 0; a < Qn; a += B) {
      const count = Math.min(B, Qn - a);
      const sc = await bd.scores(v, Int32Array.from({ length: count }, (_, i) => a + i), count, cands.subarray(a * W, (a + count) * W));
      for (let i = 0; i < count * W; i++) sum += sc[i];
    }
    const c = (cpuMs() - c0) / Qn;
    console.log(`batched MatMul, ${threads} thread(s): ${c.toFixed(3)} CPU-ms/query, ${((performance.now() - t0) / Qn).toFixed(3)} wall-ms/query; CPU ratio to the baseline ${(c / base).toFixed(3)}; Σ scores differ by ${Math.abs(sum - check).toExponential(1)}`);
    await bd.release();
  }
}
main();
