/**
 * A linear reduction of the vectors for an approximate index's graph only (the candidates it
 * returns are re-ranked on the full float32 vectors, so the reduction changes which candidates are
 * found, never a reported similarity).
 *
 * Method: uncentred PCA, i.e. the top eigenvectors of the second-moment matrix XᵀX / m of a sample
 * of m rows (the truncated SVD of the data: the rank-d projection that best keeps the dot products
 * in the least-squares sense, Eckart–Young; not centring keeps the mean direction, which carries a
 * large share of the cosine between non-negative CNN features). XᵀX and the projection are matrix
 * products on onnxruntime's GEMM (the exact search's kernel); the leading eigenvectors come from a
 * randomized subspace iteration on that GEMM (`topEigenvectors`), with `ml-pca` (ml-matrix's
 * symmetric EVD) only for the small Rayleigh–Ritz matrix.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { PCA } from 'ml-pca';
import { createGemmSession } from '../knn-tile';
import { NeardupError } from '../../errors';

/** A fitted projection: `basis` is d × dim row-major (row c = component c, by descending variance). */
export interface Projection {
  dim: number;
  d: number;
  basis: Float32Array;
  /** Share of the sample's second moment (Σ eigenvalues) kept by the d components, 0..1. */
  kept: number;
  /** Rows of the sample it was fitted on. */
  sampleRows: number;
}

/**
 * Fits the projection on an evenly spaced sample of at most `sample` of the given rows.
 * Cost: sample · dim² multiply-adds on GEMM, then `topEigenvectors` (≈ 2 CPU-s at 1280 → 256
 * dims; the full EVD it replaced took ≈ 30 CPU-s of one core).
 * @param rows candidate row numbers (valid rows), ascending.
 * @throws NeardupError (`invalid_argument`) when d is not an integer in [1, dim).
 */
export async function fitProjection(vectors: Float32Array, dim: number, rows: ArrayLike<number>, d: number, sample = 20000, threads = cpus().length): Promise<Projection> {
  if (!Number.isInteger(d) || d < 1 || d >= dim) throw new NeardupError(`pcaDims must be an integer in [1, ${dim - 1}] (the vectors have ${dim} dims), or 0 for none; got ${d}`);
  const m = Math.min(sample, rows.length);
  if (m < 1) throw new NeardupError('pcaDims: no valid rows to fit the projection on');
  // Xᵀ (dim × m), so that one GEMM with transB gives Xᵀ·X.
  const xt = new Float32Array(dim * m);
  for (let s = 0; s < m; s++) {
    const r = rows[Math.floor((s * rows.length) / m)];
    const o = r * dim;
    for (let c = 0; c < dim; c++) xt[c * m + s] = vectors[o + c];
  }
  const session = await createGemmSession(m, threads);
  let cov: Float32Array;
  try {
    const t = new ort.Tensor('float32', xt, [dim, m]);
    cov = (await session.run({ A: t, B: t })).S.data as Float32Array;
  } finally {
    await session.release();
  }
  // Symmetrised (the GEMM's two triangles can differ in the last bit) and scaled to XᵀX / m.
  const c = new Float32Array(dim * dim);
  let total = 0;
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) c[i * dim + j] = (cov[i * dim + j] + cov[j * dim + i]) / (2 * m);
    total += c[i * dim + i];
  }
  const { basis, kept } = await topEigenvectors(c, dim, d, threads);
  return { dim, d, basis, kept: total > 0 ? kept / total : 0, sampleRows: m };
}

/** Extra directions carried by the subspace iteration beyond the d wanted (Halko et al.'s oversampling). */
const OVERSAMPLE = 32;
/** Block power steps (Halko et al. recommend a few; at 1280 → 256 dims the kept share was 85.2 % vs the full EVD's 85.3 %, docs/scale.md run 11). */
const POWER_STEPS = 8;

/**
 * The d leading eigenvectors of the symmetric positive semi-definite dim × dim matrix `c` by
 * randomized subspace iteration with Rayleigh–Ritz (Halko, Martinsson & Tropp, "Finding structure
 * with randomness", SIAM Review 2011, Algorithms 4.4 and 5.3): a seeded Gaussian block of
 * p = d + OVERSAMPLE rows, POWER_STEPS products with `c` on onnxruntime's GEMM, each followed by a
 * Gram–Schmidt orthonormalisation, then the EVD of the small p × p matrix Q·c·Qᵀ (`ml-pca`).
 * Replaces the full dim × dim EVD (O(dim³) in JavaScript: ≈ 30 CPU-s at 1280 dims) by ≈ 2 CPU-s.
 * @returns basis: d × dim, orthonormal rows by descending Ritz value; kept: Σ of those d Ritz
 *   values (= the second moment the basis keeps, since the rows are orthonormal).
 */
