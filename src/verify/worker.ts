/**
 * Worker thread of the verification (see `./pool.ts`): loads its own OpenCV (WebAssembly), then runs
 * the tasks it is sent on the shared image store and answers with one result per item.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImageStore, TaskRunner, type ItemResult, type Task } from './tasks';
import type { OrbFeatures } from './geometric';
import type { WorkerInit } from './pool';

const init = workerData as WorkerInit;
const runner = new TaskRunner(new ImageStore(init.buffers), init.settings);

type ToWorker = { id: number; task: Task } | { features: { flipped: boolean; entries: [number, OrbFeatures][] } };

runner.ready().then(
  () => {
    parentPort!.on('message', (msg: ToWorker) => {
      if ('features' in msg) {
        runner.addFeatures(msg.features.flipped, msg.features.entries);
        return;
      }
      let results: ItemResult[];
      try {
        results = runner.run(msg.task);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        results = new Array((msg.task.kind === 'prepare' || msg.task.kind === 'orb' ? msg.task.slots : msg.task.pairs).length).fill({ error });
      }
      parentPort!.postMessage({ id: msg.id, results });
    });
    parentPort!.postMessage({ ready: true });
  },
  (err: Error) => parentPort!.postMessage({ loadError: err.message }),
);
