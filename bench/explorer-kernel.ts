// The explorer's kernel side at scale, in node, without a browser: the same input as
// `npm run bench -- explorer --n N` (the real Fashion-MNIST neighbours from out/explorer-bench/,
// repeated block after block by bench/lib/replicate.ts), then
// - explore(): the constructor's parts (id index, categories, keep rank, max similarity, histogram,
//   first grouping) and the first paint's kernel work (static picture, first page);
// - slider steps: each threshold of the browser bench's sequence, timed as the kernel does it on a
//   `change:threshold` (regroup + tags + counts) and then the first page of cards it serves.
// Prints a breakdown per function and the median step. Run after `npm run bench -- explorer --prep-only`:
//   nice -n 10 node --import tsx bench/explorer-kernel.ts --n 1000000 [--reference]
// `--sample`: the bundled 3,000-image sample's scan repeated instead (`npm run bench -- explorer --sample --prep-only`).
// `--reference` also times the reference regroup (groupAtThreshold + decide) at the same thresholds.
// `--synthetic`: random lists in clusters of 4 (no scan needed, no pixels) for a quick look.
// Not a *.bench.ts on purpose: `npm run bench -- explorer` runs the browser bench only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SPEC = process.argv.includes('--sample') ? 'sample' : 'fashion-mnist';
const CACHE = join(__dirname, '..', 'out', 'explorer-bench', `${SPEC}-s96-k10`);
const THRESHOLD = 0.95;
const STEPS = [0.94, 0.93, 0.96, 0.97, 0.98, 0.92, 0.91, 0.9, 0.95, 0.99, 0.965, 0.955, 0.945, 0.935, 0.925, 0.975, 0.985, 0.915, 0.905, 0.95];
const ms = (x: number) => `${x.toFixed(1)} ms`;
let groupBest: any;
let pages: any;
let visibleGroups: any;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { loadDataset, explore } = await import('../src');
  const { getCommManager } = await import('../src/kernel/comm');
  const { groupAtThreshold } = await import('../src/dedup/groups');
  const { decide } = await import('../src/widgets/explorer/decide');
  pages = await import('../src/widgets/explorer/pages');
  groupBest = pages.groupBest;
  visibleGroups = pages.visibleGroups;
  const { replicateNeighbors, replicateColumn, replicateList } = await import('./lib/replicate');
  const mgr = getCommManager();
  let sent = 0;
  mgr.transport = { send: () => void sent++, display: () => {}, currentParentMsgId: () => '', log: () => {} };
  if (process.argv.includes('--synthetic')) return run(synthetic(Number(arg('--n') ?? 1_000_000)), explore, groupAtThreshold, decide, () => sent);
  const meta = JSON.parse(readFileSync(join(CACHE, 'meta.json'), 'utf8'));
  const bytes = (f: string) => {
    const b = readFileSync(join(CACHE, f));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  const N = Number(arg('--n') ?? meta.n);
  const ds = await loadDataset(SPEC);
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
  return run(source, explore, groupAtThreshold, decide, () => sent);
}

/**
 * Random k-NN lists (no pixels) shaped like a real result: rows come in clusters of 4; in 15% of
 * the clusters the members are near-duplicates (0.88-1.0), the other neighbours are random rows
 * below 0.9.
 */
function synthetic(n: number): any {
  const k = 10;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  const dup = new Uint8Array(Math.ceil(n / 4)).map(() => (rand() < 0.15 ? 1 : 0));
  for (let i = 0; i < n; i++) {
    const c = i >> 2;
    const list: Array<[number, number]> = [];
    for (let m = c * 4; m < Math.min(n, c * 4 + 4); m++) if (m !== i) list.push([m, dup[c] ? 0.88 + 0.12 * rand() : 0.5 + 0.4 * rand()]);
    while (list.length < k) list.push([Math.floor(rand() * n), 0.5 + 0.4 * rand()]);
    list.sort((x, y) => y[1] - x[1]);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = list[j][0];
      scores[i * k + j] = list[j][1];
    }
  }
  const ids = Array.from({ length: n }, (_, i) => `synthetic/${String(i).padStart(7, '0')}.png`);
  const splits = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 'test' : 'train'));
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  return { ids, neighbors: { n, k, indices, scores }, splits, labels, labelNames: labels.map(String) };
}

