/**
 * Where the verification's time goes, stage by stage: a folder is scanned without the check (embeddings
 * cached with `--cache`), then the check runs on the scan's candidate lists with its defaults, and each
 * stage's wall and CPU time (every thread of the process: libvips' decoding threads and the worker threads
 * included; `Verification.stages`, src/verify/index.ts) is printed with its share of the check's CPU.
 *
 *   node --import tsx bench/verify-stages.ts [--dir <folder>] [--cache <dir>] [--workers N] [--runs R] [--low]
 *
 * Folder: `--dir`, else the wallpapers family (out/eval-families/images/wallpapers). `--runs` repeats the
 * check (the process's OpenCV is loaded once, so the first run's `load` stage carries it); the figures of
 * the last run are printed with the sum over runs. `--low`: each run checks the lists twice, with the
 * lower band off and on (src/verify `LowBandOptions`, the families eval's choice: from 0.6, in either's 10
 * nearest, ≥ 50 inliers over ≥ 0.2, agreement ≥ 0.8), and prints the extra pairs and CPU of the band.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { scan } from '../src/pipeline/scan';
import { cosineOfRows } from '../src/similarity';
import { verifyCandidates, type StageCost, type LowBandOptions } from '../src/verify';

/** The lower band chosen on all families by the families eval (docs/quality.md, "A lower band"). */
const LOW: LowBandOptions = { floor: 0.6, maxRank: 10, mutual: false, minInliers: 50, minCoverage: 0.2, minAgreement: 0.8 };

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROOT = join(__dirname, '..');
const family = join(ROOT, 'out', 'eval-families', 'images', 'wallpapers');
const dir = arg('dir') ?? family;

async function main(): Promise<void> {
  if (!existsSync(dir)) throw new Error(`no folder ${dir} (give --dir)`);
  const workers = arg('workers') === undefined ? undefined : Number(arg('workers'));
  const runs = Number(arg('runs') ?? 1);
  const r = await scan(dir, { cacheDir: arg('cache') ?? false, verify: false });
  const e = r.embeddings;
  const cosineOf = (a: number, b: number) => cosineOfRows(e, a, b);
  console.log(`folder: ${dir}; ${r.dataset.df.shape[0]} images; CPU: ${cpus()[0]?.model} × ${cpus().length}; workers ${workers ?? 'default'}`);
  const sum = new Map<string, StageCost>();
  let last: StageCost[] = [];
  for (let run = 0; run < runs; run++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const v = await verifyCandidates(r.dataset, r.neighbors, cosineOf, r.valid, { ...(workers === undefined ? {} : { workers }), low: false });
    const u = process.cpuUsage(c);
    if (process.argv.includes('--low')) {
      const t2 = performance.now();
      const c2 = process.cpuUsage();
      const vl = await verifyCandidates(r.dataset, r.neighbors, cosineOf, r.valid, { ...(workers === undefined ? {} : { workers }), low: LOW });
      const u2 = process.cpuUsage(c2);
      const cpuOff = (u.user + u.system) / 1e6, cpuLow = (u2.user + u2.system) / 1e6;
      const n = r.dataset.df.shape[0];
      const extra = vl.stats.low.checked;
      console.log(`run ${run + 1}, lower band on: ${vl.stats.checked} pairs checked, of them ${extra} in the lower band (${((1000 * extra) / n).toFixed(0)} per 1,000 images), ${vl.stats.low.verified} verified there; wall ${((performance.now() - t2) / 1000).toFixed(1)} s, CPU ${cpuLow.toFixed(1)} s against ${cpuOff.toFixed(1)} s off: ${extra ? ((1000 * (cpuLow - cpuOff)) / extra).toFixed(1) : '-'} ms of CPU per lower-band pair, ${((100 * (cpuLow - cpuOff)) / cpuOff).toFixed(1)} % more`);
    }
    last = v.stages;
    for (const s of v.stages) {
      const acc = sum.get(s.stage) ?? { stage: s.stage, items: 0, wall: 0, cpu: 0 };
      acc.items += s.items; acc.wall += s.wall; acc.cpu += s.cpu;
      sum.set(s.stage, acc);
    }
    console.log(`run ${run + 1}: ${v.stats.checked} of ${v.stats.candidates} pairs checked (${v.stats.verified} verified, ${v.stats.rejected} rejected); wall ${((performance.now() - t) / 1000).toFixed(1)} s, CPU ${((u.user + u.system) / 1e6).toFixed(1)} s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
  const total = last.reduce((a, s) => a + s.cpu, 0);
  console.log('stage\titems\twall s\tCPU s\tCPU share\tCPU ms per item');
  for (const s of last) console.log(`${s.stage}\t${s.items}\t${s.wall.toFixed(2)}\t${s.cpu.toFixed(2)}\t${((100 * s.cpu) / total).toFixed(1)} %\t${s.items ? ((1000 * s.cpu) / s.items).toFixed(2) : '-'}`);
  if (runs > 1) {
    console.log(`sum over ${runs} runs:`);
    for (const s of sum.values()) console.log(`${s.stage}\t${s.items}\t${s.wall.toFixed(2)}\t${s.cpu.toFixed(2)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
