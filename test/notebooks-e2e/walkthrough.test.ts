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
    // A crash can print a minified source line of megabytes: keep it from killing the run (status null).
    maxBuffer: 256 * 1024 * 1024,
  });
  const tail = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s);
  assert.equal(r.status, 0, `walkthrough ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status}, signal ${r.signal}`}):\n${tail(r.stdout)}\n${tail(r.stderr)}`);
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
  assert.match(stdout, /flagged_samples\s+\d+/);
  const summary = JSON.parse(readFileSync(join(out, 'walkthrough-summary.json'), 'utf8'));
  assert.equal(summary.dataset, 'sample');
  assert.equal(summary.samples, 3000);
  assert.ok(summary.flagged_samples > 0 && summary.flagged_samples < summary.samples, `flagged ${summary.flagged_samples}`);
  assert.ok(summary.cross_split_groups > 0, 'the sample has train/test duplicates');

  const train = csvRows(join(out, 'train_dedup.csv'));
  const testRows = csvRows(join(out, 'test_dedup.csv'));
  const removed = csvRows(join(out, 'removed.csv'));
  const cross = csvRows(join(out, 'cross_split.csv'));
  const conflicts = csvRows(join(out, 'label_conflicts.csv'));
  assert.ok(train.every((r) => r.split === 'train' && r.keep === 'true'));
  assert.ok(testRows.every((r) => r.split === 'test' && r.keep === 'true'));
  assert.ok(removed.every((r) => r.is_duplicate === 'true' && r.keep === 'false'));
  // Every sample is either kept (in one of the splits) or removed — the notebook tagged one removed sample "keep".
  assert.equal(train.length + testRows.length + removed.length, summary.samples);
  // One state for every file: the summary's counts are the files' row counts, tags included.
  assert.equal(removed.length, summary.samples_to_remove);
  assert.equal(summary.samples_to_remove, summary.samples_to_remove_auto - 1);
  assert.equal(cross.length, summary.cross_split_pairs);
  assert.equal(conflicts.length, summary.label_conflict_samples);
  assert.deepEqual(summary.files, { 'train_dedup.csv': train.length, 'test_dedup.csv': testRows.length, 'removed.csv': removed.length, 'cross_split.csv': cross.length, 'label_conflicts.csv': conflicts.length });
  const removedIds = new Set(removed.map((r) => r.id));
  assert.ok(![...train, ...testRows].some((r) => removedIds.has(r.id)));
  assert.ok(cross.some((r) => r.a_split !== r.b_split));

  // The exported HTML shows the explorer offline: histogram, counts, group cards as images.
  const html = readFileSync(join(out, 'walkthrough.html'), 'utf8');
  assert.match(html, /<svg[^>]*histogram of max_similarity/);
  assert.match(html, /samples in groups/);
  // nbconvert rewrites attribute order (alt first): count the inline PNG sources of <img> tags.
  assert.ok((html.match(/<img [^>]*src="data:image\/png;base64,/g) ?? []).length >= 8, 'group cards as images');
  assert.ok(!html.includes('application/vnd.jupyter.widget-state+json'), 'no widget state that needs a CDN');
  assert.match(html, /embedding<\/span>.*done in/s, 'the progress bar as a static picture');

  const text = notebookText(join(out, 'walkthrough.ipynb'));
  assert.match(text, new RegExp(`${summary.flagged_samples} of 3000 samples in ${summary.groups} groups; ${summary.samples_to_remove_auto} samples to remove`));
  assert.match(text, new RegExp(`train/test leakage: ${summary.cross_split_groups} groups span splits, ${summary.cross_split_pairs} cross-split pairs`));
  // The article's other cases on the bundled sample: label conflicts (shown at the highest threshold where
  // they appear, which the notebook names), and keep policies that keep different copies.
  const conflictsAt = text.match(/label conflicts at (0\.\d+): (\d+) groups/);
  assert.ok(conflictsAt && Number(conflictsAt[2]) > 0, 'the sample shows label conflicts');
  if (Number(conflictsAt![1]) !== summary.threshold) assert.match(text, new RegExp(`no label conflicts at ${summary.threshold}; the first appear at ${conflictsAt![1]}`));
  const removes = (policy: string) => text.match(new RegExp(`keep=${policy}\\s+removes (\\d+): (\\{[^}]*\\})`))?.slice(1);
  assert.ok(removes('first') && removes('test') && removes('most ink'), 'the keep-policy cell printed');
  assert.notEqual(removes('first')![1], removes('test')![1], 'keep=first and keep=test remove different splits');
  assert.match(text, /kept copies per policy/);
  const nb = JSON.parse(readFileSync(join(out, 'walkthrough.ipynb'), 'utf8'));
  assert.ok(nb.metadata.widgets, 'the saved notebook carries widget state');
});

test('own-data.ipynb on a folder of real photos groups the copies, skips the corrupt file and copies without touching the input', { timeout: 16 * 60 * 1000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'neardup-own-'));
  const folder = join(root, 'test', 'fixtures', 'imagededup');
  const before = tree(folder);
  // With a store (NEARDUP_STORE, the notebook's STORE): the first run writes the embeddings and
  // neighbour lists there, a second run on the same folder reads them back with the same result.
  const store = join(out, 'store');
  runNotebook(['--notebook', 'own-data', '--dataset', folder], out, { NEARDUP_STORE: store });
  assert.deepEqual(tree(folder), before, 'input folder unchanged');
  const first = JSON.parse(readFileSync(join(out, 'own-data-summary.json'), 'utf8'));
  assert.deepEqual(first.store, { uri: store, read: false }, 'the first run computed and wrote the store');
  assert.ok(Object.keys(tree(store)).length > 0, 'the store folder holds tables');
  const again = join(out, 'again');
  runNotebook(['--notebook', 'own-data', '--dataset', folder], again, { NEARDUP_STORE: store });
  const second = JSON.parse(readFileSync(join(again, 'own-data-summary.json'), 'utf8'));
  assert.deepEqual(second.store, { uri: store, read: true }, 'the second run read the store back');
  assert.match(notebookText(join(again, 'own-data.ipynb')), /embeddings and neighbour lists read back/);
  assert.deepEqual(readFileSync(join(again, 'own-data-remove.csv'), 'utf8'), readFileSync(join(out, 'own-data-remove.csv'), 'utf8'), 'the same remove list from the store');

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
  assert.ok(!copied.includes('mixed_images/ukbench09268_corrupt.jpg'), 'the corrupt (skipped) file is not copied into the clean set');
  assert.equal(summary.skipped_not_copied, 1);
  assert.ok(copied.includes('base_images/ukbench01380.jpg'));
});

test('own-data.ipynb on an hf: dataset in the Hugging Face cache ($HF_HUB_CACHE) groups the copies across splits and leaves the cache untouched', { timeout: 16 * 60 * 1000 }, () => {
  // The parquet files are written by the `datasets` library itself, in the Hub cache layout (test/datasets/make_hf_dataset.py).
  const dir = mkdtempSync(join(tmpdir(), 'neardup-own-hf-'));
  const made = spawnSync(join(root, '.venv', 'bin', 'python'), [join(root, 'test', 'datasets', 'make_hf_dataset.py'), dir], { encoding: 'utf8' });
  assert.equal(made.status, 0, `make_hf_dataset.py failed (is \`datasets\` in .venv? run npm run setup): ${made.stderr}`);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const hub = join(dir, 'hub');
  const before = tree(hub);
  const out = join(dir, 'out');
  // An unreachable endpoint: the notebook must read the cache, not download.
  runNotebook(['--notebook', 'own-data', '--dataset', 'hf:neardup/photos'], out, { HF_HUB_CACHE: hub, HF_ENDPOINT: 'http://127.0.0.1:9' });
  assert.deepEqual(tree(hub), before, 'Hub cache unchanged');

  const samples = csvRows(join(out, 'own-data-samples.csv'));
  const ids = [...expected.splits.train.map((_: unknown, i: number) => `train/${String(i).padStart(5, '0')}`), ...expected.splits.test.map((_: unknown, i: number) => `test/${String(i).padStart(5, '0')}`)];
  assert.deepEqual(samples.map((r) => r.id).sort(), [...ids].sort());
  const byId = new Map(samples.map((r) => [r.id, r]));
  assert.equal(byId.get('train/00000')!.label_name, expected.label_names[0]);
  assert.equal(byId.get('test/00001')!.label_name, expected.label_names[1]);
  // test/00003 is the corrupt photo; ukbench00120 (train/00000) and its resized copy (test/00001), ukbench09380.jpg (train/00009) and its PNG (test/00002).
  assert.equal(byId.get('test/00003')!.status, 'skipped');
  assert.ok(byId.get('test/00003')!.reason.length > 0);
  for (const [a, b] of [['train/00000', 'test/00001'], ['train/00009', 'test/00002']]) {
    assert.notEqual(byId.get(a)!.group_id, '-1', a);
    assert.equal(byId.get(a)!.group_id, byId.get(b)!.group_id, `${a} and ${b}`);
  }

  const remove = csvRows(join(out, 'own-data-remove.csv'));
  const summary = JSON.parse(readFileSync(join(out, 'own-data-summary.json'), 'utf8'));
  assert.ok(remove.length > 0);
  assert.equal(remove.length, summary.removed);
  // An hf: dataset is parquet files, not a folder: no deduplicated copy is made.
  assert.equal(summary.copied, 0);
  assert.ok(!existsSync(join(out, 'own-data-dedup')));
  const text = notebookText(join(out, 'own-data.ipynb'));
  assert.match(text, new RegExp(`${ids.length} images in hf:neardup/photos, read from 2 parquet file\\(s\\)`));
  assert.ok(text.includes(join(hub, 'datasets--neardup--photos', 'snapshots', expected.commit)), 'the notebook says where in the cache it read');
});
