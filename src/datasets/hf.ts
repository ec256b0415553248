/**
 * Hugging Face datasets: `hf:<owner>/<name>[@revision][:split]` or `hf:<folder>[:split]`.
 *
 * A Hub image dataset is a set of parquet files with an `Image` column (a struct `{bytes, path}`:
 * the encoded file and its original name) and usually a `ClassLabel` column (integers whose names
 * are in the dataset's features). The features travel inside each parquet file, in the `huggingface`
 * key of its schema metadata (`{"info": {"features": ...}}`, written by the `datasets` library), so
 * label names come from the files themselves.
 *
 * Where the files come from, first hit wins:
 * 1. a folder (`hf:./data/photos`, `hf:/abs/path`): every `*.parquet` under it;
 * 2. the local Hub cache that `huggingface_hub` / `datasets` write (`$HF_HUB_CACHE`, else
 *    `$HF_HOME/hub`, else `~/.cache/huggingface/hub`): `datasets--<owner>--<name>/snapshots/<commit>/`,
 *    the revision found through `refs/<revision>` (default `main`) or given as a commit hash;
 * 3. a download into that same cache layout (unless `download: false`), from `$HF_ENDPOINT`
 *    (default https://huggingface.co): the revision is first pinned to its commit, every parquet
 *    file is fetched for that commit only, checked against the sha256 the Hub lists for it (its LFS
 *    oid) and its size, written to a temp file and renamed into `blobs/<sha256>`; then the snapshot
 *    symlink and `refs/<revision>` are written. An interrupted download leaves no partial blob, and
 *    the next run fetches only what is missing. `$HF_TOKEN` is sent when set (gated datasets).
 *
 * Splits come from the Hub's file-name conventions (`data/train-00000-of-00002.parquet`,
 * `default/train/0000.parquet`, `test.parquet`); rows are ordered train, validation, test, then other
 * splits by name. Ids are `<split>/<row in split>` zero-padded, `filepath` is `<parquet file>#<row>`,
 * `image_path` keeps the image's original name, and other scalar columns are kept as they are.
 * Images are held in memory as encoded bytes (pixel kind `encoded`); an image with no bytes whose
 * `path` names an existing file (absolute or relative to its parquet file) is read from that file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import * as crypto from 'node:crypto';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { tempPathFor, writeFileAtomicSync } from '../frame/atomic';
import { safeColumnName } from '../frame/table';
import { arrayId } from './arrays';
import { buildFileDataset } from './files';
import type { LoadOptions } from './options';

/** A parsed `hf:` argument: a Hub repository (with optional revision) or a local folder, and an optional split. */
export interface HfSpec {
  kind: 'hf';
  /** `owner/name` on the Hub (absent for a folder). */
  repo?: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Absolute folder of parquet files (instead of `repo`). */
  path?: string;
  /** Only this split. */
  split?: string;
}

/** The argument syntax, as shown in help texts. */
export const HF_SYNTAX = 'hf:owner/name[@revision][:split]';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SPLIT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Parses the part after `hf:`.
 * @throws {@link NeardupError} (`invalid_argument`) naming the argument when it is neither
 *   `owner/name[@revision][:split]` nor an existing folder (`./…`, `../…`, `/…`, `~/…`) with an optional `:split`.
 */
