/**
 * Worker thread for the tiled top-k: one single-threaded onnxruntime session, the shared matrix
 * (a SharedArrayBuffer, never copied per tile), and a loop computing the tiles it is sent.
 * Several of these run side by side: no barrier between threads inside a GEMM, so a thread that
 * the OS pauses (a shared machine) delays only its own tile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BlockReader, createGemmSession, runTile, type TileJob } from './knn-tile';

interface Init {
  buffer: SharedArrayBuffer;
  n: number;
  dim: number;
  k: number;
  tile: number;
}

const init = workerData as Init;
const X = new Float32Array(init.buffer, 0, init.n * init.dim);
const out = new Float32Array(init.tile * init.tile);
const readers = { a: new BlockReader(X, init.dim), b: new BlockReader(X, init.dim) };
const sessionReady = createGemmSession(init.dim, 1);

parentPort!.on('message', async (job: TileJob & { id: number }) => {
  try {
    const session = await sessionReady;
    const c = await runTile(session, readers, init.k, job, out);
    parentPort!.postMessage({ id: job.id, ...c }, [c.rowIdx.buffer, c.rowScore.buffer, c.colIdx.buffer, c.colScore.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
