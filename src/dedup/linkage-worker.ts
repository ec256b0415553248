// Worker thread of src/dedup/linkage.ts: builds the single-linkage order off the kernel's thread.
import { parentPort, workerData } from 'node:worker_threads';
import { singleLinkageOrder, linkageInputOf, type LinkageWorkerData } from './linkage';

try {
  const d = workerData as LinkageWorkerData;
  const l = singleLinkageOrder('input' in d ? d.input : linkageInputOf(d.lists, d.valid, d.exactGroups));
  parentPort!.postMessage(l, [l.order.buffer, l.height.buffer]);
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