export function parseHfSpec(arg: string): HfSpec {
  const rest = arg.replace(/^hf:/i, '');
  if (/^(\.{1,2}[\\/]|[\\/]|~[\\/])/.test(rest) || rest === '.' || rest === '..') {
    let p = rest;
    let split: string | undefined;
    const m = /^(.*):([^:/\\]+)$/.exec(rest);
    if (m && !fs.existsSync(expandHome(rest)) && SPLIT.test(m[2])) {
      p = m[1];
      split = m[2];
    }
    const abs = path.resolve(expandHome(p));
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new NeardupError(`dataset "${arg}": folder ${abs} does not exist`, 'not_found');
    return split ? { kind: 'hf', path: abs, split } : { kind: 'hf', path: abs };
  }
  const m = /^([^/@:]+)\/([^/@:]+)(?:@([^:]+))?(?::([^:]+))?$/.exec(rest);
  if (!m || !NAME.test(m[1]) || !NAME.test(m[2]) || (m[4] !== undefined && !SPLIT.test(m[4]))) {
    throw new NeardupError(`dataset "${arg}": expected ${HF_SYNTAX} or hf:./folder[:split]`);
  }
  const spec: HfSpec = { kind: 'hf', repo: `${m[1]}/${m[2]}` };
  if (m[3] !== undefined) spec.revision = m[3];
  if (m[4] !== undefined) spec.split = m[4];
  return spec;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The Hub cache folder, by huggingface_hub's rule: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
export function hubCacheDir(opts: Pick<LoadOptions, 'hubCache'> = {}): string {
  if (opts.hubCache) return path.resolve(opts.hubCache);
  if (process.env.HF_HUB_CACHE) return path.resolve(process.env.HF_HUB_CACHE);
  if (process.env.HF_HOME) return path.resolve(process.env.HF_HOME, 'hub');
  return path.join(os.homedir(), '.cache', 'huggingface', 'hub');
}

function repoDir(cache: string, repo: string): string {
  return path.join(cache, `datasets--${repo.replace('/', '--')}`);
}

/** The snapshot folder of `repo` at `revision` in the cache, or null when it is not there. */
export function cachedSnapshot(cache: string, repo: string, revision = 'main'): string | null {
  const dir = repoDir(cache, repo);
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    try {
      commit = fs.readFileSync(path.join(dir, 'refs', ...revision.split('/')), 'utf8').trim();
    } catch {
      return null;
    }
  }
  const snap = path.join(dir, 'snapshots', commit);
  return fs.existsSync(snap) && listParquet(snap).length > 0 ? snap : null;
}

/** One parquet file of the dataset and the split it belongs to. */
interface ParquetFile {
  file: string;
  rel: string;
  split: string;
}

const SPLIT_ORDER = ['train', 'validation', 'valid', 'val', 'dev', 'test'];

/** The split a data file belongs to, by the Hub's naming conventions. */
export function splitOfFile(rel: string): string {
  const parts = rel.split('/');
  const base = parts[parts.length - 1].replace(/\.parquet$/i, '');
  const shard = /^(.+?)-\d{5}-of-\d{5}(?:-[0-9a-f]+)?$/i.exec(base);
  if (shard) return shard[1];
  if (/^\d+$/.test(base) && parts.length >= 2) return parts[parts.length - 2];
  const plain = /^(.+?)(?:[-_]\d+)?$/.exec(base);
  return plain ? plain[1] : base;
}

/** Every `*.parquet` under `root` (symlinks followed, hidden entries skipped), with splits, in row order. */
function listParquet(root: string): ParquetFile[] {
  const out: ParquetFile[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let st: fs.Stats;
      try {
        st = fs.statSync(abs);
      } catch {
        continue; // dangling link: a blob not downloaded
      }
      if (st.isDirectory()) walk(abs, r);
      else if (st.isFile() && e.name.toLowerCase().endsWith('.parquet')) out.push({ file: abs, rel: r, split: splitOfFile(r) });
    }
  };
  walk(root, '');
  const rank = (s: string) => {
    const i = SPLIT_ORDER.indexOf(s.toLowerCase());
    return i < 0 ? SPLIT_ORDER.length : i;
  };
  return out.sort((a, b) => rank(a.split) - rank(b.split) || (a.split < b.split ? -1 : a.split > b.split ? 1 : 0) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** A parquet file opened for hyparquet, read by ranges (not loaded whole). */
function fileBuffer(file: string): AsyncBuffer {
  const fd = fs.openSync(file, 'r');
  const byteLength = fs.fstatSync(fd).size;
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? byteLength;
      const buf = Buffer.alloc(stop - start);
      let done = 0;
      while (done < buf.length) {
        const n = fs.readSync(fd, buf, done, buf.length - done, start + done);
        if (n === 0) break;
        done += n;
      }
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + done) as ArrayBuffer;
    },
    close: () => fs.closeSync(fd),
  } as AsyncBuffer & { close(): void };
}

type Features = Record<string, { _type?: string; names?: string[] } & Record<string, unknown>>;

/** The dataset features stored by `datasets` in the parquet schema metadata, or {} when absent. */
function featuresOf(md: FileMetaData, file: string): Features {
  const kv = md.key_value_metadata?.find((k) => k.key === 'huggingface');
  if (!kv?.value) return {};
  try {
    const info = JSON.parse(kv.value) as { info?: { features?: Features } };
    return info.info?.features ?? {};
  } catch (e) {
    throw new NeardupError(`${file}: its "huggingface" schema metadata is not valid JSON (${(e as Error).message})`, 'bad_format');
  }
}

