/**
 * `hf:` datasets on parquet files written by the Hugging Face `datasets` library itself (from
 * .venv, installed by `npm run setup` from scripts/test-requirements.txt) from real photos: a folder,
 * the Hub cache layout, the download path against a local HTTP server, the library's scan and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { loadDataset, parseDatasetSpec, scan } from '../../src';
import { NeardupError } from '../../src/errors';
import { columnValues } from '../../src/frame';

const ROOT = path.resolve(__dirname, '..', '..');
const PY = path.join(ROOT, '.venv', 'bin', 'python');
const BIN = path.join(ROOT, 'bin', 'neardup.js');
const REPO = 'datasets--neardup--photos';
let dir: string;
let expected: {
  commit: string;
  label_names: string[];
  files: Record<string, { sha256: string; size: number }>;
  splits: Record<string, Array<{ path: string; label: number; source: string }>>;
};

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-hf-'));
  const r = spawnSync(PY, [path.join(__dirname, 'make_hf_dataset.py'), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `make_hf_dataset.py failed (is \`datasets\` in .venv? run npm run setup): ${r.stderr}`);
  expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const photo = (rel: string) => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'imagededup', rel));

test('hf:<folder> reads the parquet files: rows, splits, ClassLabel names, original image bytes', async () => {
  const ds = await loadDataset(`hf:${path.join(dir, 'folder')}`);
  const rows = [...expected.splits.train, ...expected.splits.test];
  assert.equal(ds.df.shape[0], rows.length);
  assert.equal(ds.pixels.kind, 'encoded');
  assert.deepEqual(columnValues(ds.df, 'id'), [
    ...expected.splits.train.map((_, i) => `train/${String(i).padStart(5, '0')}`),
    ...expected.splits.test.map((_, i) => `test/${String(i).padStart(5, '0')}`),
  ]);
  assert.deepEqual(columnValues(ds.df, 'label'), rows.map((r) => r.label));
  assert.deepEqual(columnValues(ds.df, 'label_name'), rows.map((r) => expected.label_names[r.label]));
  assert.deepEqual(columnValues(ds.df, 'image_path'), rows.map((r) => r.path));
  assert.deepEqual(columnValues(ds.df, 'source'), rows.map((r) => r.source));
  // The bytes are the photo files' bytes, unchanged.
  if (ds.pixels.kind !== 'encoded') throw new Error('unreachable');
  rows.forEach((r, i) => assert.equal(sha(ds.pixels.kind === 'encoded' ? ds.pixels.images[i]! : new Uint8Array()), sha(photo(r.source)), r.source));
  // Sizes from the image headers: ukbench09268 is a portrait photo.
  const k = rows.findIndex((r) => r.source === 'base_images/ukbench09268.jpg');
  assert.deepEqual([columnValues(ds.df, 'width')[k], columnValues(ds.df, 'height')[k]], [480, 640]);

  const onlyTest = await loadDataset(`hf:${path.join(dir, 'folder')}:test`);
  assert.deepEqual(columnValues(onlyTest.df, 'split'), expected.splits.test.map(() => 'test'));
  const limited = await loadDataset(`hf:${path.join(dir, 'folder')}`, { splits: ['test'], limit: 2 });
  assert.deepEqual(columnValues(limited.df, 'id'), ['test/00000', 'test/00001']);
});

test('hf:owner/name reads the Hub cache layout (refs, commit, split) and says how to fetch a missing repo', async () => {
  const hubCache = path.join(dir, 'hub');
  const byRef = await loadDataset('hf:neardup/photos', { hubCache, download: false });
  assert.equal(byRef.name, 'hf:neardup/photos');
  assert.equal(byRef.df.shape[0], 14);
  const byCommit = await loadDataset(`hf:neardup/photos@${expected.commit}:train`, { hubCache, download: false });
  assert.deepEqual(columnValues(byCommit.df, 'split'), expected.splits.train.map(() => 'train'));
  assert.ok(String(columnValues(byCommit.df, 'filepath')[0]).includes(path.join('snapshots', expected.commit, 'data', 'train-00000-of-00001.parquet')));

  assert.deepEqual(parseDatasetSpec('hf:neardup/photos@v1.0:test'), { kind: 'hf', repo: 'neardup/photos', revision: 'v1.0', split: 'test' });
  assert.throws(() => parseDatasetSpec('hf:not a repo'), (e: Error) => e instanceof NeardupError && /hf:owner\/name\[@revision\]\[:split\]/.test(e.message));
  await assert.rejects(loadDataset('hf:neardup/other', { hubCache, download: false }), (e: Error) =>
    e instanceof NeardupError && e.code === 'not_found' && e.message.includes('neardup/other') && e.message.includes(hubCache));
  await assert.rejects(loadDataset('hf:neardup/photos:validation', { hubCache, download: false }), (e: Error) =>
    e instanceof NeardupError && /no split "validation" \(splits: train, test\)/.test(e.message));
});

/** A local stand-in for the Hub's API and file server, serving the fixture files; `corrupt` flips a byte. */
function hubServer(opts: { corrupt?: boolean; cutAfter?: number } = {}) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/api/datasets/neardup/photos/revision/main') {
      res.end(JSON.stringify({ id: 'neardup/photos', sha: expected.commit }));
    } else if (u.pathname === `/api/datasets/neardup/photos/tree/${expected.commit}`) {
      const entries = Object.entries(expected.files).map(([p, f]) => ({ type: 'file', path: p, size: f.size, oid: 'x', lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } }));
      res.end(JSON.stringify([{ type: 'file', path: 'README.md', size: 10, oid: 'y' }, ...entries]));
    } else if (u.pathname.startsWith(`/datasets/neardup/photos/resolve/${expected.commit}/`)) {
      const rel = decodeURIComponent(u.pathname.slice(`/datasets/neardup/photos/resolve/${expected.commit}/`.length));
      const data = Buffer.from(fs.readFileSync(path.join(dir, 'folder', rel)));
      if (opts.corrupt) data[data.length >> 1] ^= 0xff;
      res.setHeader('content-length', data.length);
      if (opts.cutAfter !== undefined) {
        res.write(data.subarray(0, opts.cutAfter));
        res.destroy();
        return;
      }
      res.end(data);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  return new Promise<{ url: string; requests: string[]; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests,
      close: () => new Promise((r) => server.close(() => r())),
    })),
  );
}

