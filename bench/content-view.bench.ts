/**
 * What the content view (src/images/content-view.ts) costs when embedding image files: the same folder embedded
 * with and without it (no cache), in alternating runs of one process, wall and CPU time (all threads,
 * `process.cpuUsage`), and how many files it changed.
 *
 *   npm run bench -- content-view                                   # out/eval-families/images/wallpapers
 *   node --import tsx bench/content-view.bench.ts --dir <folder> --runs 2
 *
 * The folder default is a family of the families eval (`node --import tsx bench/eval/families.ts` builds it).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataFrame } from 'danfojs-node';
import { embedDataset, EmbeddingModel } from '../src/embed';
import type { Dataset } from '../src/types';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const dir = arg('dir', join(__dirname, '..', 'out', 'eval-families', 'images', 'wallpapers'));
  const runs = Number(arg('runs', '2'));
  if (!existsSync(dir)) {
    console.log(`no folder ${dir}: build it with node --import tsx bench/eval/families.ts, or give --dir`);
    return;
  }
  const names = readdirSync(dir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  const ds: Dataset = { name: dir, df: new DataFrame({ id: names }), pixels: { kind: 'files', paths: names.map((n) => join(dir, n)) } };
  const model = await EmbeddingModel.load();
  const times = { plain: [] as number[], view: [] as number[], plainCpu: [] as number[], viewCpu: [] as number[] };
  let changed = 0;
  try {
    await embedDataset({ ...ds, df: new DataFrame({ id: names.slice(0, 32) }), pixels: { kind: 'files', paths: ds.pixels.kind === 'files' ? ds.pixels.paths.slice(0, 32) : [] } }, { model, cacheDir: false }); // warm-up
    for (let r = 0; r < runs; r++) {
      for (const view of r % 2 === 0 ? [false, true] : [true, false]) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const e = await embedDataset(ds, { model, cacheDir: false, contentView: view });
        const secs = (performance.now() - t0) / 1000;
        const cu = process.cpuUsage(c0);
        (view ? times.view : times.plain).push(secs);
        (view ? times.viewCpu : times.plainCpu).push((cu.user + cu.system) / 1e6);
        if (view && r === 0) {
          const p = await embedDataset(ds, { model, cacheDir: false });
          changed = names.filter((_, i) => e.vectors.subarray(i * e.dim, (i + 1) * e.dim).some((v, k) => v !== p.vectors[i * p.dim + k])).length;
        }
      }
    }
  } finally {
    await model.release();
  }
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
  const n = names.length;
  const [pw, vw, pc, vc] = [med(times.plain), med(times.view), med(times.plainCpu), med(times.viewCpu)];
  console.log(`${n} files in ${dir}; ${changed} embedded from a content view (the rest unchanged); ${runs} runs each, median`);
  console.log(`| embedding | wall s | ms per image (wall) | CPU s | ms per image (CPU) |\n| --- | --- | --- | --- | --- |`);
  console.log(`| plain | ${pw.toFixed(1)} | ${((1000 * pw) / n).toFixed(1)} | ${pc.toFixed(1)} | ${((1000 * pc) / n).toFixed(1)} |`);
  console.log(`| content view | ${vw.toFixed(1)} | ${((1000 * vw) / n).toFixed(1)} | ${vc.toFixed(1)} | ${((1000 * vc) / n).toFixed(1)} |`);
  console.log(`ratio content view / plain: wall ${(vw / pw).toFixed(3)}, CPU ${(vc / pc).toFixed(3)}; extra CPU per image ${((1000 * (vc - pc)) / n).toFixed(2)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