/** Top-level columns of the file: name → child names for structs, [] for leaves. */
function topColumns(md: FileMetaData): Map<string, string[]> {
  const cols = new Map<string, string[]>();
  const schema = md.schema;
  let i = 1;
  while (i < schema.length) {
    const el = schema[i];
    const children: string[] = [];
    let next = i + 1;
    for (let c = 0; c < (el.num_children ?? 0); c++) {
      children.push(schema[next].name);
      // skip this child's own subtree
      let pending = schema[next].num_children ?? 0;
      next++;
      while (pending > 0) {
        pending += (schema[next].num_children ?? 0) - 1;
        next++;
      }
    }
    cols.set(el.name, children);
    i = next;
  }
  return cols;
}

function scalar(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === undefined) return null;
  return v;
}

/**
 * Loads an `hf:` dataset (see the module comment).
 * @throws {@link NeardupError}: `not_found` when the repository is neither in the cache nor
 *   downloadable (with downloads off, the message names the command to fetch it), `bad_format` for a
 *   parquet file without an image column, `io` for a failed download.
 */
export async function loadHf(spec: HfSpec, opts: LoadOptions = {}): Promise<Dataset> {
  let root: string;
  let name: string;
  if (spec.path) {
    root = spec.path;
    name = `hf:${spec.path}`;
  } else {
    const repo = spec.repo!;
    const revision = spec.revision ?? 'main';
    const cache = hubCacheDir(opts);
    const snap = cachedSnapshot(cache, repo, revision) ?? (await fetchHfSnapshot(repo, revision, cache, opts));
    root = snap;
    name = `hf:${repo}${spec.revision ? `@${spec.revision}` : ''}`;
  }
  let files = listParquet(root);
  if (files.length === 0) throw new NeardupError(`dataset ${name}: no .parquet files under ${root}`, 'not_found');
  if (spec.split) {
    const known = [...new Set(files.map((f) => f.split))];
    files = files.filter((f) => f.split === spec.split);
    if (files.length === 0) throw new NeardupError(`dataset ${name}: no split "${spec.split}" (splits: ${known.join(', ')})`, 'not_found');
  }
  if (opts.splits && opts.splits.length) files = files.filter((f) => opts.splits!.includes(f.split));

  const ids: string[] = [];
  const filepath: string[] = [];
  const split: string[] = [];
  const label: (number | null)[] = [];
  const labelName: (string | null)[] = [];
  const original: number[] = [];
  const images: (Uint8Array | null)[] = [];
  const imagePath: (string | null)[] = [];
  const extra = new Map<string, unknown[]>();
  const perSplit = new Map<string, number>();
  let remaining = opts.limit !== undefined && opts.limit >= 0 ? Math.floor(opts.limit) : Infinity;

  for (const f of files) {
    if (remaining <= 0) break;
    opts.onProgress?.(`reading ${f.rel}`);
    const buf = fileBuffer(f.file);
    try {
      const md = await parquetMetadataAsync(buf);
      const features = featuresOf(md, f.file);
      const cols = topColumns(md);
      const isImage = (c: string) => features[c]?._type === 'Image' || (!features[c] && (cols.get(c) ?? []).includes('bytes'));
      const imageCol = [...cols.keys()].find(isImage);
      if (!imageCol) throw new NeardupError(`${f.file}: no image column (a struct {bytes, path}, feature type Image); columns: ${[...cols.keys()].join(', ')}`, 'bad_format');
      const labelCols = [...cols.keys()].filter((c) => features[c]?._type === 'ClassLabel');
      const labelCol = labelCols.includes('label') ? 'label' : labelCols[0];
      const names = labelCol ? (features[labelCol].names ?? []) : [];
      const plainLabel = !labelCol && cols.has('label') && (cols.get('label') ?? []).length === 0 ? 'label' : undefined;
      const others = [...cols.keys()].filter((c) => c !== imageCol && c !== labelCol && c !== plainLabel && (cols.get(c) ?? []).length === 0);
      const count = Number(md.num_rows);
      const take = Math.min(count, remaining);
      const rows = take > 0 ? await parquetReadObjects({ file: buf, metadata: md, compressors, utf8: false, rowStart: 0, rowEnd: take, columns: [imageCol, ...(labelCol ? [labelCol] : []), ...(plainLabel ? [plainLabel] : []), ...others] }) : [];
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as Record<string, unknown>;
        const k = perSplit.get(f.split) ?? 0;
        perSplit.set(f.split, k + 1);
        ids.push(arrayId(f.split, k));
        filepath.push(`${f.file}#${r}`);
        split.push(f.split);
        original.push(k);
        const img = (row[imageCol] ?? null) as { bytes?: Uint8Array | string | null; path?: string | Uint8Array | null } | null;
        const p = img?.path == null ? null : typeof img.path === 'string' ? img.path : Buffer.from(img.path).toString('utf8');
        imagePath.push(p);
        images.push(imageBytes(img?.bytes, p, path.dirname(f.file)));
        const lv = labelCol ? scalar(row[labelCol]) : plainLabel ? scalar(row[plainLabel]) : null;
        const lnum = typeof lv === 'number' && lv >= 0 ? lv : null; // ClassLabel -1 = no label
        label.push(lnum);
        labelName.push(lnum === null ? (typeof lv === 'string' ? lv : null) : names[lnum] ?? String(lnum));
        for (const c of others) {
          let col = extra.get(c);
          if (!col) extra.set(c, (col = new Array(ids.length - 1).fill(null)));
          const v = scalar(row[c]);
          col.push(v instanceof Uint8Array ? null : v);
        }
      }
      for (const col of extra.values()) while (col.length < ids.length) col.push(null);
      remaining -= rows.length;
    } finally {
      (buf as AsyncBuffer & { close(): void }).close();
    }
  }

  const extraCols: Record<string, unknown[]> = {};
  const taken = ['id', 'filepath', 'split', 'label', 'label_name', 'width', 'height', 'original_index'];
  extraCols[safeColumnName('image_path', taken)] = imagePath;
  for (const [c, v] of extra) extraCols[safeColumnName(c, [...taken, ...Object.keys(extraCols)])] = v;
  return buildFileDataset(
    name,
    { id: ids, filepath, split, label, label_name: labelName, original_index: original, extra: extraCols },
    { kind: 'encoded', images },
    opts,
  );
}

