/**
 * Builds the benchmark's image families into `outDir` (default out/eval-families/, never committed),
 * deterministically (seeded):
 *   images/<family>/<name>.<ext>                 original, distractor or control (longest side ≤ 1024 px)
 *   images/<family>/<name>__<transform>.<ext>    copies of each original
 *   truth.csv, manifest.json                     ground truth: one group per original (it and its copies);
 *                                                distractors and controls are singleton groups
 * Families (docs/quality.md, "Image families"): wallpapers, space, textures, documents, screenshots (code in an
 * editor; version 3, its window chrome version 4), tiny (32×32) and control (no duplicates at all). Sources are Debian package files (family-sources.ts); a source whose
 * pixels equal those of an earlier one (in any family) is skipped and listed in `skipped`.
 *
 * Run alone with `node --import tsx bench/eval/families.ts [--force]`, or families-check.ts.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import type { Dataset } from '../../src/types';
import { FAMILY_NAMES, FAMILY_PACKAGES, familySources, type FamilyName, type FamilySource } from './family-sources';
import { TRANSFORMS, applyTransform, type Img } from './transforms';
import { TINY_SIDE, TINY_TRANSFORMS, applyTinyTransform } from './tiny-transforms';

/** Bump when sources, transforms or the layout change, so a stale build is rebuilt. */
export const FAMILIES_VERSION = 6;
export const MAX_SIDE = 1024;
export const DEFAULT_FAMILIES_DIR = join(__dirname, '..', '..', 'out', 'eval-families');

export type FamilyRole = 'original' | 'copy' | 'distractor' | 'control';

export interface FamilyRow {
  /** Path relative to `<outDir>/images`, e.g. `space/space-jupiter__hflip.jpg`. */
  file: string;
  family: FamilyName;
  /** Ground-truth group: the original's name; a distractor or control is its own group (its name). */
  group: string;
  role: FamilyRole;
  /** Copy kind for copies ('' otherwise). */
  transform: string;
  theme: string;
  pkg: string;
  author: string;
  license: string;
  /** Source file in the package (and the region cut from it, as fractions), for provenance. */
  source: string;
  region?: { x: number; y: number; w: number; h: number };
  /** Transform parameters drawn by the seeded generator. */
  params?: Record<string, number | string>;
}

export interface FamilyStats {
  originals: number;
  copies: number;
  distractors: number;
  controls: number;
  /** Copy kinds used in this family. */
  transforms: string[];
  /** Pairs of files in one ground-truth group (original–copy and copy–copy). */
  truePairs: number;
  images: number;
}

export interface FamilyManifest {
  version: number;
  families: Record<FamilyName, FamilyStats>;
  rows: FamilyRow[];
  /** Sources left out because their pixels equal an earlier source's. */
  skipped: { name: string; family: FamilyName; duplicateOf: string }[];
  packages: string[];
}

function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const load = (img: Img) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });

/** First page of a gzipped man page, typeset with groff's PostScript device and rasterised by Ghostscript at 100 dpi (US letter → 850×1100). */
function renderManPage(path: string): Buffer {
  const roff = gunzipSync(readFileSync(path));
  const ps = execFileSync('groff', ['-man', '-Tps', '-P-pletter'], { input: roff, maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
  return execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=png16m', '-r100', '-dFirstPage=1', '-dLastPage=1', '-dTextAlphaBits=4', '-dGraphicsAlphaBits=4', '-sOutputFile=-', '-'], {
    input: ps,
    maxBuffer: 64 << 20,
  });
}

/** Lines, size and colours of a code screenshot (an editor's light theme). */
const CODE = { lines: 40, width: 960, height: 720, font: 13, lineHeight: 15, bar: 28, toolbar: 30, tab: 26, status: 24, gutter: 48, maxChars: 118 };
const PY_KEYWORDS = /^(def|class|import|from|return|if|elif|else|for|while|in|not|and|or|is|None|True|False|try|except|finally|with|as|pass|raise|yield|lambda|global|nonlocal|del|assert|break|continue|async|await|self)$/;
const xml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const TOOLBAR = ['New', 'Open', 'Save', 'Cut', 'Copy', 'Paste', 'Undo', 'Redo', 'Find', 'Run', 'Debug', 'Git'];

/**
 * The first {@link CODE} lines of a Python source file drawn as an editor screenshot: a title bar with the file name,
 * a toolbar, a tab, a gutter of line numbers, the code in DejaVu Sans Mono with comments, strings and keywords
 * coloured, and a status bar (SVG rasterised by sharp's librsvg). Every screenshot shares the window's chrome (title
 * bar, toolbar, gutter, status bar), as screenshots of one application do; the code differs. Version 4 of the
 * families (the first build, version 3, had no toolbar nor status bar: docs/quality.md, "A second text family").
 */
