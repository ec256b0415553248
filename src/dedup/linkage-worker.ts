// Worker thread of src/dedup/linkage.ts: builds the single-linkage order off the kernel's thread.
import { parentPort, workerData } from 'node:worker_threads';
import { singleLinkageOrder, type LinkageInput } from './linkage';

try {
  const l = singleLinkageOrder(workerData as LinkageInput);
  parentPort!.postMessage(l, [l.order.buffer, l.height.buffer]);
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