/** The encoded bytes of one image cell: its bytes, else the file its `path` names (if it exists), else null. */
function imageBytes(bytes: Uint8Array | string | null | undefined, p: string | null, base: string): Uint8Array | null {
  if (bytes instanceof Uint8Array && bytes.length > 0) return bytes;
  if (typeof bytes === 'string' && bytes.length > 0) return Buffer.from(bytes, 'latin1');
  if (p) {
    const file = path.isAbsolute(p) ? p : path.join(base, p);
    try {
      return fs.readFileSync(file);
    } catch {
      return null; // recorded as "no image bytes" when embedding
    }
  }
  return null;
}

// ---------------------------------------------------------------- download

/** The Hub endpoint: `$HF_ENDPOINT`, else https://huggingface.co. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

function headers(): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': 'neardup' };
  if (process.env.HF_TOKEN) h.authorization = `Bearer ${process.env.HF_TOKEN}`;
  return h;
}

function get(url: string, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers: headers() }, (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 300 && code < 400 && res.headers.location) {
        res.resume();
        if (redirects >= 5) return reject(new Error('too many redirects'));
        return get(new URL(res.headers.location, url).toString(), redirects + 1).then(resolve, reject);
      }
      resolve(res);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out waiting for data')));
    req.on('error', reject);
  });
}

async function getJson<T>(url: string): Promise<T> {
  let res: http.IncomingMessage;
  try {
    res = await get(url);
  } catch (e) {
    throw new NeardupError(`cannot reach ${url}: ${(e as Error).message}`, 'io');
  }
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  if (res.statusCode === 401 || res.statusCode === 403) throw new NeardupError(`${url}: HTTP ${res.statusCode} (a gated or private dataset needs HF_TOKEN)`, 'io');
  if (res.statusCode === 404) throw new NeardupError(`${url}: not found on the Hub (HTTP 404)`, 'not_found');
  if (res.statusCode !== 200) throw new NeardupError(`${url}: HTTP ${res.statusCode}`, 'io');
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new NeardupError(`${url}: the answer is not JSON`, 'protocol');
  }
}

/** One file of the Hub's tree listing (`/api/datasets/<repo>/tree/<commit>`). */
interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number };
}

