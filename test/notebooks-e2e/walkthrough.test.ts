// Executes both user-facing notebooks headless (nbclient, kernel `neardup`) exactly as
// `npm run walkthrough` does, and checks what a user gets: the exported CSVs, the summary, and the
// counts printed in the saved notebook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseCsv } from '../../src/frame';

const root = join(__dirname, '..', '..');

function runNotebook(args: string[], out: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'walkthrough.mjs'), ...args, '--out', out], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  assert.equal(r.status, 0, `walkthrough ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function csvRows(file: string): Record<string, string>[] {
  return parseCsv(readFileSync(file, 'utf8')).rows;
}

function notebookText(file: string): string {
  const nb = JSON.parse(readFileSync(file, 'utf8'));
  return nb.cells
    .flatMap((c: any) => c.outputs ?? [])
    .map((o: any) => (o.text ? [].concat(o.text).join('') : o.data?.['text/plain'] ? [].concat(o.data['text/plain']).join('') : ''))
    .join('\n');
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  (function walk(d: string) {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex') + ':' + statSync(p).mtimeMs;
    }
  })(dir);
  return out;
}

test('walkthrough.ipynb on the bundled sample exports consistent CSVs and prints the counts', { timeout: 16 * 60 * 1000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'neardup-walkthrough-'));
  const stdout = runNotebook(['--dataset', 'sample'], out);
  assert.match(stdout, /flagged\s+\d+/);
  const summary = JSON.parse(readFileSync(join(out, 'walkthrough-summary.json'), 'utf8'));
  assert.equal(summary.dataset, 'sample');
  assert.equal(summary.samples, 3000);
  assert.ok(summary.flagged > 0 && summary.flagged < summary.samples, `flagged ${summary.flagged}`);
  assert.ok(summary.cross_split > 0, 'the sample has train/test duplicates');

  const train = csvRows(join(out, 'train_dedup.csv'));
  const testRows = csvRows(join(out, 'test_dedup.csv'));
  const removed = csvRows(join(out, 'removed.csv'));
  assert.ok(train.every((r) => r.split === 'train' && r.keep === 'true'));
  assert.ok(testRows.every((r) => r.split === 'test' && r.keep === 'true'));
  assert.ok(removed.every((r) => r.is_duplicate === 'true' && r.keep === 'false'));
  // Every sample is either kept (in one of the splits) or removed — the notebook tagged one removed sample "keep".
  assert.equal(train.length + testRows.length + removed.length, summary.samples);
  assert.equal(removed.length, summary.to_remove - 1);
  assert.equal(summary.removed_after_tags, removed.length);
  const removedIds = new Set(removed.map((r) => r.id));
  assert.ok(![...train, ...testRows].some((r) => removedIds.has(r.id)));
  assert.ok(existsSync(join(out, 'walkthrough.html')));
  assert.ok(csvRows(join(out, 'cross_split.csv')).some((r) => r.a_split !== r.b_split));

  const text = notebookText(join(out, 'walkthrough.ipynb'));
  assert.match(text, new RegExp(`${summary.flagged} of 3000 images flagged in ${summary.groups} groups, ${summary.to_remove} to remove`));
  assert.match(text, new RegExp(`train/test leakage: ${summary.cross_split} groups span splits`));
  const nb = JSON.parse(readFileSync(join(out, 'walkthrough.ipynb'), 'utf8'));
  assert.ok(nb.metadata.widgets, 'the saved notebook carries widget state');
});

test('own-data.ipynb on a folder of real photos groups the copies, skips the corrupt file and copies without touching the input', { timeout: 16 * 60 * 1000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'neardup-own-'));
  const folder = join(root, 'test', 'fixtures', 'imagededup');
  const before = tree(folder);
  runNotebook(['--notebook', 'own-data', '--dataset', folder], out);
  assert.deepEqual(tree(folder), before, 'input folder unchanged');

  const samples = csvRows(join(out, 'own-data-samples.csv'));
  const byId = new Map(samples.map((r) => [r.id, r]));
  const corrupt = byId.get('mixed_images/ukbench09268_corrupt.jpg')!;
  assert.equal(corrupt.status, 'skipped');
  assert.ok(corrupt.reason.length > 0);
  const g = byId.get('mixed_images/ukbench00120.jpg')!.group_id;
  assert.notEqual(g, '-1');
  for (const copy of ['hflip', 'resize', 'rotation']) assert.equal(byId.get(`mixed_images/ukbench00120_${copy}.jpg`)!.group_id, g, copy);
  assert.notEqual(byId.get('base_images/ukbench01380.jpg')!.group_id, g);

  const remove = csvRows(join(out, 'own-data-remove.csv'));
  const summary = JSON.parse(readFileSync(join(out, 'own-data-summary.json'), 'utf8'));
  assert.equal(remove.length, summary.removed);
  const copied = Object.keys(tree(join(out, 'own-data-dedup')));
  assert.equal(copied.length, summary.copied);
  for (const r of remove) assert.ok(!copied.includes(r.id), `${r.id} was removed but copied`);
  assert.ok(copied.includes('base_images/ukbench01380.jpg'));
});
