/**
 * Where the verification's time goes, stage by stage: a folder is scanned without the check (embeddings
 * cached with `--cache`), then the check runs on the scan's candidate lists with its defaults, and each
 * stage's wall and CPU time (every thread of the process: libvips' decoding threads and the worker threads
 * included; `Verification.stages`, src/verify/index.ts) is printed with its share of the check's CPU.
 *
 *   node --import tsx bench/verify-stages.ts [--dir <folder>] [--cache <dir>] [--workers N] [--runs R]
 *
 * Folder: `--dir`, else the wallpapers family (out/eval-families/images/wallpapers). `--runs` repeats the
 * check (the process's OpenCV is loaded once, so the first run's `load` stage carries it); the figures of
 * the last run are printed with the sum over runs.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { scan } from '../src/pipeline/scan';
import { verifyCandidates, type StageCost } from '../src/verify';

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
  const cosineOf = (a: number, b: number) => {
    let s = 0;
    for (let x = 0; x < e.dim; x++) s += e.vectors[a * e.dim + x] * e.vectors[b * e.dim + x];
    return s;
  };
  console.log(`folder: ${dir}; ${r.dataset.df.shape[0]} images; CPU: ${cpus()[0]?.model} × ${cpus().length}; workers ${workers ?? 'default'}`);
  const sum = new Map<string, StageCost>();
  let last: StageCost[] = [];
  for (let run = 0; run < runs; run++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const v = await verifyCandidates(r.dataset, r.neighbors, cosineOf, r.valid, workers === undefined ? {} : { workers });
    const u = process.cpuUsage(c);
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
