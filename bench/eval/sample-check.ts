/**
 * A second domain for the threshold: the bundled Fashion-MNIST sample (3,000 real 28x28 grayscale
 * images with 90 known near-duplicate pairs, pixel RMS ≤ 10; data/sample/README.md), scanned with
 * neardup's defaults and regrouped at several thresholds. Shows how far a threshold calibrated on
 * photographs carries to tiny grayscale images.
 */
import { scan, type ScanOptions } from '../../src/pipeline/scan';
import { groupAtThreshold } from '../../src/dedup/groups';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';
import { columnValues } from '../../src/frame';

export interface SampleRow {
  threshold: number;
  /** Pairs listed in the k-NN lists at or above the threshold. */
  pairs: number;
  /** Of those, pairs inside a known near-duplicate group. */
  knownPairs: number;
  /** Known pairs (of 90) whose two images end up in one group. */
  knownGrouped: number;
  flagged: number;
}

export async function sampleCheck(cacheDir: string, thresholds: number[], model?: ScanOptions['model'], size?: number): Promise<{ rows: SampleRow[]; knownTotal: number }> {
  const r = await scan('sample', { cacheDir, k: 10, model, size });
  // Only the pixel-space pairs are ground truth (reason near-duplicate); the other groups were picked by
  // scanning with neardup itself (data/sample/README.md) and would make the check circular.
  const why = columnValues<string | null>(r.dataset.df, 'sample_reason');
  const groups = columnValues<string | null>(r.dataset.df, 'sample_group').map((g, i) => (why[i] === 'near-duplicate' && g ? g : null));
  const n = groups.length;
  const known: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (groups[i] && groups[i] === groups[j]) known.push([i, j]);
  const nb = r.neighbors;
  const rows = thresholds.map((t) => {
    const g = groupAtThreshold(nb, t, r.groupOptions());
    const seen = new Set<number>();
    let knownPairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nb.k; j++) {
        const o = nb.indices[i * nb.k + j];
        if (o < 0 || nb.scores[i * nb.k + j] < t) continue;
        const key = Math.min(i, o) * n + Math.max(i, o);
        if (seen.has(key)) continue;
        seen.add(key);
        if (groups[i] && groups[i] === groups[o]) knownPairs++;
      }
    }
    const knownGrouped = known.filter(([a, b]) => g.group_id[a] >= 0 && g.group_id[a] === g.group_id[b]).length;
    return { threshold: t, pairs: seen.size, knownPairs, knownGrouped, flagged: g.counts.flagged };
  });
  console.log(`\nSecond domain: the bundled Fashion-MNIST sample (${n} images, ${known.length} known near-duplicate pairs), scan defaults`);
  console.log('threshold | k-NN pairs ≥ t | of them known | known pairs grouped | samples flagged');
  for (const x of rows) console.log(`${x.threshold.toFixed(2)}${x.threshold === DEFAULT_THRESHOLD ? '*' : ' '}     | ${String(x.pairs).padStart(14)} | ${String(x.knownPairs).padStart(13)} | ${String(x.knownGrouped).padStart(10)} / ${known.length} | ${x.flagged}`);
  return { rows, knownTotal: known.length };
}
