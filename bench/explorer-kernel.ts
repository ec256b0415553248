// The explorer's kernel side at scale, in node, without a browser: the same input as
// `npm run bench -- explorer --n N` (the real Fashion-MNIST neighbours from out/explorer-bench/,
// repeated block after block by bench/lib/replicate.ts), then
// - explore(): the constructor's parts (id index, categories, keep rank, max similarity, histogram,
//   first grouping) and the first paint's kernel work (static picture, first page);
// - slider steps: each threshold of the browser bench's sequence, timed as the kernel does it on a
//   `change:threshold` (regroup + tags + counts) and then the first page of cards it serves.
// Prints a breakdown per function and the median step. Run after `npm run bench -- explorer --prep-only`:
//   nice -n 10 node --import tsx bench/explorer-kernel.ts --n 1000000 [--reference]
// `--reference` also times the reference regroup (groupAtThreshold + decide) at the same thresholds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CACHE = join(__dirname, '..', 'out', 'explorer-bench', 'fashion-mnist-s96-k10');
const THRESHOLD = 0.95;
const STEPS = [0.94, 0.93, 0.96, 0.97, 0.98, 0.92, 0.91, 0.9, 0.95, 0.99, 0.965, 0.955, 0.945, 0.935, 0.925, 0.975, 0.985, 0.915, 0.905, 0.95];
const ms = (x: number) => `${x.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { loadDataset, explore } = await import('../src');
  const { getCommManager } = await import('../src/kernel/comm');
  const { groupAtThreshold } = await import('../src/dedup/groups');
  const { decide } = await import('../src/widgets/explorer/decide');
  const { replicateNeighbors, replicateColumn, replicateList } = await import('./lib/replicate');
  const mgr = getCommManager();
  let sent = 0;
  mgr.transport = { send: () => void sent++, display: () => {}, currentParentMsgId: () => '', log: () => {} };
  const meta = JSON.parse(readFileSync(join(CACHE, 'meta.json'), 'utf8'));
  const bytes = (f: string) => {
    const b = readFileSync(join(CACHE, f));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  const N = Number(arg('--n') ?? meta.n);
  const ds = await loadDataset('fashion-mnist');
  const col = (c: string) => (ds.df as any)[c].values as any[];
  const nb0 = { n: meta.n, k: meta.k, indices: new Int32Array(bytes('indices.bin')), scores: new Float32Array(bytes('scores.bin')) };
  const big = N > meta.n;
  const rep = <T,>(a: T[], f?: (v: T, c: number) => T) => (big ? replicateList(a, N, f) : a);
  const px = ds.pixels as any;
  const source: any = {
    ids: rep(col('id').map(String), (id, c) => (c ? `${c}:${id}` : id)),
    neighbors: big ? replicateNeighbors(nb0, N) : nb0,
    splits: rep(col('split')),
    labels: rep(col('label')),
    labelNames: rep(col('label_name')),
    valid: big ? replicateColumn(new Uint8Array(bytes('valid.bin')), N) : new Uint8Array(bytes('valid.bin')),
    exactGroups: big ? replicateColumn(new Int32Array(bytes('exact.bin')), N, meta.n) : new Int32Array(bytes('exact.bin')),
    dataset: big ? { ...ds, pixels: { ...px, data: replicateColumn(px.data, N * px.width * px.height * px.channels) } } : ds,
  };
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`${N.toLocaleString('en-US')} samples, k = ${meta.k}; load average ${load()}`);

  // First paint, kernel side: explore() (the constructor's parts are timed through globalThis.__ndTimes
  // when the explorer records them), then the display bundle (static picture + first page).
  for (let r = 0; r < 2; r++) {
    (globalThis as any).__ndTimes = {};
    const t0 = performance.now();
    const w = explore(source, { threshold: THRESHOLD, browserCompute: false });
    const t1 = performance.now();
    await (w as any)._repr_mimebundle_async_();
    const t2 = performance.now();
    const parts = Object.entries((globalThis as any).__ndTimes as Record<string, number>).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
    console.log(`first paint, kernel side (${r ? 'warm' : 'cold'}): explore() ${ms(t1 - t0)} [${parts}] + display bundle (static picture, first page) ${ms(t2 - t1)}`);
    if (r === 1) {
      // Slider steps as the kernel runs them: set threshold (regroup, tags, counts), then the page.
      const step: number[] = [];
      const page: number[] = [];
      const parts: Record<string, number[]> = {};
      for (const t of STEPS) {
        (globalThis as any).__ndTimes = {};
        const a = performance.now();
        w.threshold = t;
        const b = performance.now();
        (w as any).page({ filter: 'flagged', search: '', page: 0, page_size: 12, expanded: [] });
        const c = performance.now();
        step.push(b - a);
        page.push(c - b);
        for (const [k, v] of Object.entries((globalThis as any).__ndTimes as Record<string, number>)) (parts[k] ??= []).push(v);
      }
      console.log(`slider step, kernel side (${STEPS.length} steps): regroup + counts median ${ms(median(step))} (max ${ms(Math.max(...step))}), first page median ${ms(median(page))} (max ${ms(Math.max(...page))}), total median ${ms(median(step.map((s, i) => s + page[i])))}`);
      console.log(`  parts (median): ${Object.entries(parts).map(([k, v]) => `${k} ${ms(median(v))}`).join(', ')}`);
      console.log(`  at 0.95: ${JSON.stringify(w.counts)}`);
      if (process.argv.includes('--reference')) {
        const ref: number[] = [];
        const refDecide: number[] = [];
        const rank = Int32Array.from({ length: N }, (_, i) => i);
        const splitCodes = new Int32Array(N);
        for (const t of STEPS) {
          const a = performance.now();
          const g = groupAtThreshold(source.neighbors, t, { splits: source.splits, labels: source.labels, valid: source.valid, exactGroups: source.exactGroups });
          const b = performance.now();
          decide(g.group_id, g.keepers.length, g.is_duplicate, new Map(), rank, splitCodes);
          refDecide.push(performance.now() - b);
          ref.push(b - a);
        }
        console.log(`reference: groupAtThreshold median ${ms(median(ref))} (max ${ms(Math.max(...ref))}), decide median ${ms(median(refDecide))}`);
      }
    }
    w.close();
  }
  console.log(`load average ${load()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
