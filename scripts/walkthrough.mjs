#!/usr/bin/env node
// `npm run walkthrough [-- --dataset <spec>] [--notebook own-data] [--out out]`:
// executes notebooks/walkthrough.ipynb headless (nbclient, kernel `neardup`), writes the executed
// notebook, its HTML rendering and the CSV exports to out/, then prints the summary counts.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) {
    console.error(`walkthrough: --${name} needs a value`);
    process.exit(2);
  }
  return v;
}
const unknown = args.filter((a) => a.startsWith('--') && !['--dataset', '--notebook', '--out', '--timeout'].includes(a));
if (unknown.length) {
  console.error(`walkthrough: unknown option ${unknown[0]} (options: --dataset <spec>, --notebook walkthrough|own-data, --out <dir>, --timeout <s>)`);
  process.exit(2);
}
let dataset = opt('dataset', process.env.NEARDUP_DATASET || 'sample');
// A relative folder or manifest means relative to where the command runs, not to notebooks/.
if (/[\/.]/.test(dataset) && existsSync(resolve(dataset))) dataset = resolve(dataset);
else if (/^hf:[\/.]/.test(dataset) && existsSync(resolve(dataset.slice(3)))) dataset = `hf:${resolve(dataset.slice(3))}`;
const notebook = opt('notebook', 'walkthrough');
const out = resolve(opt('out', join(root, 'out')));
const timeout = opt('timeout', '7200');
const python = join(root, '.venv', 'bin', 'python');
const input = join(root, 'notebooks', `${notebook}.ipynb`);
if (!existsSync(python)) {
  console.error('walkthrough: .venv is missing; run `npm run setup` first');
  process.exit(2);
}
if (!existsSync(input)) {
  console.error(`walkthrough: no notebook ${input}`);
  process.exit(2);
}
const env = { ...process.env, NEARDUP_OUT: out };
if (notebook === 'walkthrough') env.NEARDUP_DATASET = dataset;
else if (opt('dataset', null)) env.NEARDUP_FOLDER = dataset;
console.log(`walkthrough: executing ${notebook}.ipynb on ${notebook === 'walkthrough' ? dataset : env.NEARDUP_FOLDER || 'its default folder'} → ${out}`);
const t0 = Date.now();
const r = spawnSync(
  python,
  [join(root, 'scripts', 'run_notebook.py'), input, join(out, `${notebook}.ipynb`), '--html', join(out, `${notebook}.html`), '--timeout', timeout],
  { cwd: join(root, 'notebooks'), env, stdio: 'inherit' },
);
const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (r.status !== 0) {
  console.error(`walkthrough: failed after ${secs}s (the partial notebook is in ${out})`);
  process.exit(r.status ?? 1);
}
const summaryPath = join(out, `${notebook}-summary.json`);
console.log(`walkthrough: done in ${secs}s; executed notebook ${join(out, notebook + '.ipynb')}, HTML ${join(out, notebook + '.html')}`);
if (existsSync(summaryPath)) {
  const s = JSON.parse(readFileSync(summaryPath, 'utf8'));
  for (const [k, v] of Object.entries(s)) if (typeof v !== 'object') console.log(`  ${k.padEnd(18)} ${v}`);
}
