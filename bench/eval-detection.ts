/**
 * `npm run eval`: detection quality of neardup on a benchmark of real photographs.
 *
 * 1. builds (or reuses) the benchmark in out/eval-bench/ (bench/eval/build.ts);
 * 2. ablation: every quality idea (bench/eval/ablation.ts) swept over thresholds, best row each;
 * 3. the product path (embedDataset → topK → groupAtThreshold) at DEFAULT_THRESHOLD, with the
 *    options neardup uses by default, swept as well;
 *
 * 4. a second domain: the bundled Fashion-MNIST sample with its known near-duplicate pairs;
 * and writes everything to out/eval/report.json.
 *
 * Flags: --rebuild (rebuild the benchmark), --no-ablation (skip step 2), --no-sample (skip step 4),
 * --tiny (5. the CIFAR-like proxy: the benchmark at 32×32 colour, per embedding setting),
 * --dequantize (steps 3 and 4 with the default model's float-activation form, report in out/eval-dequantized).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenchmark, type BenchManifest } from './eval/build';
import { extractFeatures } from './eval/features';
import { METHODS } from './eval/ablation';
import { evaluateAt, pickThreshold, thresholdSweep, type Truth } from './eval/metrics';
import { evaluateProduct } from './eval/product';
import { HEADER, row } from './eval/format';
import { sampleCheck } from './eval/sample-check';
import { tinyColourCheck } from './eval/tiny-colour';

const ROOT = join(__dirname, '..');
const BENCH = join(ROOT, 'out', 'eval-bench');
const DEQUANTIZE = process.argv.includes('--dequantize');
const OUT = join(ROOT, 'out', DEQUANTIZE ? 'eval-dequantized' : 'eval');
const MODEL = DEQUANTIZE ? { dequantize: true } : undefined;

export function truthOf(m: BenchManifest): Truth {
  const groups = new Map<string, number>();
  const n = m.rows.length;
  const group = new Int32Array(n);
  const original = new Int32Array(n).fill(-1);
  const index = new Map<string, number>();
  m.rows.forEach((r, i) => {
    if (!groups.has(r.group)) groups.set(r.group, groups.size);
    group[i] = groups.get(r.group)!;
    if (r.role === 'original') index.set(r.group, i);
  });
  m.rows.forEach((r, i) => {
    if (r.role === 'copy') original[i] = index.get(r.group)!;
  });
  return { group, transform: m.rows.map((r) => r.transform), original };
}

function writeJson(path: string, data: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(data, null, 1));
  renameSync(tmp, path);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const t0 = Date.now();
  const manifest = await buildBenchmark(BENCH, { force: args.includes('--rebuild'), log: () => {} });
  const files = manifest.rows.map((r) => join(BENCH, 'images', r.file));
  const truth = truthOf(manifest);
  const count = (role: string) => manifest.rows.filter((r) => r.role === role).length;
  console.log(`benchmark: ${files.length} images = ${count('original')} originals × (1 + ${manifest.transforms.length} copies) + ${count('distractor')} distractors (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  mkdirSync(OUT, { recursive: true });
  const sweep = thresholdSweep(0.5, 0.99, 0.01);
  // Sections skipped by a flag keep their values from the previous report.
  const previous = existsSync(join(OUT, 'report.json')) ? JSON.parse(readFileSync(join(OUT, 'report.json'), 'utf8')) : {};
  const report: Record<string, unknown> = {
    ...previous,
    benchmark: { images: files.length, originals: count('original'), copies: count('copy'), distractors: count('distractor'), transforms: manifest.transforms },
  };

  if (!args.includes('--no-ablation')) {
    const feats = await extractFeatures(files, OUT, console.log);
    console.log('\nAblation (each method at its best threshold: no chained groups, group-pair precision ≥ 0.98, best group-pair F1)');
    console.log(HEADER);
    const ablation = [];
    for (const m of METHODS) {
      const sim = m.sim(feats);
      const results = sweep.map((t) => evaluateAt(sim, truth, t));
      const best = pickThreshold(results);
      console.log(row(m.name, best));
      ablation.push({ method: m.name, cost: m.cost, best, sweep: results.map(({ worstFalse, ...r }) => r) });
    }
    report.ablation = ablation;
    report.featureSeconds = feats.seconds;
  }

  const product = await evaluateProduct(files, truth, manifest, sweep, OUT, MODEL);
  report.product = product;
  if (!args.includes('--no-sample')) report.sample = await sampleCheck(join(OUT, 'cache'), [0.87, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98], MODEL);
  if (args.includes('--tiny')) report.tinyColour = await tinyColourCheck(files, truth, join(OUT, 'cache'), sweep);
  writeJson(join(OUT, 'report.json'), report);
  console.log(`\nreport: ${join(OUT, 'report.json')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
