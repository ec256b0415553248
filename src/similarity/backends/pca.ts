/**
 * A linear reduction of the vectors for an approximate index's graph only (the candidates it
 * returns are re-ranked on the full float32 vectors, so the reduction changes which candidates are
 * found, never a reported similarity).
 *
 * Method: uncentred PCA, i.e. the top eigenvectors of the second-moment matrix XᵀX / m of a sample
 * of m rows (the truncated SVD of the data: the rank-d projection that best keeps the dot products
 * in the least-squares sense, Eckart–Young; not centring keeps the mean direction, which carries a
 * large share of the cosine between non-negative CNN features). XᵀX and the projection are matrix
 * products on onnxruntime's GEMM (the exact search's kernel); the eigen-decomposition is
 * `ml-pca` (ml-matrix's symmetric EVD, Householder tridiagonalisation + QL).
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
 * Cost: sample · dim² multiply-adds on GEMM plus an O(dim³) EVD in JavaScript (1280 dims: a few
 * seconds to tens of seconds of one core).
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
  const c2: number[][] = [];
  for (let i = 0; i < dim; i++) {
    const row = new Array<number>(dim);
    // Symmetrised: the GEMM's two triangles can differ in the last bit.
    for (let j = 0; j < dim; j++) row[j] = (cov[i * dim + j] + cov[j * dim + i]) / (2 * m);
    c2.push(row);
  }
  const pca = new PCA(c2, { isCovarianceMatrix: true });
  const values = pca.getEigenvalues();
  const vecs = pca.getEigenvectors(); // dim × dim, column c = component c
  const basis = new Float32Array(d * dim);
  for (let c = 0; c < d; c++) for (let j = 0; j < dim; j++) basis[c * dim + j] = vecs.get(j, c);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  const kept = values.slice(0, d).reduce((a, b) => a + Math.max(0, b), 0);
  return { dim, d, basis, kept: total > 0 ? kept / total : 0, sampleRows: m };
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