export async function topEigenvectors(c: Float32Array, dim: number, d: number, threads = cpus().length): Promise<{ basis: Float32Array; kept: number }> {
  const p = Math.min(dim, d + OVERSAMPLE);
  let seed = 0x9e3779b9;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), (seed + 0.5) / 2 ** 32);
  let q = new Float32Array(p * dim);
  for (let i = 0; i < q.length; i++) q[i] = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  orthonormalRows(q, p, dim);
  const session = await createGemmSession(dim, threads);
  const tc = new ort.Tensor('float32', c, [dim, dim]);
  // Rows of Q·cᵀ = Q·c (c symmetric).
  const times = async (a: Float32Array, rows: number) => (await session.run({ A: new ort.Tensor('float32', a, [rows, dim]), B: tc })).S.data as Float32Array;
  let t: Float32Array;
  try {
    for (let s = 0; s < POWER_STEPS; s++) {
      q = Float32Array.from(await times(q, p));
      orthonormalRows(q, p, dim);
    }
    const qc = await times(q, p);
    t = (await session.run({ A: new ort.Tensor('float32', qc, [p, dim]), B: new ort.Tensor('float32', q, [p, dim]) })).S.data as Float32Array;
  } finally {
    await session.release();
  }
  const small: number[][] = [];
  for (let i = 0; i < p; i++) {
    const row = new Array<number>(p);
    for (let j = 0; j < p; j++) row[j] = (t[i * p + j] + t[j * p + i]) / 2;
    small.push(row);
  }
  const pca = new PCA(small, { isCovarianceMatrix: true });
  const values = pca.getEigenvalues();
  const vecs = pca.getEigenvectors(); // p × p, column k = Ritz vector k (descending)
  const basis = new Float32Array(d * dim);
  const acc = new Float64Array(dim);
  for (let k = 0; k < d; k++) {
    acc.fill(0);
    for (let i = 0; i < p; i++) {
      const w = vecs.get(i, k);
      const o = i * dim;
      for (let j = 0; j < dim; j++) acc[j] += w * q[o + j];
    }
    basis.set(acc, k * dim);
  }
  return { basis, kept: values.slice(0, d).reduce((a, b) => a + Math.max(0, b), 0) };
}

/** Modified Gram–Schmidt on the rows of a rows × dim matrix, in place (float64 sums); a dependent row becomes 0. */
function orthonormalRows(a: Float32Array, rows: number, dim: number): void {
  const r = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    const oi = i * dim;
    for (let j = 0; j < dim; j++) r[j] = a[oi + j];
    // Twice (“twice is enough”, Giraud et al. 2005) so the float32 rows stay orthogonal.
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < i; k++) {
        const ok = k * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) s += r[j] * a[ok + j];
        for (let j = 0; j < dim; j++) r[j] -= s * a[ok + j];
      }
    }
    let n2 = 0;
    for (let j = 0; j < dim; j++) n2 += r[j] * r[j];
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let j = 0; j < dim; j++) a[oi + j] = r[j] * inv;
  }
}

/**
 * Projects rows [a, b) (or the listed rows) to the d components, `block` rows per GEMM call.
 * Output: count × d float32, not normalised (the index's cosine metric normalises).
 */
export class Projector {
  private session: ort.InferenceSession | null = null;
  private readonly tBasis: ort.Tensor;
  constructor(
    readonly p: Projection,
    private readonly threads = cpus().length,
  ) {
    this.tBasis = new ort.Tensor('float32', p.basis, [p.d, p.dim]);
  }

  /** rows: count × dim, row-major. */
  async project(rows: Float32Array, count: number): Promise<Float32Array> {
    this.session ??= await createGemmSession(this.p.dim, this.threads);
    const out = await this.session.run({ A: new ort.Tensor('float32', rows, [count, this.p.dim]), B: this.tBasis });
    return out.S.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session?.release();
    this.session = null;
  }
}
