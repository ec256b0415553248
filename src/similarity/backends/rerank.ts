/**
 * Exact dot products of query rows with their own candidate rows, for a batch of queries at once:
 * the candidates' float32 vectors are gathered into one [b, c, dim] block and multiplied by the
 * queries' [b, dim, 1] on onnxruntime's batched MatMul (MLAS, float32 accumulation, as the exact
 * backend's GEMM), giving b × c scores in one native call (intra-op threads: the caller's; the
 * HNSW backend uses 1).
 *
 * Why: the approximate backends re-rank every candidate exactly on the full vectors; at 1280 dims a
 * JavaScript dot loop costs ≈ 3.5 CPU-µs per candidate (bench/rerank.bench.ts: 0.28 CPU-ms per query
 * of 81 candidates, AMD EPYC; this batched MatMul: 0.13), which was the
 * largest single share of the HNSW all-pairs pass (docs/scale.md, run 11).
 */
import * as ort from 'onnxruntime-node';
import { encodeModel, ElemType } from '../../onnx/graph';

/** S[b, c, 1] = C[b, c, dim] · Q[b, dim, 1] as a one-node ONNX model (batched MatMul). */
export function batchDotModel(dim: number): Uint8Array {
  return encodeModel({
    name: 'neardup_batch_dot',
    opset: 13,
    inputs: [
      { name: 'C', elemType: ElemType.FLOAT, shape: ['b', 'c', dim] },
      { name: 'Q', elemType: ElemType.FLOAT, shape: ['b', dim, 1] },
    ],
    outputs: [{ name: 'S', elemType: ElemType.FLOAT, shape: ['b', 'c', 1] }],
    nodes: [{ op: 'MatMul', inputs: ['C', 'Q'], outputs: ['S'] }],
  });
}

/**
 * Scores candidate lists of up to `maxQueries` queries × `width` candidates per call; the gather
 * buffers are allocated once (maxQueries · (width + 1) · dim · 4 B; 256 × 81 × 1280: 107 MB).
 */
export class BatchDot {
  private session: ort.InferenceSession | null = null;
  private readonly cbuf: Float32Array;
  private readonly qbuf: Float32Array;

  constructor(
    private readonly dim: number,
    readonly maxQueries: number,
    readonly width: number,
    private readonly threads: number,
  ) {
    this.cbuf = new Float32Array(maxQueries * width * dim);
    this.qbuf = new Float32Array(maxQueries * dim);
  }

  /**
   * Dot products of row `queries[i]` of `vectors` (n × dim, row-major) with rows
   * `cands[i·width + t]`, t < width, for i < count (≤ maxQueries). A candidate −1 is a hole (its
   * score is 0 and must be ignored by the caller).
   * @returns count × width scores, row-major (a view valid until the next call).
   */
  async scores(vectors: Float32Array, queries: Int32Array, count: number, cands: Int32Array): Promise<Float32Array> {
    const { dim, width, cbuf, qbuf } = this;
    if (count > this.maxQueries) throw new RangeError(`BatchDot: ${count} queries > ${this.maxQueries}`);
    for (let i = 0; i < count; i++) {
      const q = queries[i];
      qbuf.set(vectors.subarray(q * dim, (q + 1) * dim), i * dim);
      for (let t = 0; t < width; t++) {
        const j = cands[i * width + t];
        const o = (i * width + t) * dim;
        if (j >= 0) cbuf.set(vectors.subarray(j * dim, (j + 1) * dim), o);
        else cbuf.fill(0, o, o + dim);
      }
    }
    this.session ??= await ort.InferenceSession.create(batchDotModel(dim), {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
    });
    const out = await this.session.run({
      C: new ort.Tensor('float32', cbuf.subarray(0, count * width * dim), [count, width, dim]),
      Q: new ort.Tensor('float32', qbuf.subarray(0, count * dim), [count, dim, 1]),
    });
    return out.S.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session?.release();
    this.session = null;
  }
}
