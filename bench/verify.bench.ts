/**
 * What verification costs: the same folder scanned from an empty cache with `verify: false` (the
 * baseline, today's scan) and with the default verification, in one run, alternating, best of
 * `--runs` (default 2). Prints both wall times, the ratio (goal ≤ 1.5), and the cost per checked pair.
 * `--threads` adds a third scan per run with the check on the calling thread (`verify: { workers: 0 }`),
 * so the worker threads' gain is measured in the same run; the load average is printed at each run.
 * Besides wall times it prints each scan's CPU time (all threads of the process, `process.cpuUsage`): on a
 * machine shared with other sessions (Linux gives each session an equal share of the CPU, whatever its
 * number of threads), the CPU ratio is the figure the load does not move.
 *
 * `--previous` adds a scan per run at the defaults of before 1 December (no lower band, no widened lists, no content view), so
 * what those two cost is measured in the same run.
 *
 * Folder: `--dir <folder>`, else the wallpapers family of the benchmark (out/eval-families/images/wallpapers,
 * built by `npm run eval -- --families`), else the repo's test photos.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { scan } from '../src/pipeline/scan';
import { defaultVerifyWorkers } from '../src/verify';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROOT = join(__dirname, '..');
const family = join(ROOT, 'out', 'eval-families', 'images', 'wallpapers');
const dir = arg('dir') ?? (existsSync(family) ? family : join(ROOT, 'test', 'fixtures', 'imagededup'));
const runs = Number(arg('runs') ?? 2);
const threads = process.argv.includes('--threads');
const previous = process.argv.includes('--previous');

async function main(): Promise<void> {
  console.log(`folder: ${dir}; CPU: ${cpus()[0]?.model} × ${cpus().length}; verification workers by default: ${defaultVerifyWorkers(Infinity)}`);
  let off = Infinity;
  let on = Infinity;
  let here = Infinity;
  let hereVerify = 0;
  const cpu = { off: Infinity, on: Infinity, here: Infinity, prev: Infinity };
  let prev = Infinity;
  const timed = async <T>(f: () => Promise<T>): Promise<{ r: T; wall: number; cpu: number }> => {
    const c = process.cpuUsage();
    const t = performance.now();
    const r = await f();
    const u = process.cpuUsage(c);
    return { r, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
  };
  let stats: any = null;
  let verifySeconds = 0;
  for (let r = 0; r < runs; r++) {
    // The baseline is the scan of before issue 10: no verification, no content view.
    const A = await timed(() => scan(dir, { cacheDir: false, verify: false, contentView: false }));
    const a = A.r;
    off = Math.min(off, A.wall);
    cpu.off = Math.min(cpu.off, A.cpu);
    const B = await timed(() => scan(dir, { cacheDir: false }));
    const b = B.r;
    on = Math.min(on, B.wall);
    cpu.on = Math.min(cpu.on, B.cpu);
    stats = b.summary.verification;
    // The widened lists' pass is timed apart (`widen`) but its pairs are counted in `checked`.
    verifySeconds = (b.timings.verify ?? 0) + (b.timings.widen ?? 0);
    let extra = '';
    let hereCpu = '';
    if (threads) {
      const C = await timed(() => scan(dir, { cacheDir: false, verify: { workers: 0 } }));
      const c = C.r;
      here = Math.min(here, C.wall);
      cpu.here = Math.min(cpu.here, C.cpu);
      hereVerify = c.timings.verify ?? 0;
      extra = `; on the calling thread: ${c.summary.to_remove} removals, verify stage ${c.timings.verify} s`;
      hereCpu = ` / ${C.cpu.toFixed(1)}`;
    }
    if (previous) {
      const D = await timed(() => scan(dir, { cacheDir: false, verify: { low: false }, widen: false, contentView: false }));
      prev = Math.min(prev, D.wall);
      cpu.prev = Math.min(cpu.prev, D.cpu);
      extra += `; previous defaults (no lower band, no widening, no content view): ${D.r.summary.to_remove} removals, ${D.r.summary.verification?.checked} pairs checked, ${D.wall.toFixed(1)} s, CPU ${D.cpu.toFixed(1)} s`;
    }
    extra += `; CPU ${A.cpu.toFixed(1)} / ${B.cpu.toFixed(1)}${hereCpu} s`;
    console.log(`run ${r + 1}: without ${a.summary.to_remove} removals, with verification ${b.summary.to_remove}; verify stage ${b.timings.verify} s${extra}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
  console.log(`scan without verification: ${off.toFixed(1)} s (baseline)`);
  console.log(`scan with verification:    ${on.toFixed(1)} s  ratio ${(on / off).toFixed(2)} (goal ≤ 1.50)`);
  console.log(`CPU time (all threads): ${cpu.off.toFixed(1)} s without, ${cpu.on.toFixed(1)} s with verification: ratio ${(cpu.on / cpu.off).toFixed(2)}${threads ? `; on the calling thread ${cpu.here.toFixed(1)} s, ratio ${(cpu.here / cpu.off).toFixed(2)}` : ''}`);
  if (previous) console.log(`previous defaults (no lower band, no widening, no content view): ${prev.toFixed(1)} s  ratio ${(prev / off).toFixed(2)}; CPU ${cpu.prev.toFixed(1)} s, ratio ${(cpu.prev / cpu.off).toFixed(2)}`);
  if (threads) console.log(`scan with verification on the calling thread: ${here.toFixed(1)} s  ratio ${(here / off).toFixed(2)}; verify stage ${hereVerify.toFixed(1)} s`);
  if (stats) {
    const per = stats.checked ? (1000 * verifySeconds) / stats.checked : 0;
    console.log(`second signal: ${stats.checked} of ${stats.candidates} candidate pairs checked (${stats.verified} verified, ${stats.rejected} rejected) in ${verifySeconds.toFixed(2)} s = ${per.toFixed(1)} ms per checked pair, decode + ORB included`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