async function run(source: any, explore: any, groupAtThreshold: any, decide: any, sentCount: () => number) {
  const N = source.ids.length;
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`${N.toLocaleString('en-US')} samples, k = ${source.neighbors.k}; load average ${load()}`);

  // First paint, kernel side: the constructor's parts one by one (as the constructor calls them),
  // then explore() as a whole and the display bundle (static picture + first page).
  const src = await import('../src/widgets/explorer/source');
  const { Regrouper } = await import('../src/dedup/regroup');
  for (let r = 0; r < 2; r++) {
    const parts: string[] = [];
    const time = (name: string, f: () => any) => {
      const a0 = performance.now();
      const v = f();
      parts.push(`${name} ${ms(performance.now() - a0)}`);
      return v;
    };
    const opts = { keep: 'first', method: 'components', splits: source.splits, labels: source.labels, valid: source.valid, exactGroups: source.exactGroups };
    time('id index (kernel mode: on first need)', () => src.checkSource(source));
    const rank = time('keepRank', () => src.keepRank('first', N, opts as any));
    time('splits', () => src.encodeCategories(source.splits, N));
    time('labels', () => src.encodeCategories(source.labels, N, source.labelNames));
    const maxSim = time('maxSimilarity', () => src.sourceMaxSimilarity(source));
    time('histogram', () => pages.histogramBins(maxSim, 100));
    const rg = time('new Regrouper', () => new Regrouper(source.neighbors, opts, rank));
    time('first regroup', () => rg.at(THRESHOLD));
    console.log(`explore() parts (${r ? 'warm' : 'cold'}): ${parts.join(', ')}`);
    const t0 = performance.now();
    const w = explore(source, { threshold: THRESHOLD, browserCompute: false });
    const t1 = performance.now();
    w._repr_mimebundle_();
    await w.staticHtml(); // the work itself (the kernel first waits for the view, up to 1 s)
    const t2 = performance.now();
    console.log(`first paint, kernel side (${r ? 'warm' : 'cold'}): explore() ${ms(t1 - t0)} + display bundle (static picture, first page) ${ms(t2 - t1)}`);
    if (r === 1) {
      // Slider steps as the kernel runs them: set threshold (regroup, tags, counts), then the page.
      const step: number[] = [];
      const page: number[] = [];
      const cpu: number[] = [];
      const parts: Record<string, number[]> = {};
      const cpuMs = () => process.cpuUsage().user / 1000; // CPU time of this process: less sensitive to the load than wall time
      for (const t of STEPS) {
        // Each step in its own turn of the event loop, as the kernel handles one comm message at a time:
        // the single-linkage order's worker can deliver in between (a synchronous loop never let it).
        await new Promise((res) => setImmediate(res));
        const c0 = cpuMs();
        const a = performance.now();
        w.threshold = t;
        const b = performance.now();
        (w as any).page({ filter: 'flagged', search: '', page: 0, page_size: 12, expanded: [] });
        const c = performance.now();
        cpu.push(cpuMs() - c0);
        step.push(b - a);
        page.push(c - b);
        // The parts, at the same threshold (the explorer's private pieces, as recompute() and page() call them).
        const x = w as any;
        const time = (name: string, f: () => any) => {
          const a0 = performance.now();
          const r = f();
          (parts[name] ??= []).push(performance.now() - a0);
          return r;
        };
        const g = time('regroup', () => (x.regrouper ? x.regrouper.step(t) : groupAtThreshold(source.neighbors, t, x.opts)));
        time('decide', () => decide(g.group_id, g.keepers.length, g.is_duplicate, new Map(), x.rank, x.splitCodes, g.members));
        time('groupBest', () => groupBest(x.current, x.maxSim));
        time('groupFlags', () => x.groupFlags());
        const s = time('pageState', () => x.pageState());
        const list = time('visibleGroups', () => visibleGroups(s, 'flagged', ''));
        time('cards(12)', () => Array.from(list.subarray(0, 12)).map((gi: number) => x.withState(s, x.cardsOf([gi], 5)[0])));
      }
      console.log(`slider step, kernel side (${STEPS.length} steps): regroup + counts median ${ms(median(step))} (max ${ms(Math.max(...step))}), first page median ${ms(median(page))} (max ${ms(Math.max(...page))}), total median ${ms(median(step.map((s, i) => s + page[i])))}`);
      console.log(`  CPU time of a step (regroup + counts + first page), this process: median ${ms(median(cpu))}, max ${ms(Math.max(...cpu))}`);
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
  console.log(`load average ${load()}, ${sentCount()} comm messages`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