export function renderCode(path: string): Buffer {
  const lines = readFileSync(path, 'utf8').replace(/\t/g, '    ').split('\n').slice(0, CODE.lines);
  const { width, height, font, lineHeight, bar, toolbar, tab, status, gutter, maxChars } = CODE;
  const file = path.split('/').pop()!;
  const top = bar + toolbar + tab;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`,
    `<rect width="${width}" height="${height}" fill="#fbfbf8"/>`,
    `<rect width="${width}" height="${bar}" fill="#dcdcdc"/>`,
    ...[14, 34, 54].map((x, i) => `<circle cx="${x}" cy="${bar / 2}" r="6" fill="${['#e0605a', '#e0b040', '#60b050'][i]}"/>`),
    `<text x="${width / 2}" y="${bar / 2 + 5}" font-family="DejaVu Sans" font-size="13" fill="#333" text-anchor="middle">${xml(path.split('/').slice(-2).join('/'))} — Editor</text>`,
    `<rect y="${bar}" width="${width}" height="${toolbar}" fill="#eeeeee"/>`,
    ...TOOLBAR.map((t, i) => `<rect x="${8 + i * 62}" y="${bar + 4}" width="56" height="${toolbar - 8}" rx="4" fill="#ffffff" stroke="#b8b8b8"/><text x="${36 + i * 62}" y="${bar + toolbar / 2 + 4}" font-family="DejaVu Sans" font-size="11" fill="#404040" text-anchor="middle">${t}</text>`),
    `<rect y="${bar + toolbar}" width="${width}" height="${tab}" fill="#e4e4e4"/>`,
    `<rect x="${gutter}" y="${bar + toolbar + 2}" width="170" height="${tab - 2}" fill="#fbfbf8" stroke="#c8c8c8"/>`,
    `<text x="${gutter + 10}" y="${bar + toolbar + tab / 2 + 5}" font-family="DejaVu Sans" font-size="12" fill="#202020">${xml(file)}  ×</text>`,
    `<rect y="${top}" width="${gutter}" height="${height - top - status}" fill="#f0f0ec"/>`,
    `<rect y="${height - status}" width="${width}" height="${status}" fill="#2f6fae"/>`,
    `<text x="12" y="${height - status / 2 + 4}" font-family="DejaVu Sans" font-size="12" fill="#ffffff">main ↻   ⊗ 0  ⚠ 0</text>`,
    `<text x="${width - 12}" y="${height - status / 2 + 4}" font-family="DejaVu Sans" font-size="12" fill="#ffffff" text-anchor="end">Ln 1, Col 1    Spaces: 4    UTF-8    LF    Python 3.11</text>`,
  ];
  lines.forEach((raw, i) => {
    const y = top + 4 + (i + 1) * lineHeight;
    out.push(`<text x="${gutter - 8}" y="${y}" font-family="DejaVu Sans Mono" font-size="${font}" fill="#9a9a9a" text-anchor="end">${i + 1}</text>`);
    const line = raw.length > maxChars ? raw.slice(0, maxChars) : raw;
    // Tokens: a comment to the end of the line, quoted strings, words (keywords coloured), anything else.
    const spans: string[] = [];
    for (const m of line.matchAll(/(#.*$)|('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)|([A-Za-z_]\w*)|(\s+|.)/g)) {
      const [tok, comment, str, word] = m;
      const fill = comment ? '#6a9955' : str ? '#a31515' : word && PY_KEYWORDS.test(word) ? '#0000c8' : '#1e1e1e';
      spans.push(`<tspan fill="${fill}">${xml(tok)}</tspan>`);
    }
    out.push(`<text x="${gutter + 8}" y="${y}" font-family="DejaVu Sans Mono" font-size="${font}" xml:space="preserve">${spans.join('')}</text>`);
  });
  out.push('</svg>');
  return Buffer.from(out.join('\n'));
}

/** Decodes a source (rendering man pages), cuts its region, bounds it to MAX_SIDE and flattens transparency (white for cut-out stamps, black otherwise). */
async function loadSource(src: FamilySource): Promise<Img> {
  const input = src.render === 'man' ? renderManPage(src.path) : src.render === 'code' ? renderCode(src.path) : src.path;
  let s = sharp(input, { limitInputPixels: false }).rotate();
  if (src.region) {
    const m = await sharp(input, { limitInputPixels: false }).metadata();
    const W = m.width!;
    const H = m.height!;
    const left = Math.round(src.region.x * W);
    const top = Math.round(src.region.y * H);
    s = s.extract({ left, top, width: Math.min(W - left, Math.round(src.region.w * W)), height: Math.min(H - top, Math.round(src.region.h * H)) });
    // extract then resize must be separate pipelines in sharp to keep the order.
    s = sharp(await s.png().toBuffer());
  }
  const bg = src.pkg === 'tuxpaint-stamps-default' ? '#ffffff' : '#000000';
  const { data, info } = await s
    .resize(MAX_SIDE, MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: bg })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A tiny-family image: the stamp fitted into 32×32 on white (aspect kept), as CIFAR's centred objects. */
async function toTiny(img: Img): Promise<Img> {
  const { data, info } = await load(img)
    .resize(TINY_SIDE, TINY_SIDE, { fit: 'contain', background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const pixelHash = (img: Img) => createHash('sha256').update(`${img.width}x${img.height}:`).update(img.data).digest('hex');

/** Sources whose file is absent, and the `apt-get install` line that brings them. */
export function missingSources(sources = familySources()): { missing: FamilySource[]; hint: string } {
  const missing = sources.filter((s) => !existsSync(s.path));
  const pkgs = [...new Set(missing.map((s) => s.pkg))].filter((p) => FAMILY_PACKAGES.includes(p));
  const tools = ['groff', 'gs'].filter((t) => {
    try {
      execFileSync('which', [t], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (tools.length) pkgs.push(...tools.map((t) => (t === 'gs' ? 'ghostscript' : 'groff-base')));
  return { missing, hint: pkgs.length ? `apt-get install ${FAMILY_PACKAGES.join(' ')}` : '' };
}

function stats(rows: FamilyRow[]): Record<FamilyName, FamilyStats> {
  const out = {} as Record<FamilyName, FamilyStats>;
  for (const f of FAMILY_NAMES) {
    const r = rows.filter((x) => x.family === f);
    const sizes = new Map<string, number>();
    for (const x of r) sizes.set(x.group, (sizes.get(x.group) ?? 0) + 1);
    out[f] = {
      originals: r.filter((x) => x.role === 'original').length,
      copies: r.filter((x) => x.role === 'copy').length,
      distractors: r.filter((x) => x.role === 'distractor').length,
      controls: r.filter((x) => x.role === 'control').length,
      transforms: [...new Set(r.filter((x) => x.role === 'copy').map((x) => x.transform))],
      truePairs: [...sizes.values()].reduce((s, n) => s + (n * (n - 1)) / 2, 0),
      images: r.length,
    };
  }
  return out;
}

/**
 * Builds (or reuses, when a complete build of the same version is there) every family under `outDir`.
 * @param outDir output folder; its `images/` is ours and is recreated on a rebuild.
 * @param opts.force rebuild even if a complete build exists; opts.log receives progress lines.
 * @returns the manifest (also written to `<outDir>/manifest.json`, with `<outDir>/truth.csv`).
 * @throws Error listing missing source files and the exact `apt-get install` line to run.
 */
export async function buildFamilies(outDir: string = DEFAULT_FAMILIES_DIR, opts: { force?: boolean; log?: (s: string) => void } = {}): Promise<FamilyManifest> {
  const log = opts.log ?? (() => {});
  const manifestPath = join(outDir, 'manifest.json');
  if (!opts.force && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as FamilyManifest;
    if (m.version === FAMILIES_VERSION && m.rows.every((r) => existsSync(join(outDir, 'images', r.file)))) return m;
  }
  const sources = familySources();
  const { missing, hint } = missingSources(sources);
  if (missing.length || hint) {
    throw new Error(
      `image family sources missing (${missing.length}): ${missing.map((s) => s.path).slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}\n` +
        `install them with: ${hint || `apt-get install ${FAMILY_PACKAGES.join(' ')}`}`,
    );
  }
  const imgDir = join(outDir, 'images');
  rmSync(imgDir, { recursive: true, force: true });
  for (const f of FAMILY_NAMES) mkdirSync(join(imgDir, f), { recursive: true });
  const rows: FamilyRow[] = [];
  const skipped: FamilyManifest['skipped'] = [];
  const seen = new Map<string, string>();
  const bigKinds = Object.keys(TRANSFORMS);
  const tinyKinds = Object.keys(TINY_TRANSFORMS);
  for (const src of sources) {
    let img = await loadSource(src);
    if (src.family === 'tiny') img = await toTiny(img);
    // Dedupe on decoded pixels (after region/resize) across all families: the same picture shipped twice is one source.
    const h = pixelHash(img);
    const dup = seen.get(h);
    if (dup) {
      skipped.push({ name: src.name, family: src.family, duplicateOf: dup });
      log(`  skip ${src.name}: same pixels as ${dup}`);
      continue;
    }
    seen.set(h, src.name);
    const png = src.family === 'tiny' || src.family === 'documents' || src.family === 'screenshots';
    const file = `${src.family}/${src.name}.${png ? 'png' : 'jpg'}`;
    const enc = png ? load(img).png() : load(img).jpeg({ quality: 95 });
    writeAtomic(join(imgDir, file), await enc.toBuffer());
    const base = { family: src.family, group: src.name, theme: src.theme, pkg: src.pkg, author: src.author, license: src.license, source: src.path, ...(src.region ? { region: src.region } : {}) };
    rows.push({ ...base, file, role: src.role, transform: '' });
    if (src.role !== 'original') continue;
    for (const t of src.family === 'tiny' ? tinyKinds : bigKinds) {
      const c = src.family === 'tiny' ? await applyTinyTransform(t, img, src.name) : await applyTransform(t, img, src.name);
      // Rotation and letterboxing grow the canvas: bring such copies back within MAX_SIDE (still copies, one more resize).
      const meta = await sharp(c.bytes).metadata();
      if (Math.max(meta.width!, meta.height!) > MAX_SIDE) {
        c.bytes = await sharp(c.bytes).resize(MAX_SIDE, MAX_SIDE, { fit: 'inside' }).jpeg({ quality: 95 }).toBuffer();
        c.params = { ...c.params, fit_inside: MAX_SIDE };
      }
      const copy = `${src.family}/${src.name}__${t.replace(/\+/g, '-')}.${c.ext}`;
      writeAtomic(join(imgDir, copy), c.bytes);
      rows.push({ ...base, file: copy, role: 'copy', transform: t, params: c.params });
    }
    log(`  ${src.family}/${src.name}: original + ${src.family === 'tiny' ? tinyKinds.length : bigKinds.length} copies`);
  }
  const header = 'file,family,group,role,transform,theme,package,author,license';
  const csv = [header, ...rows.map((r) => [r.file, r.family, r.group, r.role, r.transform, r.theme, r.pkg, r.author, r.license].map(csvCell).join(','))].join('\n') + '\n';
  writeAtomic(join(outDir, 'truth.csv'), csv);
  const manifest: FamilyManifest = { version: FAMILIES_VERSION, families: stats(rows), rows, skipped, packages: FAMILY_PACKAGES };
  writeAtomic(manifestPath, JSON.stringify(manifest, null, 1));
  return manifest;
}

/** Rows of one family, in manifest order; absolute paths via `join(outDir, 'images', row.file)`. */
export function familyRows(m: FamilyManifest, family: FamilyName): FamilyRow[] {
  return m.rows.filter((r) => r.family === family);
}

/**
 * The tiny family as a CIFAR-layout dataset: N×3×32×32 planar uint8 RGB, rows in manifest order, ids equal
 * to the rows' `file`, so results map back to the ground truth. Decodes the PNG files written by buildFamilies.
 */
export async function tinyFamilyDataset(m: FamilyManifest, outDir: string = DEFAULT_FAMILIES_DIR): Promise<{ dataset: Dataset; rows: FamilyRow[] }> {
  const rows = familyRows(m, 'tiny');
  const plane = TINY_SIDE * TINY_SIDE;
  const data = new Uint8Array(rows.length * 3 * plane);
  for (const [i, r] of rows.entries()) {
    const { data: rgb, info } = await sharp(join(outDir, 'images', r.file)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.width !== TINY_SIDE || info.height !== TINY_SIDE || info.channels !== 3) throw new Error(`${r.file}: expected ${TINY_SIDE}x${TINY_SIDE} RGB, got ${info.width}x${info.height}x${info.channels}`);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[i * 3 * plane + c * plane + p] = rgb[3 * p + c];
  }
  const dataset: Dataset = {
    name: 'tiny-family',
    df: new DataFrame({ id: rows.map((r) => r.file) }),
    pixels: { kind: 'array', width: TINY_SIDE, height: TINY_SIDE, channels: 3, layout: 'planar', data },
  };
  return { dataset, rows };
}

if (require.main === module) {
  const t0 = Date.now();
  buildFamilies(DEFAULT_FAMILIES_DIR, { force: process.argv.includes('--force'), log: console.log })
    .then((m) => {
      for (const [f, s] of Object.entries(m.families)) console.log(`${f}: ${s.images} images (${s.originals} originals, ${s.copies} copies, ${s.distractors} distractors, ${s.controls} controls)`);
      console.log(`in ${DEFAULT_FAMILIES_DIR} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    })
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
