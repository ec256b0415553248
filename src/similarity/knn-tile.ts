/**
 * One similarity tile: S = A·Bᵀ by onnxruntime's GEMM, then the per-tile top-k selection.
 * Shared by the in-process path and the worker threads (src/similarity/knn-worker.ts).
 */
import * as ort from 'onnxruntime-node';
import { encodeModel, ElemType } from '../onnx/graph';

/** S[m, n] = A[m, dim] · B[n, dim]ᵀ as a one-node ONNX model (Gemm with transB). */
export function gemmModel(dim: number): Uint8Array {
  return encodeModel({
    name: 'neardup_similarity_tile',
    opset: 13,
    inputs: [
      { name: 'A', elemType: ElemType.FLOAT, shape: ['m', dim] },
      { name: 'B', elemType: ElemType.FLOAT, shape: ['n', dim] },
    ],
    outputs: [{ name: 'S', elemType: ElemType.FLOAT, shape: ['m', 'n'] }],
    nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['S'], attrs: { transB: 1 } }],
  });
}

export function createGemmSession(dim: number, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(gemmModel(dim), {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
}

/** A tile: rows r0..r0+rows against rows c0..c0+cols (positions in the searched matrix). */
export interface TileJob {
  r0: number;
  rows: number;
  c0: number;
  cols: number;
  /** Lower bounds for the kept scores of the tile's rows / columns (the global k-th best so far). */
  rowFloor: Float32Array;
  colFloor: Float32Array;
}

/**
 * The tile's best candidates, `k` per row and per column, sorted like `Neighbors`, as positions
 * local to the tile (-1 = empty). A diagonal tile (r0 === c0) reports only row lists, each pair
 * of its strict upper triangle offered to both of its rows.
 */
export interface TileCandidates {
  rowIdx: Int32Array;
  rowScore: Float32Array;
  colIdx: Int32Array;
  colScore: Float32Array;
}

/**
 * Inserts (i, s) into the sorted list at `base` (k slots, score desc then index asc) unless it
 * ranks after the last slot. Returns the list's new admission threshold.
 */
function insert(ix: Int32Array, sc: Float32Array, base: number, k: number, i: number, s: number, floor: number): number {
  const last = base + k - 1;
  const li = ix[last];
  if (li !== -1 && (s < sc[last] || (s === sc[last] && i > li))) return sc[last];
  let p = last;
  while (p > base) {
    const ps = sc[p - 1];
    const pi = ix[p - 1];
    if (pi !== -1 && (ps > s || (ps === s && pi < i))) break;
    sc[p] = ps;
    ix[p] = pi;
    p--;
  }
  sc[p] = s;
  ix[p] = i;
  return ix[last] === -1 ? floor : sc[last];
}

/**
 * Top-k selection over tile S (`rows` x `cols`, row-major). Only scores at or above the floor
 * are considered, so after the first tiles nearly every score costs one comparison.
 */
export function selectTile(
  S: Float32Array,
  rows: number,
  cols: number,
  diag: boolean,
  k: number,
  rowFloor: Float32Array,
  colFloor: Float32Array,
): TileCandidates {
  const rowIdx = new Int32Array(rows * k).fill(-1);
  const rowScore = new Float32Array(rows * k).fill(-Infinity);
  const ncol = diag ? 0 : cols;
  const colIdx = new Int32Array(ncol * k).fill(-1);
  const colScore = new Float32Array(ncol * k).fill(-Infinity);
  if (diag) {
    const thr = Float32Array.from(rowFloor.subarray(0, rows));
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let rt = thr[r];
      const rf = rowFloor[r];
      for (let c = r + 1; c < cols; c++) {
        const v = S[off + c];
        if (v >= rt) rt = thr[r] = insert(rowIdx, rowScore, r * k, k, c, v, rf);
        if (v >= thr[c]) thr[c] = insert(rowIdx, rowScore, c * k, k, r, v, rowFloor[c]);
      }
    }
  } else {
    const ct = Float32Array.from(colFloor.subarray(0, cols));
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      const rf = rowFloor[r];
      let rt = rf;
      for (let c = 0; c < cols; c++) {
        const v = S[off + c];
        if (v >= rt) rt = insert(rowIdx, rowScore, r * k, k, c, v, rf);
        if (v >= ct[c]) ct[c] = insert(colIdx, colScore, c * k, k, r, v, colFloor[c]);
      }
    }
  }
  return { rowIdx, rowScore, colIdx, colScore };
}

/**
 * Gives `rows` rows of X starting at `start` as an input tensor. onnxruntime-node refuses typed
 * arrays over a SharedArrayBuffer, so shared rows are copied into `scratch` (cheap next to the
 * GEMM); it remembers which rows `scratch` holds, so consecutive tiles reuse them.
 */
export class BlockReader {
  private held = -1;
  private scratch: Float32Array | null = null;
  constructor(
    private readonly X: Float32Array,
    private readonly dim: number,
  ) {}

  tensor(start: number, rows: number): ort.Tensor {
    const { X, dim } = this;
    const view = X.subarray(start * dim, (start + rows) * dim);
    if (!(X.buffer instanceof SharedArrayBuffer)) return new ort.Tensor('float32', view, [rows, dim]);
    if (!this.scratch || this.scratch.length < view.length) this.scratch = new Float32Array(view.length);
    const local = this.scratch.subarray(0, view.length);
    if (this.held !== start) {
      local.set(view);
      this.held = start;
    }
    return new ort.Tensor('float32', local, [rows, dim]);
  }
}

/** Computes one tile with `session` into `out` (reused, ≥ rows*cols floats) and selects from it. */
export async function runTile(
  session: ort.InferenceSession,
  readers: { a: BlockReader; b: BlockReader },
  k: number,
  job: TileJob,
  out: Float32Array,
): Promise<TileCandidates> {
  const { r0, rows, c0, cols } = job;
  const A = readers.a.tensor(r0, rows);
  const diag = r0 === c0;
  const B = diag ? A : readers.b.tensor(c0, cols);
  const S = out.subarray(0, rows * cols);
  await session.run({ A, B }, { S: new ort.Tensor('float32', S, [rows, cols]) });
  return selectTile(S, rows, cols, diag, k, job.rowFloor, job.colFloor);
}
