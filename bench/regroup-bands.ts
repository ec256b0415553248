// Would an incremental slider step (recompute only what changed between the old and the new
// threshold) pay on the explorer bench's data? For each of the bench's 20 steps at 1,000,000 rows:
// the list entries whose score lies between the two thresholds, and the grouped rows (at the lower
// threshold) whose group holds one of them — what an exact incremental step would have to revisit.
// Also prints the CPU time of Regrouper.step at each threshold. Run after `npm run bench -- explorer --prep-only`:
//   nice -n 10 node --import tsx bench/regroup-bands.ts [--n 1000000]
// Not a *.bench.ts: `npm run bench` does not run it.
import { build1m } from './lib/explorer-input';

async function main() {
  const i = process.argv.indexOf('--n');
  const s = await build1m(i >= 0 ? Number(process.argv[i + 1]) : 1_000_000);
  const { Regrouper } = await import('../src/dedup/regroup');
  const { keepRank } = await import('../src/widgets/explorer/source');
  const N = s.neighbors.n;
  const { k, indices, scores } = s.neighbors;
  const opts: any = { keep: 'first', splits: s.splits, labels: s.labels, valid: s.valid, exactGroups: s.exactGroups };
  const rg = new Regrouper(s.neighbors, opts, keepRank('first', N, opts)!);
  const STEPS = [0.95, 0.94, 0.93, 0.96, 0.97, 0.98, 0.92, 0.91, 0.9, 0.95, 0.99, 0.965, 0.955, 0.945, 0.935, 0.925, 0.975, 0.985, 0.915, 0.905, 0.95];
  const cpu = () => process.cpuUsage().user / 1000;
  for (let q = 1; q < STEPS.length; q++) {
    const c0 = cpu();
    rg.step(STEPS[q]);
    const stepCpu = cpu() - c0;
    const lo = Math.fround(Math.min(STEPS[q - 1], STEPS[q]));
    const hi = Math.fround(Math.max(STEPS[q - 1], STEPS[q]));
    const g = rg.step(lo);
    const mark = new Uint8Array(g.keepers.length);
    let band = 0;
    for (let r = 0; r < N; r++) {
      for (let j = 0; j < k; j++) {
        const sc = scores[r * k + j];
        if (!(sc >= lo)) break;
        if (sc < hi && indices[r * k + j] >= 0 && g.group_id[r] >= 0) {
          mark[g.group_id[r]] = 1;
          band++;
        }
      }
    }
    let rows = 0;
    for (let x = 0; x < mark.length; x++) if (mark[x]) rows += g.offsets[x + 1] - g.offsets[x];
    console.log(`${STEPS[q - 1]} -> ${STEPS[q]}: step CPU ${stepCpu.toFixed(1)} ms; grouped at ${STEPS[q - 1] < STEPS[q] ? STEPS[q - 1] : STEPS[q]}: ${g.counts.flagged} rows; list entries between the thresholds: ${band}; grouped rows in a group holding one: ${rows} (${((100 * rows) / Math.max(1, g.counts.flagged)).toFixed(0)}%)`);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
