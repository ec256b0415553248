/**
 * The product path on the benchmark: exactly what `neardup scan out/eval-bench/images` computes
 * (default model, default options: embed → k-NN → hash matches → groups), swept over thresholds
 * by regrouping the same neighbour lists with `groupAtThreshold`, as the threshold slider does.
 */
import { basename, join } from 'node:path';
import { scan, type ScanOptions } from '../../src/pipeline/scan';
import { groupAtThreshold } from '../../src/dedup/groups';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';
import type { BenchManifest } from './build';
import { evaluateAt, matrixFromNeighbors, type ThresholdResult, type Truth } from './metrics';
import { HEADER, row } from './format';

export interface ProductEval {
  model: string;
  k: number;
  defaultThreshold: number;
  atDefault: ThresholdResult;
  sweep: Omit<ThresholdResult, 'worstFalse'>[];
  timings: Record<string, number>;
  /**
   * The weakest copy→original score among copies whose original is in their k-NN list (and how many
   * are not), and the strongest score between images of different ground-truth groups.
   */
  margin: { lowestListedCopyToOriginal: number; copiesWithOriginalNotListed: number; highestFalsePair: number };
}

export async function evaluateProduct(files: string[], truth: Truth, m: BenchManifest, sweep: number[], out: string, model?: ScanOptions['model']): Promise<ProductEval> {
  const dir = join(out, '..', 'eval-bench', 'images');
  const k = 32; // ≥ group size (17) so every within-group link is listed
  const result = await scan(dir, { k, cacheDir: join(out, 'cache'), exact: true, model });
  // Map the scan's row order (folder listing) to the manifest's.
  const byFile = new Map(m.rows.map((r, i) => [r.file, i]));
  const ids = result.ids.map((id) => basename(id));
  const perm = ids.map((f) => {
    const i = byFile.get(f);
    if (i === undefined) throw new Error(`scan returned ${f}, not in the benchmark manifest`);
    return i;
  });
  if (perm.length !== files.length) throw new Error(`scan saw ${perm.length} images, the benchmark has ${files.length}`);
  const n = perm.length;
  const t: Truth = {
    group: Int32Array.from(perm, (i) => truth.group[i]),
    transform: perm.map((i) => truth.transform[i]),
    original: new Int32Array(n),
  };
  const rowOf = new Map(perm.map((mi, r) => [mi, r]));
  perm.forEach((mi, r) => (t.original[r] = truth.original[mi] < 0 ? -1 : rowOf.get(truth.original[mi])!));

  const sim = matrixFromNeighbors(result.neighbors);
  const opts = result.groupOptions();
  const at = (thr: number) => evaluateAt(sim, t, thr, 8, groupAtThreshold(result.neighbors, thr, opts).group_id);
  const results = sweep.map(at);
  const atDefault = at(DEFAULT_THRESHOLD);

  let lowTrue = Infinity;
  let notListed = 0;
  let highFalse = -Infinity;
  for (let i = 0; i < n; i++) {
    if (t.original[i] >= 0) {
      const s = sim[i * n + t.original[i]];
      if (s === -Infinity) notListed++;
      else lowTrue = Math.min(lowTrue, s);
    }
    for (let j = i + 1; j < n; j++) if (t.group[i] !== t.group[j]) highFalse = Math.max(highFalse, sim[i * n + j]);
  }
  console.log(`\nProduct path (neardup scan defaults: ${result.embeddings.model.split(' ')[0]}), regrouped at each threshold`);
  console.log(HEADER);
  for (const r of results.filter((r) => Math.round(r.threshold * 100) % 2 === 0 && r.threshold >= 0.7)) console.log(row(`scan @ ${r.threshold.toFixed(2)}`, r));
  console.log(row(`scan @ DEFAULT_THRESHOLD`, atDefault));
  console.log('per transform at the default (grouped with original / direct pair):');
  for (const [tr, v] of Object.entries(atDefault.perTransformGroup)) console.log(`  ${tr.padEnd(24)} ${(100 * v).toFixed(1).padStart(5)}%  ${(100 * atDefault.perTransformPair[tr]).toFixed(1).padStart(5)}%`);
  console.log(`strongest false pairs at the default: ${atDefault.worstFalse.map((w) => `${ids[w.a]}~${ids[w.b]} ${w.score.toFixed(3)}`).join(', ') || 'none'}`);
  console.log(`strongest pair of unrelated images: ${highFalse.toFixed(3)}; weakest listed copy→original: ${lowTrue.toFixed(3)} (${notListed} copies without their original among their ${k} neighbours)`);
  console.log(`timings (s): ${JSON.stringify(result.timings)}`);
  return {
    model: result.embeddings.model,
    k,
    defaultThreshold: DEFAULT_THRESHOLD,
    atDefault: { ...atDefault, worstFalse: atDefault.worstFalse.map((w) => ({ ...w, a: ids[w.a], b: ids[w.b] }) as never) },
    sweep: results.map(({ worstFalse, ...r }) => r),
    timings: result.timings,
    margin: { lowestListedCopyToOriginal: lowTrue, copiesWithOriginalNotListed: notListed, highestFalsePair: highFalse },
  };
}
