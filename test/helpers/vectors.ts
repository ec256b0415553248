/**
 * n seeded random unit vectors of `dim` values (row-major, L2-normalised): a linear congruential generator seeded
 * with `seed`, each value uniform in [-0.5, 0.5) before normalising. The same `seed` gives the same vectors.
 */
export function randomUnitVectors(n: number, dim: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const rnd = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0), a / 2 ** 32 - 0.5);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (v[i * dim + d] = rnd()) ** 2;
    for (let d = 0; d < dim; d++) v[i * dim + d] /= Math.sqrt(s);
  }
  return v;
}
