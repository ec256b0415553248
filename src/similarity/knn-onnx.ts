/**
 * Fast exact top-k on CPU: onnxruntime's GEMM (MLAS) computes one similarity tile S = A·Bᵀ at a
 * time and a threshold scan keeps each tile's best k per row and per column; the main thread
 * merges those small candidate lists into the running top-k of every row.
 *
 * Why this shape:
 * - The similarity matrix is symmetric, so only tiles on or above the diagonal are computed:
 *   half the multiply-adds of a plain blocked matmul, and every score feeds two rows.
 * - Memory: the O(n·k) lists, one tile (tile² floats: 16 MiB at 2,048; one per worker in
 *   'tiles' mode) and, when some rows are skipped or workers need shared memory, one compacted
 *   copy of the rows. The n×n matrix never exists.
 * - Parallelism: 'gemm' (default) gives all threads to one GEMM at a time; 'tiles' runs whole
 *   tiles single-threaded on worker threads (no barrier inside a GEMM, selection in parallel,
 *   main thread free). Both give identical results; 'gemm' used less CPU in our measurements.
 * - Selection is a threshold scan against the global k-th best so far (a valid lower bound
 *   even when stale), so after the first tiles nearly every score costs one comparison.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import type { Neighbors } from '../types';
import { TopKRows } from './topk-rows';
import { finishInvalidRows } from './knn-args';
import { BlockReader, createGemmSession, runTile, type TileCandidates, type TileJob } from './knn-tile';

export interface OnnxKnnOptions {
  valid?: Uint8Array;
  /** Tile side in rows (default DEFAULT_BLOCK_ROWS). */
  blockRows?: number;
  /** Threads (default: the number of cores). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  /** 'tiles': worker threads, each computing whole tiles single-threaded; 'gemm': one in-process session whose GEMM uses all threads. */
  parallelism?: 'tiles' | 'gemm';
}

/**
 * Defaults chosen by measurement on the 2-core machine (docs/similarity.md): one multi-threaded
 * GEMM at a time used less CPU than whole tiles on worker threads, and 2,048-row tiles (a 16 MiB
 * tile that stays in the L3 cache, and less wasted work on the diagonal) no less than 4,096.
 */
export const DEFAULT_PARALLELISM: 'tiles' | 'gemm' = 'gemm';
export const DEFAULT_BLOCK_ROWS = 2048;

/** Folds one tile's candidates into the global lists; `map` turns positions into row numbers. */
function merge(acc: TopKRows, job: TileJob, c: TileCandidates, map: Int32Array | null): void {
  const k = acc.k;
  const id = (p: number) => (map ? map[p] : p);
  for (let r = 0; r < job.rows; r++) {
    const row = id(job.r0 + r);
    for (let j = 0; j < k; j++) {
      const col = c.rowIdx[r * k + j];
      if (col < 0) break;
      acc.offer(row, id(job.c0 + col), c.rowScore[r * k + j]);
    }
  }
  const ncol = c.colIdx.length / k;
  for (let q = 0; q < ncol; q++) {
    const col = id(job.c0 + q);
    for (let j = 0; j < k; j++) {
      const r = c.colIdx[q * k + j];
      if (r < 0) break;
      acc.offer(col, id(job.r0 + r), c.colScore[q * k + j]);
    }
  }
}

