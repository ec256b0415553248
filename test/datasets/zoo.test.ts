import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import * as crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { downloadFile, loadDataset, md5File, ZOO_FILES } from '../../src/datasets';
import { columnValues } from '../../src/frame/table';
import { NeardupError } from '../../src/errors';
import { makeCifarTarballs } from './cifar-fixtures';

let tmp: string;
let tarball: Buffer;
let server: http.Server;
let base: string;
let requests: string[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-zoo-'));
  await makeCifarTarballs(tmp);
  tarball = fs.readFileSync(path.join(tmp, 'cifar-100-binary.tar.gz'));
  server = http.createServer((req, res) => {
    requests.push(req.url!);
    if (req.url === '/good/cifar-100-binary.tar.gz' || req.url === '/mirror/cifar-100-binary.tar.gz') {
      res.writeHead(200, { 'content-length': tarball.length });
      res.end(tarball);
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/good/cifar-100-binary.tar.gz' });
      res.end();
    } else if (req.url === '/cut') {
      // Promise the whole file, send half, then drop the connection.
      res.writeHead(200, { 'content-length': tarball.length });
      res.write(tarball.subarray(0, tarball.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (req.url === '/cut-chunked') {
      res.writeHead(200); // no length: chunked transfer, cut before the final chunk
      res.write(tarball.subarray(0, 1000), () => setTimeout(() => res.socket?.destroy(), 20));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const freshDir = (name: string) => fs.mkdtempSync(path.join(tmp, `${name}-`));

test('good download: md5 verified, file renamed into place, redirects followed', async () => {
  const dir = freshDir('good');
  const dest = path.join(dir, 'cifar-100-binary.tar.gz');
  let progress = 0;
  await downloadFile(`${base}/redirect`, dest, md5(tarball), { onProgress: (n) => (progress = n) });
  assert.equal(await md5File(dest), md5(tarball));
  assert.equal(progress, tarball.length);
  assert.deepEqual(fs.readdirSync(dir), ['cifar-100-binary.tar.gz']);
});

test('md5 mismatch: clear error with the URL and both md5s, nothing left behind', async () => {
  const dir = freshDir('badmd5');
  const url = `${base}/good/cifar-100-binary.tar.gz`;
  const wrong = '0123456789abcdef0123456789abcdef';
  await assert.rejects(downloadFile(url, path.join(dir, 'x.tar.gz'), wrong), (e: Error) =>
    e instanceof NeardupError && e.message.includes(url) && e.message.includes(wrong) && e.message.includes(md5(tarball)) && /nothing was saved/.test(e.message));
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('interrupted transfers (with and without a length) and HTTP errors leave nothing half-written', async () => {
  for (const [route, re] of [['/cut', /failed/], ['/cut-chunked', /failed/], ['/missing', /HTTP 404/]] as const) {
    const dir = freshDir('cut');
    const url = `${base}${route}`;
    await assert.rejects(downloadFile(url, path.join(dir, 'x.tar.gz'), md5(tarball)), (e: Error) =>
      e instanceof NeardupError && e.message.includes(url) && re.test(e.message) && e.message.includes(md5(tarball)));
    assert.deepEqual(fs.readdirSync(dir), [], route);
  }
  // Connection refused.
  const dir = freshDir('refused');
  await assert.rejects(downloadFile('http://127.0.0.1:1/x', path.join(dir, 'x'), md5(tarball)), /download of http:\/\/127\.0\.0\.1:1\/x failed/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('loadDataset("cifar100") downloads into the cache dir once (mirror), checks the md5, then reads the cache', async () => {
  const cache = freshDir('cache');
  const official = ZOO_FILES['cifar100-binary'];
  const saved = official.md5;
  process.env.NEARDUP_DATASET_MIRROR = `${base}/mirror`;
  try {
    // The official md5 does not match our small tarball: refused, nothing cached.
    await assert.rejects(loadDataset('cifar100', { cacheDir: cache }), (e: Error) => e instanceof NeardupError && e.message.includes(`${base}/mirror/cifar-100-binary.tar.gz`) && e.message.includes(saved));
    assert.deepEqual(fs.readdirSync(cache), []);
    official.md5 = md5(tarball); // pretend our tarball is the official one
    requests = [];
    const ds = await loadDataset('cifar100', { cacheDir: cache });
    assert.equal(ds.df.shape[0], 10);
    assert.deepEqual(requests, ['/mirror/cifar-100-binary.tar.gz']);
    assert.deepEqual(fs.readdirSync(cache), ['cifar-100-binary.tar.gz']);
    const again = await loadDataset('cifar100', { cacheDir: cache });
    assert.deepEqual(columnValues(again.df, 'id'), columnValues(ds.df, 'id'));
    assert.equal(requests.length, 1, 'second load reads the cache');
    // $NEARDUP_CACHE is the default cache folder.
    process.env.NEARDUP_CACHE = cache;
    assert.equal((await loadDataset('cifar100')).df.shape[0], 10);
    assert.equal(requests.length, 1);
  } finally {
    official.md5 = saved;
    delete process.env.NEARDUP_DATASET_MIRROR;
    delete process.env.NEARDUP_CACHE;
  }
  await assert.rejects(loadDataset('mnist', { cacheDir: freshDir('off'), download: false }), (e: Error) =>
    e instanceof NeardupError && /downloads are off/.test(e.message) && e.message.includes(ZOO_FILES.mnist[0].url));
});
