/**
 * The quality ideas, each turned into a similarity matrix over the benchmark so they can be
 * compared at their own best threshold: pooling, multi-scale, views (mirror / grayscale, averaged
 * or symmetric max), border trimming, and pHash as a second signal.
 */
import { hammingAt } from '../../src/phash/hash';
import { averageViews } from '../lib/views';
import { DIM, type Features, type Pooling } from './features';
import { cosineMatrix, maxMatrix } from './metrics';

export interface Method {
  name: string;
  /** What it costs relative to the plain embedding (forward passes, extra work). */
  cost: string;
  sim: (f: Features) => Float32Array;
}

const vec = (f: Features, variant: string, pool: Pooling = 'mean') => f.vectors[variant][pool];
/** Interleaves several n x DIM matrices into n·k rows (image i's views consecutive) and averages them. */
function avg(f: Features, variants: string[], pool: Pooling = 'mean'): Float32Array {
  const k = variants.length;
  const stacked = new Float32Array(f.n * k * DIM);
  for (let i = 0; i < f.n; i++) {
    variants.forEach((v, j) => stacked.set(vec(f, v, pool).subarray(i * DIM, (i + 1) * DIM), (i * k + j) * DIM));
  }
  return averageViews(stacked, f.n, k, DIM);
}

/** Cross-view cosine: cos(a_i, b_j), symmetrised by max with its transpose. */
function crossCos(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const sim = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < DIM; d++) s += a[i * DIM + d] * b[j * DIM + d];
      sim[i * n + j] = s;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const m = Math.max(sim[i * n + j], sim[j * n + i]);
    sim[i * n + j] = sim[j * n + i] = m;
  }
  return sim;
}

/**
 * pHash as a second signal: a pair whose hashes (or one side mirrored) differ in ≤ `maxBits`
 * bits counts as a duplicate whatever its cosine, by lifting its score to 1.
 */
export function withPhash(sim: Float32Array, f: Features, mode: 'plain' | 'trim', maxBits: number): Float32Array {
  const n = f.n;
  const out = new Float32Array(sim);
  const o = f.phash[`${mode}/orig`];
  const fl = f.phash[`${mode}/flip`];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const d = Math.min(hammingAt(o, i, o, j), hammingAt(o, i, fl, j));
    if (d <= maxBits) out[i * n + j] = out[j * n + i] = 1;
  }
  return out;
}

const cos = (f: Features, v: Float32Array) => cosineMatrix(v, f.n, DIM);

export const METHODS: Method[] = [
  { name: 'baseline: mean pool, 224 px', cost: '1 pass', sim: (f) => cos(f, vec(f, 'plain/orig/224')) },
  { name: 'max pooling', cost: '1 pass', sim: (f) => cos(f, vec(f, 'plain/orig/224', 'max')) },
  { name: 'GeM pooling (p=3)', cost: '1 pass', sim: (f) => cos(f, vec(f, 'plain/orig/224', 'gem')) },
  { name: 'multi-scale avg 160+224+288', cost: '≈2.2 passes', sim: (f) => cos(f, avg(f, ['plain/orig/160', 'plain/orig/224', 'plain/orig/288'])) },
  { name: 'views: flip, symmetric max', cost: '2 passes', sim: (f) => maxMatrix(cos(f, vec(f, 'plain/orig/224')), crossCos(vec(f, 'plain/orig/224'), vec(f, 'plain/flip/224'), f.n)) },
  { name: 'views: flip, averaged', cost: '2 passes', sim: (f) => cos(f, avg(f, ['plain/orig/224', 'plain/flip/224'])) },
  { name: 'views: gray, averaged', cost: '2 passes', sim: (f) => cos(f, avg(f, ['plain/orig/224', 'plain/gray/224'])) },
  { name: 'views: flip+gray, averaged', cost: '4 passes', sim: (f) => cos(f, avg(f, ['plain/orig/224', 'plain/flip/224', 'plain/gray/224', 'plain/grayflip/224'])) },
  { name: 'trim borders', cost: '1 pass + trim', sim: (f) => cos(f, vec(f, 'trim/orig/224')) },
  { name: 'pHash ≤ 6 bits OR cosine', cost: '1 pass + hash', sim: (f) => withPhash(cos(f, vec(f, 'plain/orig/224')), f, 'plain', 6) },
  { name: 'trim + flip+gray avg', cost: '4 passes + trim', sim: (f) => cos(f, avg(f, ['trim/orig/224', 'trim/flip/224', 'trim/gray/224', 'trim/grayflip/224'])) },
  { name: 'trim + flip avg', cost: '2 passes + trim', sim: (f) => cos(f, avg(f, ['trim/orig/224', 'trim/flip/224'])) },
  { name: 'trim + flip+gray avg + pHash', cost: '4 passes + trim + hash', sim: (f) => withPhash(cos(f, avg(f, ['trim/orig/224', 'trim/flip/224', 'trim/gray/224', 'trim/grayflip/224'])), f, 'trim', 6) },
  { name: 'trim + flip+gray avg, GeM', cost: '4 passes + trim', sim: (f) => cos(f, avg(f, ['trim/orig/224', 'trim/flip/224', 'trim/gray/224', 'trim/grayflip/224'], 'gem')) },
  { name: 'GeM + pHash', cost: '1 pass + hash', sim: (f) => withPhash(cos(f, vec(f, 'plain/orig/224', 'gem')), f, 'plain', 6) },
  { name: 'GeM + trim', cost: '1 pass + trim', sim: (f) => cos(f, vec(f, 'trim/orig/224', 'gem')) },
  { name: 'GeM + trim + pHash', cost: '1 pass + trim + hash', sim: (f) => withPhash(cos(f, vec(f, 'trim/orig/224', 'gem')), f, 'trim', 6) },
  { name: 'GeM + trim + flip avg + pHash', cost: '2 passes + trim + hash', sim: (f) => withPhash(cos(f, avg(f, ['trim/orig/224', 'trim/flip/224'], 'gem')), f, 'trim', 6) },
  { name: 'GeM + trim + flip+gray avg + pHash', cost: '4 passes + trim + hash', sim: (f) => withPhash(cos(f, avg(f, ['trim/orig/224', 'trim/flip/224', 'trim/gray/224', 'trim/grayflip/224'], 'gem')), f, 'trim', 6) },
  { name: 'GeM + flip avg', cost: '2 passes', sim: (f) => cos(f, avg(f, ['plain/orig/224', 'plain/flip/224'], 'gem')) },
  { name: 'GeM + flip avg + pHash', cost: '2 passes + hash', sim: (f) => withPhash(cos(f, avg(f, ['plain/orig/224', 'plain/flip/224'], 'gem')), f, 'plain', 6) },
  { name: 'GeM + trim + flip avg', cost: '2 passes + trim', sim: (f) => cos(f, avg(f, ['trim/orig/224', 'trim/flip/224'], 'gem')) },
];