/** The worker's file: compiled JS next to this one, or the TypeScript source under tsx. */
function workerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  const file = join(__dirname, `knn-worker${ext}`);
  return ext === '.ts' ? { file, execArgv: ['--require', require.resolve('tsx/cjs')] } : { file, execArgv: [] };
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
  let m = n;
  let map: Int32Array | null = null;
  if (valid) {
    m = 0;
    for (let i = 0; i < n; i++) if (valid[i] !== 0) m++;
    if (m < n) {
      map = new Int32Array(m);
      for (let i = 0, j = 0; i < n; i++) if (valid[i] !== 0) map[j++] = i;
    }
  }
  if (k > 0 && m > 1) {
    const T = Math.max(1, Math.min(opts.blockRows ?? DEFAULT_BLOCK_ROWS, m));
    const threads = Math.max(1, opts.threads ?? availableParallelism());
    const blocks = Math.ceil(m / T);
    const jobs: TileJob[] = [];
    for (let bi = 0; bi < blocks; bi++) {
      for (let bj = bi; bj < blocks; bj++) {
        const r0 = bi * T;
        const c0 = bj * T;
        jobs.push({ r0, rows: Math.min(T, m - r0), c0, cols: Math.min(T, m - c0), rowFloor: new Float32Array(0), colFloor: new Float32Array(0) });
      }
    }
    // Floors are read when a tile is sent, from the merged lists so far.
    const floors = (job: TileJob) => {
      job.rowFloor = new Float32Array(job.rows);
      job.colFloor = new Float32Array(job.cols);
      for (let r = 0; r < job.rows; r++) job.rowFloor[r] = acc.worst[map ? map[job.r0 + r] : job.r0 + r];
      for (let c = 0; c < job.cols; c++) job.colFloor[c] = acc.worst[map ? map[job.c0 + c] : job.c0 + c];
    };
    let done = 0;
    const finished = (job: TileJob, c: TileCandidates) => {
      merge(acc, job, c, map);
      done++;
      opts.onProgress?.(done, jobs.length);
    };
    const workers = (opts.parallelism ?? DEFAULT_PARALLELISM) === 'tiles' ? Math.min(threads, jobs.length) : 1;
    // Rows to search, compacted (skipped samples removed) in a SharedArrayBuffer for the workers.
    const shared = workers > 1;
    let X = vectors.subarray(0, n * dim);
    if (map || (shared && !(vectors.buffer instanceof SharedArrayBuffer))) {
      X = new Float32Array(shared ? new SharedArrayBuffer(m * dim * 4) : new ArrayBuffer(m * dim * 4));
      if (map) for (let j = 0; j < m; j++) X.set(vectors.subarray(map[j] * dim, (map[j] + 1) * dim), j * dim);
      else X.set(vectors.subarray(0, n * dim));
    }
    if (!shared) {
      const session = await createGemmSession(dim, threads);
      const out = new Float32Array(T * T);
      const readers = { a: new BlockReader(X, dim), b: new BlockReader(X, dim) };
      try {
        for (const job of jobs) {
          floors(job);
          finished(job, await runTile(session, readers, k, job, out));
        }
      } finally {
        await session.release();
      }
    } else {
      await runOnWorkers(workers, X, m, dim, k, T, jobs, floors, finished);
    }
  }
  const nb = acc.toNeighbors();
  finishInvalidRows(nb, valid);
  return nb;
}

/** Hands tiles to `count` workers, next tile to whichever finishes first. */
function runOnWorkers(
  count: number,
  X: Float32Array,
  m: number,
  dim: number,
  k: number,
  T: number,
  jobs: TileJob[],
  floors: (job: TileJob) => void,
  finished: (job: TileJob, c: TileCandidates) => void,
): Promise<void> {
  const { file, execArgv } = workerEntry();
  const pool: Worker[] = [];
  let next = 0;
  let active = 0;
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const stop = (err?: Error) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of pool) void w.terminate();
      if (err) reject(err);
      else resolve();
    };
    const send = (w: Worker) => {
      if (next >= jobs.length) {
        if (active === 0) stop();
        return;
      }
      const id = next++;
      floors(jobs[id]);
      active++;
      w.postMessage({ id, ...jobs[id] });
    };
    for (let i = 0; i < count; i++) {
      const w = new Worker(file, { execArgv, workerData: { buffer: X.buffer, n: m, dim, k, tile: T } });
      pool.push(w);
      w.on('message', (msg: TileCandidates & { id: number; error?: string }) => {
        active--;
        if (msg.error) return stop(new Error(`similarity worker: ${msg.error}`));
        finished(jobs[msg.id], msg);
        send(w);
      });
      w.on('error', (e) => stop(e));
      w.on('exit', (code) => {
        if (code !== 0 && !failed && (next < jobs.length || active > 0)) stop(new Error(`similarity worker exited with code ${code}`));
      });
    }
    for (const w of pool) send(w);
  });
}
