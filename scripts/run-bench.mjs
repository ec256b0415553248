#!/usr/bin/env node
// Runs every bench/*.bench.ts in turn (TypeScript through tsx). `npm run bench -- knn` runs only matching ones.
// Options after the names (`npm run bench -- knn --n 20000`) are passed on to each benchmark.
// Each benchmark prints its own figures and a ratio against a baseline measured in the same run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const firstOpt = argv.findIndex((a) => a.startsWith('--'));
const filters = firstOpt < 0 ? argv : argv.slice(0, firstOpt);
const passOn = firstOpt < 0 ? [] : argv.slice(firstOpt);
const files = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filters.length || filters.some((s) => f.includes(s)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', f), ...passOn], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
