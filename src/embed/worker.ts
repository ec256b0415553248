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
import { NeardupError } from '../errors';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'load') {
      // A second session (e.g. the model with a pixel head) comes as model bytes under its own key.
      const session = await ort.InferenceSession.create(msg.bytes ?? workerData.modelPath, workerData.sessionOptions);
      sessions.set(msg.key, session);
      parentPort.postMessage({ id: msg.id, inputNames: session.inputNames, outputNames: session.outputNames });
    } else if (msg.type === 'run') {
      const session = sessions.get(msg.key);
      const data = msg.dtype === 'uint8' ? new Uint8Array(msg.buffer, 0, msg.length) : new Float32Array(msg.buffer, 0, msg.length);
      const input = new ort.Tensor(msg.dtype, data, msg.dims);
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
    } else if (msg.type === 'unload') {
      const session = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (session) await session.release();
      parentPort.postMessage({ id: msg.id });
    } else if (msg.type === 'release') {
      for (const session of sessions.values()) await session.release();
      sessions.clear();
      parentPort.postMessage({ id: msg.id });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err && err.message || err), buffer: msg.buffer }, msg.buffer ? [msg.buffer] : []);
  }
});
`;

const MAIN_SESSION = 'main';

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

  /** Starts the thread and loads the model file, or `bytes` in its place (a model built in memory). */
  static async create(modelPath: string, sessionOptions: object, bytes?: Uint8Array): Promise<InferenceWorker> {
    const w = new InferenceWorker(modelPath, sessionOptions);
    const meta = await w.request({ type: 'load', key: MAIN_SESSION, bytes });
    w.inputNames = meta.inputNames;
    w.outputNames = meta.outputNames;
    return w;
  }

  /** Loads another model, given as bytes, into a second session on the same thread under `key`. */
  async loadExtra(key: string, bytes: Uint8Array): Promise<{ inputNames: string[]; outputNames: string[] }> {
    if (key === MAIN_SESSION) throw new NeardupError(`session key ${key} is reserved`, 'invalid_argument');
    return this.request({ type: 'load', key, bytes });
  }

  /** Releases the session loaded under `key`. */
  async unload(key: string): Promise<void> {
    await this.request({ type: 'unload', key });
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
   * Runs a session (default the main one) on the first `length` elements of `buffer`, float32
   * unless `dtype` says uint8 (transferred to the worker and handed back in the result, so callers
   * can reuse it).
   */
  async run(
    input: string,
    buffer: ArrayBuffer,
    length: number,
    dims: number[],
    outputs: string[],
    opts: { key?: string; dtype?: 'float32' | 'uint8' } = {},
  ): Promise<{ outputs: WorkerOutputs; buffer: ArrayBuffer }> {
    const msg = { type: 'run', key: opts.key ?? MAIN_SESSION, dtype: opts.dtype ?? 'float32', input, buffer, length, dims, outputs };
    const res = await this.request(msg, [buffer]);
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
