/**
 * Runs onnxruntime inference on a worker thread.
 *
 * onnxruntime-node's `session.run` executes synchronously on the calling thread, so running it on
 * the main thread would stall decoding and preprocessing. On a worker, the next batch is prepared
 * while the current one runs, and end-to-end speed approaches inference speed.
 *
 * The worker source is a small CommonJS string (evaluated by `new Worker(..., { eval: true })`) so
 * it works the same from `dist/` and from TypeScript sources under tsx.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'load') {
      session = await ort.InferenceSession.create(workerData.modelPath, workerData.sessionOptions);
      parentPort.postMessage({ id: msg.id, inputNames: session.inputNames, outputNames: session.outputNames });
    } else if (msg.type === 'run') {
      const input = new ort.Tensor('float32', new Float32Array(msg.buffer, 0, msg.length), msg.dims);
      const res = await session.run({ [msg.input]: input }, msg.outputs);
      const outputs = {};
      const transfer = [msg.buffer];
      for (const name of msg.outputs) {
        const t = res[name];
        const data = Float32Array.from(t.data);
        outputs[name] = { data, dims: t.dims };
        transfer.push(data.buffer);
      }
      parentPort.postMessage({ id: msg.id, outputs, buffer: msg.buffer }, transfer);
    } else if (msg.type === 'release') {
      if (session) await session.release();
      parentPort.postMessage({ id: msg.id });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err && err.message || err), buffer: msg.buffer }, msg.buffer ? [msg.buffer] : []);
  }
});
`;

export interface WorkerOutputs {
  [name: string]: { data: Float32Array; dims: number[] };
}

/** A session living on a worker thread. Keeps the process alive only while requests are pending. */
export class InferenceWorker {
  private worker: Worker;
  private nextId = 0;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  inputNames: string[] = [];
  outputNames: string[] = [];

  private constructor(modelPath: string, sessionOptions: object) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath: require.resolve('onnxruntime-node'), modelPath, sessionOptions },
    });
    this.worker.unref();
    this.worker.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.error) {
        const err = new Error(msg.error) as Error & { buffer?: ArrayBuffer };
        err.buffer = msg.buffer;
        p.reject(err);
      } else p.resolve(msg);
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  static async create(modelPath: string, sessionOptions: object): Promise<InferenceWorker> {
    const w = new InferenceWorker(modelPath, sessionOptions);
    const meta = await w.request({ type: 'load' });
    w.inputNames = meta.inputNames;
    w.outputNames = meta.outputNames;
    return w;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private request(msg: object, transfer: ArrayBuffer[] = []): Promise<any> {
    const id = this.nextId++;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Runs the model on the first `length` floats of `buffer` (transferred to the worker and handed
   * back in the result, so callers can reuse it).
   */
  async run(input: string, buffer: ArrayBuffer, length: number, dims: number[], outputs: string[]): Promise<{ outputs: WorkerOutputs; buffer: ArrayBuffer }> {
    const res = await this.request({ type: 'run', input, buffer, length, dims, outputs }, [buffer]);
    return { outputs: res.outputs, buffer: res.buffer };
  }

  async release(): Promise<void> {
    try {
      await this.request({ type: 'release' });
    } finally {
      await this.worker.terminate();
    }
  }
}
