/** Fixed-width table rows for the eval printout. */
import type { ThresholdResult } from './metrics';

const pct = (x: number) => (100 * x).toFixed(1).padStart(5);

function minTransform(r: ThresholdResult): [string, number] {
  return Object.entries(r.perTransformGroup).reduce((a, b) => (b[1] < a[1] ? b : a), ['', 2] as [string, number]);
}

export function row(name: string, r: ThresholdResult): string {
  const [wt, wv] = minTransform(r);
  return [
    name.padEnd(34),
    r.threshold.toFixed(2),
    `${pct(r.pairs.precision)} ${pct(r.pairs.recall)} ${pct(r.pairs.f1)}`,
    `${pct(r.groupPairs.precision)} ${pct(r.groupPairs.recall)} ${pct(r.groupPairs.f1)}`,
    `${pct(r.groups.f1)}`,
    String(r.chained).padStart(3),
    `${pct(wv)} ${wt}`,
  ].join(' | ');
}

export const HEADER = [
  'method'.padEnd(34),
  'thr ',
  'pair P    R     F1  ',
  'grp-pair P R    F1  ',
  'grpF1',
  'chn',
  'min transform recall (grouped)',
].join(' | ');

