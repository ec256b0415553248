/**
 * Named datasets from their official URLs: download into the cache folder to a temporary file,
 * verify the md5, then rename. A failed, cut or mismatched download leaves nothing half-written
 * (the temp file is removed) and throws an error naming the URL and the md5s.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import * as crypto from 'node:crypto';
import { NeardupError } from '../errors';
import { tempPathFor } from '../frame/atomic';

/** A file to fetch: where from, what it must hash to, and its name in the cache. */
export interface ZooFile {
  url: string;
  md5: string;
  filename: string;
}

const TORONTO = 'https://www.cs.toronto.edu/~kriz';
const FASHION = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';
const MNIST = 'https://ossci-datasets.s3.amazonaws.com/mnist';

/** Official files and md5s (CIFAR: the University of Toronto CIFAR page; IDX: the datasets' READMEs). */
export const ZOO_FILES = {
  'cifar100-binary': { url: `${TORONTO}/cifar-100-binary.tar.gz`, md5: '03b5dce01913d631647c71ecec9e9cb8', filename: 'cifar-100-binary.tar.gz' },
  'cifar100-python': { url: `${TORONTO}/cifar-100-python.tar.gz`, md5: 'eb9058c3a382ffc7106e4002c42a8d85', filename: 'cifar-100-python.tar.gz' },
  'cifar10-binary': { url: `${TORONTO}/cifar-10-binary.tar.gz`, md5: 'c32a1d4ab5d03f1284b67883e8d87530', filename: 'cifar-10-binary.tar.gz' },
  'cifar10-python': { url: `${TORONTO}/cifar-10-python.tar.gz`, md5: 'c58f30108f718f92721af3b95e74349a', filename: 'cifar-10-python.tar.gz' },
  'fashion-mnist': [
    { url: `${FASHION}/train-images-idx3-ubyte.gz`, md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', filename: 'train-images-idx3-ubyte.gz' },
    { url: `${FASHION}/train-labels-idx1-ubyte.gz`, md5: '25c81989df183df01b3e8a0aad5dffbe', filename: 'train-labels-idx1-ubyte.gz' },
    { url: `${FASHION}/t10k-images-idx3-ubyte.gz`, md5: 'bef4ecab320f06d8554ea6380940ec79', filename: 't10k-images-idx3-ubyte.gz' },
    { url: `${FASHION}/t10k-labels-idx1-ubyte.gz`, md5: 'bb300cfdad3c16e7a12a480ee83cd310', filename: 't10k-labels-idx1-ubyte.gz' },
  ],
  mnist: [
    { url: `${MNIST}/train-images-idx3-ubyte.gz`, md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', filename: 'train-images-idx3-ubyte.gz' },
    { url: `${MNIST}/train-labels-idx1-ubyte.gz`, md5: 'd53e105ee54ea40749a09fcbcd1e9432', filename: 'train-labels-idx1-ubyte.gz' },
    { url: `${MNIST}/t10k-images-idx3-ubyte.gz`, md5: '9fb629c4189551a2d022fa330f9573f3', filename: 't10k-images-idx3-ubyte.gz' },
    { url: `${MNIST}/t10k-labels-idx1-ubyte.gz`, md5: 'ec29112dd5afa0611ce80d1b7f02629c', filename: 't10k-labels-idx1-ubyte.gz' },
  ],
} satisfies Record<string, ZooFile | ZooFile[]>;

/** md5 of a file, hex. */
export async function md5File(file: string): Promise<string> {
  const h = crypto.createHash('md5');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return h.digest('hex');
}

export interface DownloadOptions {
  /** Called with bytes received and the total (0 when unknown). */
  onProgress?: (received: number, total: number) => void;
  /** Gives up when no data arrives for this long (ms, default 60 s). */
  idleTimeoutMs?: number;
}

/** Streams `url` to `file`, following redirects; resolves to the md5 of what was written. */
function fetchTo(url: string, file: string, opts: DownloadOptions, redirects = 0): Promise<{ md5: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers: { 'user-agent': 'neardup' } }, (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 300 && code < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) return reject(new Error('too many redirects'));
        const next = new URL(res.headers.location, url).toString();
        return fetchTo(next, file, opts, redirects + 1).then(resolve, reject);
      }
      if (code !== 200) {
        res.resume();
        return reject(new Error(`HTTP ${code}`));
      }
      const total = Number(res.headers['content-length'] ?? 0);
      const hash = crypto.createHash('md5');
      const out = fs.createWriteStream(file);
      let bytes = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        res.destroy();
        out.destroy();
        reject(e);
      };
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        hash.update(d);
        opts.onProgress?.(bytes, total);
      });
      res.on('aborted', () => fail(new Error(`connection closed after ${bytes} bytes`)));
      res.on('error', (e) => fail(new Error(`connection error after ${bytes} bytes: ${e.message}`)));
      out.on('error', (e) => fail(e));
      res.on('end', () => {
        if (total && bytes !== total) fail(new Error(`connection closed after ${bytes} of ${total} bytes`));
      });
      out.on('finish', () => {
        if (failed) return;
        if (total && bytes !== total) return fail(new Error(`connection closed after ${bytes} of ${total} bytes`));
        resolve({ md5: hash.digest('hex'), bytes });
      });
      res.pipe(out);
    });
    req.setTimeout(opts.idleTimeoutMs ?? 60_000, () => req.destroy(new Error('timed out waiting for data')));
    req.on('error', reject);
  });
}

/**
 * Downloads `url` to `dest`, verifying `md5`. The data goes to a hidden temp file beside `dest`
 * and is renamed only when complete and correct; on any failure the temp file is removed and a
 * {@link NeardupError} names the URL (and the expected and actual md5 on a mismatch).
 */
export async function downloadFile(url: string, dest: string, md5: string, opts: DownloadOptions = {}): Promise<string> {
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    let got: { md5: string; bytes: number };
    try {
      got = await fetchTo(url, tmp, opts);
    } catch (e) {
      throw new NeardupError(`download of ${url} failed: ${(e as Error).message}; nothing was saved (expected md5 ${md5})`);
    }
    if (got.md5 !== md5.toLowerCase()) {
      throw new NeardupError(`download of ${url} is corrupt: md5 ${got.md5} (${got.bytes} bytes), expected ${md5}; nothing was saved`);
    }
    await fs.promises.rename(tmp, dest);
    return dest;
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/**
 * The URL `f` is fetched from: its official URL, or `$NEARDUP_DATASET_MIRROR/<filename>` when that
 * variable is set (a local or corporate mirror holding the same files; md5s are still checked).
 */
export function zooUrl(f: ZooFile): string {
  const mirror = process.env.NEARDUP_DATASET_MIRROR;
  return mirror ? `${mirror.replace(/\/+$/, '')}/${f.filename}` : f.url;
}

/**
 * Returns the path of `f` in `dir`, downloading it first when missing (unless `download` is false,
 * in which case a {@link NeardupError} says how to get it).
 */
export async function ensureZooFile(f: ZooFile, dir: string, download = true, opts: DownloadOptions = {}): Promise<string> {
  const dest = path.join(dir, f.filename);
  if (fs.existsSync(dest)) return dest;
  const url = zooUrl(f);
  if (!download) throw new NeardupError(`${dest} is missing and downloads are off: fetch ${url} (md5 ${f.md5}) into ${dir}`);
  return downloadFile(url, dest, f.md5, opts);
}
