/**
 * Runs the verification's tasks (`./tasks.ts`) on worker threads, or on the calling thread when asked
 * for none. Each worker holds its own OpenCV (WebAssembly) instance and reads the images from the
 * shared store; chunks of items go to whichever worker is free. Results come back in item order, and
 * every item is a pure function of its inputs, so the evidence does not depend on the number of
 * workers nor on which one ran what (test/verify/verify-workers.test.ts).
 *
 * Failure: an item that throws gives an `{ error }` result (the pair stays unconfirmed). A worker
 * that dies takes only its chunk in flight with it (those items get an error); the others go on, and
 * when none is left the rest runs on the calling thread. {@link TaskPool.close} terminates every worker,
 * so a scan leaves no thread behind (the CLI exits, the kernel keeps no busy threads).
 */
import { Worker } from 'node:worker_threads';
import { extname, join } from 'node:path';
import { NeardupError } from '../errors';
import type { OrbFeatures } from './geometric';
import { ImageStore, TaskRunner, type CheckSettings, type ItemResult, type StoreBuffers, type Task } from './tasks';

/** What a worker thread is started with. */
export interface WorkerInit {
  buffers: StoreBuffers;
  settings: CheckSettings;
}

type FromWorker = { ready: true } | { loadError: string } | { id: number; results: ItemResult[] };

function workerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  const file = join(__dirname, `worker${ext}`);
  return ext === '.ts' ? { file, execArgv: ['--require', require.resolve('tsx/cjs')] } : { file, execArgv: [] };
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: { id: number; size: number } | null;
  alive: boolean;
  onResult: ((msg: { id: number; results: ItemResult[] }) => void) | null;
  onDeath: ((reason: string) => void) | null;
}

/** A pool of `workers` threads (0: the calling thread) sharing one {@link ImageStore}. */
export class TaskPool {
  private readonly slots: Slot[] = [];
  /** Runs tasks here when there are no workers (or none left); its features mirror every broadcast. */
  private readonly local: TaskRunner;
  private nextId = 0;

  constructor(readonly store: ImageStore, settings: CheckSettings, workers: number) {
    this.local = new TaskRunner(store, settings);
    const { file, execArgv } = workers > 0 ? workerEntry() : { file: '', execArgv: [] };
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(file, { execArgv, workerData: { buffers: store.buffers, settings } satisfies WorkerInit });
      const slot: Slot = { worker, ready: Promise.resolve(), busy: null, alive: true, onResult: null, onDeath: null };
      slot.ready = new Promise<void>((resolve, reject) => {
        const die = (reason: string) => {
          if (!slot.alive) return;
          slot.alive = false;
          reject(new NeardupError(`verification worker failed to start: ${reason}`, 'unsupported'));
          slot.onDeath?.(reason);
        };
        worker.on('message', (msg: FromWorker) => {
          if ('ready' in msg) resolve();
          else if ('loadError' in msg) { die(msg.loadError); void worker.terminate(); }
          else slot.onResult?.(msg);
        });
        worker.on('error', (err) => die(err.message));
        worker.on('exit', (code) => die(`exited with code ${code}`));
      });
      slot.ready.catch(() => undefined); // observed by ready() / map(); never an unhandled rejection
      this.slots.push(slot);
    }
  }

  /** Number of worker threads started (0: everything runs on the calling thread). */
  get workers(): number {
    return this.slots.length;
  }

  /**
   * Waits until every worker has loaded OpenCV (or, without workers, loads it here).
   * @throws NeardupError (`unsupported`) when OpenCV cannot load.
   */
  async ready(): Promise<void> {
    if (!this.slots.length) return this.local.ready();
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** Hands ORB features to every thread (the match tasks read them). */
  shareFeatures(flipped: boolean, entries: [number, OrbFeatures][]): void {
    this.local.addFeatures(flipped, entries);
    for (const s of this.slots) if (s.alive) s.worker.postMessage({ features: { flipped, entries } });
  }

  /**
   * Runs `make(chunk)` over `items` in chunks of `chunk`, on whichever thread is free; resolves with one
   * result per item, in item order. `onChunk` sees each chunk's results as they arrive.
   */
  async map<I>(items: I[], chunk: number, make: (part: I[]) => Task, onChunk?: (start: number, results: ItemResult[]) => void): Promise<ItemResult[]> {
    const out: ItemResult[] = new Array(items.length);
    const starts: number[] = [];
    for (let i = 0; i < items.length; i += chunk) starts.push(i);
    let next = 0;
    const take = (): number | null => (next < starts.length ? starts[next++] : null);
    const finish = (start: number, results: ItemResult[]) => {
      for (let j = 0; j < results.length; j++) out[start + j] = results[j];
      onChunk?.(start, results);
    };
    const part = (start: number) => items.slice(start, start + chunk);

    const alive = this.slots.filter((s) => s.alive);
    await Promise.all(alive.map((s) => new Promise<void>((resolve) => {
      let current: number | null = null;
      const send = () => {
        current = take();
        if (current === null) { s.onResult = s.onDeath = null; resolve(); return; }
        s.busy = { id: this.nextId++, size: Math.min(chunk, items.length - current) };
        s.worker.postMessage({ id: s.busy.id, task: make(part(current)) });
      };
      s.onResult = (msg) => {
        if (!s.busy || msg.id !== s.busy.id || current === null) return;
        s.busy = null;
        finish(current, msg.results);
        send();
      };
      s.onDeath = (reason) => {
        // Only the chunk in flight is lost; its pairs stay unconfirmed. The other threads go on.
        if (current !== null && s.busy) finish(current, new Array(s.busy.size).fill({ error: `verification worker died: ${reason}` }));
        s.busy = null;
        s.onResult = s.onDeath = null;
        resolve();
      };
      s.ready.then(send, (err: Error) => s.onDeath?.(err.message));
    })));

    // No worker (asked for none, or all died): the rest here, yielding between chunks.
    let start: number | null;
    while ((start = take()) !== null) {
      const task = make(part(start));
      if (task.kind === 'orb' || task.kind === 'match') await this.local.ready();
      finish(start, this.local.run(task));
      await new Promise((r) => setImmediate(r));
    }
    return out;
  }

  /** Terminates every worker (idempotent). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map(async (s) => {
      s.alive = false;
      await s.worker.terminate();
    }));
  }
}
