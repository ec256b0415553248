/**
 * Image folders: a classification tree (`label/img`), a split tree (`split/label/img`, splits named
 * train/test/val/validation/valid), or a flat or nested folder without labels.
 * Recursive; symlinks are followed but every folder is visited once (by real path), so link loops
 * end. Hidden files/folders are ignored, and so are files that are neither named nor shaped like
 * an image. A file sharp cannot read, or a dangling or looping symlink with an image name, still
 * gets a row (width/height null): the embedding stage marks it skipped with its reason.
 * Names are read as bytes: one that is not UTF-8 gets the lossless id of names.ts. Rows that are
 * one file under several names (symlinks, hard links) carry `alias_of` (aliases.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import type { LoadOptions } from './options';
import { buildFileDataset, codeLabelNames, selectRows } from './files';
import { encodePathString, encodeSegment, fsPath } from './names';
import { findAliases } from './aliases';

/** Extensions taken as images without sniffing. */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.dib',
  '.avif', '.heic', '.heif', '.pgm', '.pbm', '.ppm', '.pnm', '.jxl', '.jp2',
]);

/** Folder names recognised as splits at the top of the tree. */
export const SPLIT_NAMES = new Set(['train', 'test', 'val', 'validation', 'valid']);

/** True when the first bytes look like a common image format. */
export function looksLikeImage(head: Uint8Array): boolean {
  const b = head;
  const s = (i: number, str: string) => [...str].every((c, k) => b[i + k] === c.charCodeAt(0));
  if (b.length < 4) return false;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return true; // JPEG
  if (b[0] === 0x89 && s(1, 'PNG')) return true;
  if (s(0, 'GIF8')) return true;
  if (s(0, 'BM')) return true;
  if ((s(0, 'II') && b[2] === 42 && b[3] === 0) || (s(0, 'MM') && b[2] === 0 && b[3] === 42)) return true; // TIFF
  if (s(0, 'RIFF') && b.length >= 12 && s(8, 'WEBP')) return true;
  if (b.length >= 12 && s(4, 'ftyp') && /^(avif|avis|heic|heix|mif1|msf1)$/.test(String.fromCharCode(...b.subarray(8, 12)))) return true;
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) return true; // PNM
  return false;
}

async function sniff(file: string | Buffer): Promise<boolean> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    return looksLikeImage(buf.subarray(0, bytesRead));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

const SLASH = Buffer.from('/');

/** Extension of a byte name, lower-cased (`.jpg`), or '' (names are read as bytes; see names.ts). */
function extOf(name: Buffer): string {
  const dot = name.lastIndexOf(0x2e);
  return dot > 0 ? name.subarray(dot).toString('latin1').toLowerCase() : '';
}

/**
 * Relative ids (with `/`) of the image files under `root`, sorted by their bytes. Names are read as
 * bytes, so a name that is not valid UTF-8 is listed too, under the lossless id of names.ts.
 * A symlink with an image extension that leads nowhere (dangling, or a loop) is listed as well: the
 * embedding stage then records `broken symlink` or `symlink loop` for it instead of losing the row.
 */
export async function listImageFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
  async function walk(dir: Buffer, rel: string): Promise<void> {
    let real: string;
    try {
      real = (await fs.promises.realpath(dir, { encoding: 'buffer' })).toString('latin1');
    } catch {
      return;
    }
    if (visited.has(real)) return; // a symlink loop, or the same folder reached twice
    visited.add(real);
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return; // unreadable folder: nothing to list
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const e of entries) {
      if (e.name[0] === 0x2e) continue; // hidden
      const abs = Buffer.concat([dir, SLASH, e.name]);
      const id = encodeSegment(e.name);
      const r = rel ? `${rel}/${id}` : id;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      const ext = extOf(e.name);
      if (e.isSymbolicLink()) {
        try {
          const st = await fs.promises.stat(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          // Dangling or looping link: keep the row when the name says image (its reason comes later).
          if (IMAGE_EXTENSIONS.has(ext)) out.push(r);
          continue;
        }
      }
      if (isDir) await walk(abs, r);
      else if (isFile) {
        if (IMAGE_EXTENSIONS.has(ext) || (await sniff(abs))) out.push(r);
      }
    }
  }
  await walk(Buffer.from(path.resolve(root)), '');
  return out;
}

/** How labels and splits are read from the tree. */
export interface TreeLayout {
  split: (string | null)[];
  label: (string | null)[];
}

/** Detects split and label folders from the relative paths. */
export function detectLayout(rels: string[]): TreeLayout {
  const parts = rels.map((r) => r.split('/'));
  const hasSplits = parts.length > 0 && parts.every((p) => p.length >= 2 && SPLIT_NAMES.has(p[0].toLowerCase()));
  const rest = parts.map((p) => (hasSplits ? p.slice(1) : p));
  const labelled = rest.length > 0 && rest.every((p) => p.length === 2);
  return {
    split: parts.map((p) => (hasSplits ? p[0] : null)),
    label: rest.map((p) => (labelled ? p[0] : null)),
  };
}

/** Pixel size after EXIF orientation, or nulls when sharp cannot read the header. */
export async function imageSize(file: string | Uint8Array): Promise<{ width: number | null; height: number | null }> {
  try {
    // sharp takes string paths only: a name that is not UTF-8 is read here and handed over as bytes.
    // Encoded bytes in memory (hf: datasets) go to sharp as they are.
    const p = typeof file === 'string' ? fsPath(file) : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    const m = await sharp(typeof p === 'string' || typeof file !== 'string' ? p : await fs.promises.readFile(p), { failOn: 'none' }).metadata();
    const o = (m as { autoOrient?: { width: number; height: number } }).autoOrient;
    if (o && o.width && o.height) return { width: o.width, height: o.height };
    if (!m.width || !m.height) return { width: null, height: null };
    const swap = m.orientation !== undefined && m.orientation >= 5;
    return swap ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch {
    return { width: null, height: null };
  }
}

/** Loads an image folder (see the module comment for the layouts it understands). */
export async function loadFolder(root: string, opts: LoadOptions = {}): Promise<Dataset> {
  const abs = path.resolve(root);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new NeardupError(`folder ${root} does not exist`);
  opts.onProgress?.(`listing images under ${abs}`);
  const all = await listImageFiles(abs);
  const layout = detectLayout(all);
  const keep = selectRows(all.length, (i) => layout.split[i], opts);
  if (all.length === 0) throw new NeardupError(`folder ${root} contains no image files`);

  const labels = codeLabelNames(layout.label);
  // Ids of names that are not UTF-8 are encoded (names.ts); the root is encoded the same way so that
  // every filepath decodes back to its file's bytes.
  const base = encodePathString(abs);
  const paths = keep.map((i) => `${base}${base.endsWith('/') ? '' : '/'}${all[i]}`);
  const aliasOf = await findAliases(paths);
  const rows = {
    id: keep.map((i) => all[i]),
    filepath: paths,
    split: keep.map((i) => layout.split[i]),
    label: keep.map((i) => labels.codes[i]),
    label_name: keep.map((i) => layout.label[i]),
    original_index: keep,
    extra: { alias_of: Array.from(aliasOf, (j) => (j >= 0 ? all[keep[j]] : null)) },
  };
  return buildFileDataset(abs, rows, { kind: 'files', paths }, opts);
}