function blobsIn(cache: string): string[] {
  const b = path.join(cache, REPO, 'blobs');
  return fs.existsSync(b) ? fs.readdirSync(b).sort() : [];
}

test('hf: downloads into the Hub cache layout: pinned commit, sha256 checked, nothing partial left', async (t) => {
  const saved = process.env.HF_ENDPOINT;
  t.after(() => (saved === undefined ? delete process.env.HF_ENDPOINT : (process.env.HF_ENDPOINT = saved)));
  const cache = fs.mkdtempSync(path.join(dir, 'dl-'));

  // A corrupt file: refused, no blob, no temp file.
  let hub = await hubServer({ corrupt: true });
  process.env.HF_ENDPOINT = hub.url;
  await assert.rejects(loadDataset('hf:neardup/photos', { hubCache: cache }), (e: Error) =>
    e instanceof NeardupError && e.code === 'io' && /is corrupt: .*sha256 .*expected .* sha256/.test(e.message));
  await hub.close();
  assert.deepEqual(blobsIn(cache), []);

  // A connection cut mid-file: refused, nothing partial.
  hub = await hubServer({ cutAfter: 1000 });
  process.env.HF_ENDPOINT = hub.url;
  await assert.rejects(loadDataset('hf:neardup/photos', { hubCache: cache }), NeardupError);
  await hub.close();
  assert.deepEqual(blobsIn(cache), []);

  // A good server: the layout huggingface_hub writes, and the same rows as the folder.
  hub = await hubServer();
  process.env.HF_ENDPOINT = hub.url;
  const ds = await loadDataset('hf:neardup/photos', { hubCache: cache });
  await hub.close();
  assert.ok(hub.requests.every((u) => !u.includes('/resolve/main/')), 'files are fetched by commit, not by branch');
  assert.ok(!hub.requests.some((u) => u.includes('README.md')), 'only parquet files are fetched');
  assert.deepEqual(blobsIn(cache), Object.values(expected.files).map((f) => f.sha256).sort());
  assert.equal(fs.readFileSync(path.join(cache, REPO, 'refs', 'main'), 'utf8'), expected.commit);
  const link = path.join(cache, REPO, 'snapshots', expected.commit, 'data', 'train-00000-of-00001.parquet');
  assert.ok(fs.lstatSync(link).isSymbolicLink() && !path.isAbsolute(fs.readlinkSync(link)));
  assert.equal(ds.df.shape[0], 14);
  assert.deepEqual(fs.readdirSync(path.join(cache, REPO, 'blobs')).filter((f) => f.startsWith('.')), []);

  // Second run: read from the cache, no request at all.
  hub = await hubServer();
  process.env.HF_ENDPOINT = hub.url;
  await loadDataset('hf:neardup/photos', { hubCache: cache });
  await hub.close();
  assert.deepEqual(hub.requests, []);
});

test('scan("hf:...") finds the copies across splits and skips the corrupt photo with its reason; so does the CLI', async () => {
  const hubCache = path.join(dir, 'hub');
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = hubCache;
  try {
    const r = await scan('hf:neardup/photos', { cacheDir: false });
    const ids = columnValues<string>(r.samples, 'id');
    const status = columnValues<string>(r.samples, 'status');
    const reason = columnValues<string>(r.samples, 'reason');
    const corrupt = ids.indexOf('test/00003');
    assert.equal(status[corrupt], 'skipped');
    assert.ok(reason[corrupt].length > 0);
    const group = columnValues<number>(r.samples, 'group_id');
    const at = (id: string) => group[ids.indexOf(id)];
    // ukbench00120 (train/00000) and its resized copy (test/00001); ukbench09380.jpg (train/00009) and its PNG (test/00002).
    assert.ok(at('train/00000') >= 0 && at('train/00000') === at('test/00001'));
    assert.ok(at('train/00009') >= 0 && at('train/00009') === at('test/00002'));
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
  const out = path.join(dir, 'cli-out');
  const cli = spawnSync(process.execPath, [BIN, 'scan', 'hf:neardup/photos:test', '--out', out, '--no-cache'], {
    env: { ...process.env, HF_HUB_CACHE: hubCache }, encoding: 'utf8', timeout: 300_000,
  });
  assert.equal(cli.status, 0, cli.stderr);
  const csv = fs.readFileSync(path.join(out, 'samples.csv'), 'utf8');
  for (const id of ['test/00000', 'test/00001', 'test/00002', 'test/00003']) assert.ok(csv.includes(id), id);
  assert.ok(!csv.includes('train/'));
});
