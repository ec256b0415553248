/**
 * Dumps the verification evidence of every candidate pair of a folder scan, one line per pair sorted
 * by file names, every number at full precision (shortest round-trip text), so two versions of the
 * verification code can be compared byte-for-byte (`cmp`, `sha256sum`): a change meant only to make
 * the check faster must leave this file identical.
 *
 *   node --import tsx bench/verify-evidence.ts --dir <folder> --out <file> [--workers N] [--cache <dir>]
 *
 * `--cache` keeps the embeddings between runs (the verification itself is never cached); `--workers`
 * is passed to the verification (omitted: its default).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { relative } from 'node:path';
import { scan } from '../src/pipeline/scan';
import { columnValues } from '../src/frame/table';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function main(): Promise<void> {
  const dir = arg('dir');
  const out = arg('out');
  if (!dir || !out) throw new Error('usage: verify-evidence.ts --dir <folder> --out <file> [--workers N] [--cache <dir>]');
  const workers = arg('workers');
  const verify = workers === undefined ? {} : ({ workers: Number(workers) } as Record<string, unknown>);
  const t = performance.now();
  const r = await scan(dir, { cacheDir: arg('cache') ?? false, verify });
  const seconds = (performance.now() - t) / 1000;
  const files = columnValues<string>(r.dataset.df, 'filepath');
  const num = (x: number) => (Number.isNaN(x) ? 'NaN' : String(x));
  const lines: string[] = [];
  for (const e of r.evidencePairs()) {
    const fa = relative(dir, files[e.a]);
    const fb = relative(dir, files[e.b]);
    lines.push([fa, fb, num(e.cosine), e.rule, num(e.inliers), num(e.coverage), num(e.agreement), num(e.pixelCorrelation), String(e.flipped)].join('\t'));
  }
  lines.sort();
  const text = lines.join('\n') + '\n';
  writeFileSync(out, text);
  const rules = new Map<string, number>();
  for (const e of r.evidencePairs()) rules.set(e.rule, (rules.get(e.rule) ?? 0) + 1);
  console.log(`${lines.length} pairs (${[...rules].map(([k, v]) => `${k} ${v}`).join(', ')}); sha256 ${createHash('sha256').update(text).digest('hex').slice(0, 16)}; scan ${seconds.toFixed(1)} s, verify stage ${r.timings.verify} s; load ${loadavg()[0].toFixed(1)}; ${cpus()[0]?.model} × ${cpus().length}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