/** Streams `url` into `dest` through a temp file, checking size and sha256; nothing is left on failure. */
async function downloadChecked(url: string, dest: string, sha256: string, size: number, onProgress?: (m: string) => void): Promise<void> {
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    const res = await get(url).catch((e: Error) => {
      throw new NeardupError(`download of ${url} failed: ${e.message}; nothing was saved`, 'io');
    });
    if (res.statusCode !== 200) {
      res.resume();
      throw new NeardupError(`download of ${url} failed: HTTP ${res.statusCode}; nothing was saved`, 'io');
    }
    const hash = crypto.createHash('sha256');
    const out = fs.createWriteStream(tmp);
    let bytes = 0;
    let last = -1;
    try {
      for await (const c of res) {
        const chunk = c as Buffer;
        bytes += chunk.length;
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        const pct = size ? Math.floor((100 * bytes) / size / 10) * 10 : -1;
        if (pct !== last) {
          last = pct;
          onProgress?.(`downloading ${url}: ${pct}%`);
        }
      }
    } catch (e) {
      throw new NeardupError(`download of ${url} failed after ${bytes} bytes: ${(e as Error).message}; nothing was saved`, 'io');
    } finally {
      await new Promise<void>((r) => out.end(() => r()));
    }
    const got = hash.digest('hex');
    if (bytes !== size || got !== sha256) {
      throw new NeardupError(`download of ${url} is corrupt: ${bytes} bytes with sha256 ${got}, expected ${size} bytes with sha256 ${sha256}; nothing was saved`, 'io');
    }
    await fs.promises.rename(tmp, dest);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

/**
 * Downloads the parquet files of `repo` at `revision` into the Hub cache layout and returns the
 * snapshot folder (see the module comment: pinned commit, sha256 and size checks, atomic writes).
 * @throws {@link NeardupError}: `not_found` when downloads are off or the Hub does not know the
 *   repository or revision; `io` for network failures and checksum mismatches (nothing is saved).
 */
export async function fetchHfSnapshot(repo: string, revision: string, cache: string, opts: LoadOptions = {}): Promise<string> {
  if (opts.download === false) {
    throw new NeardupError(
      `dataset hf:${repo}@${revision} is not in the Hugging Face cache ${cache} and downloads are off: run without --no-download, or fetch it with \`huggingface-cli download --repo-type dataset ${repo} --revision ${revision}\``,
      'not_found',
    );
  }
  const api = `${hubEndpoint()}/api/datasets/${repo}`;
  const info = await getJson<{ sha?: string }>(`${api}/revision/${encodeURIComponent(revision)}`);
  if (!info.sha || !/^[0-9a-f]{40}$/.test(info.sha)) throw new NeardupError(`${api}/revision/${revision}: no commit hash in the answer`, 'protocol');
  const commit = info.sha;
  const tree = await getJson<TreeEntry[]>(`${api}/tree/${commit}?recursive=true`);
  const files = tree.filter((e) => e.type === 'file' && e.path.toLowerCase().endsWith('.parquet'));
  if (files.length === 0) throw new NeardupError(`hf:${repo}@${revision} (commit ${commit}) has no .parquet files`, 'not_found');
  const dir = repoDir(cache, repo);
  const snap = path.join(dir, 'snapshots', commit);
  for (const f of files) {
    if (!f.lfs?.oid) throw new NeardupError(`hf:${repo}: ${f.path} has no LFS sha256 in the Hub's listing, so it cannot be checked`, 'protocol');
    const blob = path.join(dir, 'blobs', f.lfs.oid);
    if (!fs.existsSync(blob)) {
      const url = `${hubEndpoint()}/datasets/${repo}/resolve/${commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
      await downloadChecked(url, blob, f.lfs.oid, f.lfs.size, opts.onProgress);
    }
    const link = path.join(snap, ...f.path.split('/'));
    await fs.promises.mkdir(path.dirname(link), { recursive: true });
    await fs.promises.rm(link, { force: true });
    await fs.promises.symlink(path.relative(path.dirname(link), blob), link);
  }
  if (revision !== commit) {
    const ref = path.join(dir, 'refs', ...revision.split('/'));
    fs.mkdirSync(path.dirname(ref), { recursive: true });
    writeFileAtomicSync(ref, commit);
  }
  return snap;
}
