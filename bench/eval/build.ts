/**
 * Builds the detection-quality benchmark into out/eval-bench/ (deterministic, seeded):
 *   images/<photo>.jpg                  normalised original (longest side ≤ 1024 px, JPEG q95)
 *   images/<photo>__<transform>.<ext>   transformed copies of each original
 *   images/<distractor>.jpg             unrelated photos, no copies
 *   truth.csv / manifest.json           ground truth: one group per original (original + its copies)
 *
 * Run alone with `node --import tsx bench/eval/build.ts [--force]`; `npm run eval` calls it first.
 * An existing benchmark with the same version is reused (the build takes ~1 min on 2 cores).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SOURCES, REQUIRED_PACKAGES, type PhotoSource } from './sources';
import { TRANSFORMS, applyTransform, type Img } from './transforms';

/** Bump when sources or transforms change so stale benchmarks are rebuilt. */
export const BENCH_VERSION = 2;
export const MAX_SIDE = 1024;

export interface TruthRow {
  file: string;
  /** Ground-truth group: the original's name (distractors are their own singleton group). */
  group: string;
  role: 'original' | 'copy' | 'distractor';
  /** Transform name for copies, '' otherwise. */
  transform: string;
  theme: string;
  pkg: string;
  license: string;
}

export interface BenchManifest {
  version: number;
  transforms: string[];
  sources: PhotoSource[];
  rows: (TruthRow & { params?: Record<string, number | string> })[];
}

function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function normalise(src: PhotoSource): Promise<Img> {
  const { data, info } = await sharp(src.path, { limitInputPixels: false })
    .rotate()
    .resize(MAX_SIDE, MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#000000' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Builds (or reuses) the benchmark under `outDir`; returns its manifest. */
export async function buildBenchmark(outDir: string, opts: { force?: boolean; log?: (s: string) => void } = {}): Promise<BenchManifest> {
  const log = opts.log ?? (() => {});
  const manifestPath = join(outDir, 'manifest.json');
  if (!opts.force && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as BenchManifest;
    if (m.version === BENCH_VERSION && m.rows.every((r) => existsSync(join(outDir, 'images', r.file)))) return m;
  }
  const missing = SOURCES.filter((s) => !existsSync(s.path));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((s) => s.pkg))].filter((p) => REQUIRED_PACKAGES.includes(p));
    throw new Error(
      `benchmark sources missing: ${missing.map((s) => s.path).slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}\n` +
        (pkgs.length ? `install them with: apt-get install ${pkgs.join(' ')}` : ''),
    );
  }
  const imgDir = join(outDir, 'images');
  // Our own generated folder: start clean so files of an older benchmark version cannot linger.
  rmSync(imgDir, { recursive: true, force: true });
  mkdirSync(imgDir, { recursive: true });
  const rows: BenchManifest['rows'] = [];
  for (const src of SOURCES) {
    const img = await normalise(src);
    const base: Omit<TruthRow, 'file' | 'role' | 'transform'> = { group: src.name, theme: src.theme, pkg: src.pkg, license: src.license };
    const file = `${src.name}.jpg`;
    writeAtomic(join(imgDir, file), await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer());
    rows.push({ ...base, file, role: src.role === 'original' ? 'original' : 'distractor', transform: '' });
    if (src.role !== 'original') continue;
    for (const t of Object.keys(TRANSFORMS)) {
      const enc = await applyTransform(t, img, src.name);
      const copy = `${src.name}__${t.replace(/\+/g, '-')}.${enc.ext}`;
      writeAtomic(join(imgDir, copy), enc.bytes);
      rows.push({ ...base, file: copy, role: 'copy', transform: t, params: enc.params });
    }
    log(`  ${src.name}: original + ${Object.keys(TRANSFORMS).length} copies`);
  }
  const header = 'file,group,role,transform,theme,package,license';
  const csv = [header, ...rows.map((r) => [r.file, r.group, r.role, r.transform, r.theme, r.pkg, r.license].map(csvCell).join(','))].join('\n') + '\n';
  writeAtomic(join(outDir, 'truth.csv'), csv);
  const manifest: BenchManifest = { version: BENCH_VERSION, transforms: Object.keys(TRANSFORMS), sources: SOURCES, rows };
  writeAtomic(manifestPath, JSON.stringify(manifest, null, 1));
  return manifest;
}

if (require.main === module) {
  const out = join(__dirname, '..', '..', 'out', 'eval-bench');
  const t0 = Date.now();
  buildBenchmark(out, { force: process.argv.includes('--force'), log: console.log })
    .then((m) => {
      const n = (r: string) => m.rows.filter((x) => x.role === r).length;
      console.log(`benchmark in ${out}: ${n('original')} originals, ${n('copy')} copies, ${n('distractor')} distractors (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    })
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
