/**
 * Fast exact top-k on CPU: onnxruntime's GEMM (MLAS, multi-threaded, AVX2/AVX-512) computes one
 * similarity tile S = A·Bᵀ at a time, then a single JavaScript pass folds the tile into the
 * running top-k lists of both its rows and its columns.
 *
 * Why this shape:
 * - The similarity matrix is symmetric, so only tiles on or above the diagonal are computed:
 *   half the multiply-adds of a plain blocked matmul, and every score feeds two rows.
 * - Memory is the O(n·k) lists, one tile (tile² floats, 64 MiB at 4,096) and, only when some
 *   rows are invalid, a compacted copy of the valid rows. The n×n matrix never exists.
 * - Selection is a threshold scan: after the first tiles almost every score is below the row's
 *   (and column's) current k-th best, so the scan is one compare per score and rarely inserts.
 *   That is cheaper than onnxruntime's TopK operator on the same tile (measured, see docs).
 */
import * as ort from 'onnxruntime-node';
import type { Neighbors } from '../types';
import { TopKRows } from './topk-rows';
import { encodeModel, ElemType } from './onnx-graph';
import { finishInvalidRows } from './knn-args';

export interface OnnxKnnOptions {
  valid?: Uint8Array;
  /** Tile side in rows (default 4096). */
  blockRows?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice, the number of cores). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** One cached session per (dim, threads): S[m, n] = A[m, dim] · B[n, dim]ᵀ. */
function gemmSession(dim: number, threads: number | undefined): Promise<ort.InferenceSession> {
  const key = `${dim}/${threads ?? 'auto'}`;
  let s = sessions.get(key);
  if (!s) {
    const bytes = encodeModel({
      name: 'neardup_similarity_tile',
      opset: 13,
      inputs: [
        { name: 'A', elemType: ElemType.FLOAT, shape: ['m', dim] },
        { name: 'B', elemType: ElemType.FLOAT, shape: ['n', dim] },
      ],
      outputs: [{ name: 'S', elemType: ElemType.FLOAT, shape: ['m', 'n'] }],
      nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['S'], attrs: { transB: 1 } }],
    });
    const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionMode: 'sequential' };
    if (threads) opts.intraOpNumThreads = threads;
    s = ort.InferenceSession.create(bytes, opts);
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

/**
 * Folds tile S (rows r0.., cols c0.., `rows` x `cols`, row-major) into the lists.
 * `diag`: the tile is on the diagonal (r0 === c0), so only the strict upper triangle is read and
 * each pair is offered to both rows; otherwise each score goes to its row and its column.
 * `map` translates compacted positions to original row numbers (identity when null).
 */
function foldTile(
  acc: TopKRows,
  S: Float32Array,
  r0: number,
  rows: number,
  c0: number,
  cols: number,
  diag: boolean,
  map: Int32Array | null,
): void {
  const worst = acc.worst;
  // Thresholds of the columns, copied into a dense local array for a sequential scan.
  const colWorst = new Float32Array(cols);
  const colId = new Int32Array(cols);
  for (let c = 0; c < cols; c++) {
    colId[c] = map ? map[c0 + c] : c0 + c;
    colWorst[c] = worst[colId[c]];
  }
  for (let r = 0; r < rows; r++) {
    const rowId = map ? map[r0 + r] : r0 + r;
    let rw = worst[rowId];
    const off = r * cols;
    const cStart = diag ? r + 1 : 0;
    for (let c = cStart; c < cols; c++) {
      const v = S[off + c];
      if (v >= rw) {
        acc.offer(rowId, colId[c], v);
        rw = worst[rowId];
      }
      if (v >= colWorst[c]) {
        acc.offer(colId[c], rowId, v);
        colWorst[c] = worst[colId[c]];
      }
    }
  }
}

/** Exact top-k through onnxruntime GEMM tiles. Arguments are assumed checked. */
export async function topKOnnx(
  vectors: Float32Array,
  n: number,
  dim: number,
  k: number,
  opts: OnnxKnnOptions = {},
): Promise<Neighbors> {
  const { valid } = opts;
  const acc = new TopKRows(n, k);
  // Compact valid rows so tiles never see skipped samples (only copies when some are invalid).
  let X = vectors;
  let m = n;
  let map: Int32Array | null = null;
  if (valid) {
    let count = 0;
    for (let i = 0; i < n; i++) if (valid[i] !== 0) count++;
    if (count < n) {
      map = new Int32Array(count);
      X = new Float32Array(count * dim);
      for (let i = 0, j = 0; i < n; i++) {
        if (valid[i] === 0) continue;
        map[j] = i;
        X.set(vectors.subarray(i * dim, (i + 1) * dim), j * dim);
        j++;
      }
      m = count;
    }
  }
  if (k > 0 && m > 1) {
    const T = Math.max(1, Math.min(opts.blockRows ?? 4096, m));
    const session = await gemmSession(dim, opts.threads);
    const tiles = Math.ceil(m / T);
    const total = (tiles * (tiles + 1)) / 2;
    let done = 0;
    // One output buffer reused for every tile: onnxruntime writes into it directly.
    const out = new Float32Array(T * T);
    for (let bi = 0; bi < tiles; bi++) {
      const r0 = bi * T;
      const rows = Math.min(T, m - r0);
      const A = new ort.Tensor('float32', X.subarray(r0 * dim, (r0 + rows) * dim), [rows, dim]);
      for (let bj = bi; bj < tiles; bj++) {
        const c0 = bj * T;
        const cols = Math.min(T, m - c0);
        const B = bj === bi ? A : new ort.Tensor('float32', X.subarray(c0 * dim, (c0 + cols) * dim), [cols, dim]);
        const S = out.subarray(0, rows * cols);
        await session.run({ A, B }, { S: new ort.Tensor('float32', S, [rows, cols]) });
        foldTile(acc, S, r0, rows, c0, cols, bi === bj, map);
        done++;
        opts.onProgress?.(done, total);
      }
    }
  }
  const nb = acc.toNeighbors();
  finishInvalidRows(nb, valid);
  return nb;
}
