/**
 * Builds the image families (families.ts) and checks them: prints per family the originals, copies,
 * distractors, controls, kinds of copies and true pairs; verifies that no two files of the no-duplicates
 * control have identical bytes; lists pairs of non-copy images that look nearly the same (grayscale 16×16
 * correlation, also mirrored, ≥ 0.9; and pairs whose fine detail correlates ≥ 0.4, which finds re-shaded or recoloured
 * variants of one picture: candidates for wrong ground truth, to look at); and writes a contact
 * sheet per family to out/eval-families/sheets/<family>.png (originals, distractors/controls, then the copies
 * of the first two originals).
 *
 *   node --import tsx bench/eval/families-check.ts [--force]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildFamilies, DEFAULT_FAMILIES_DIR, familyRows, type FamilyManifest, type FamilyRow } from './families';
import { FAMILY_NAMES } from './family-sources';
import { contactSheet, type SheetItem } from './contact-sheet';

const COLOUR: Record<string, string> = { original: '#7fff7f', copy: '#ffff7f', distractor: '#ff9f7f', control: '#9fcfff' };

/** `v` made zero-mean and unit-norm, in place (a constant vector stays zero): its dot products are correlations. */
function unitNorm(v: Float64Array): Float64Array {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] -= mean) ** 2;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Zero-mean, unit-norm 16×16 grayscale vectors of an image and its mirror. */
async function signature(path: string): Promise<[Float64Array, Float64Array]> {
  const one = async (flip: boolean) => {
    let s = sharp(path).grayscale().resize(16, 16, { fit: 'fill' });
    if (flip) s = s.flop();
    return unitNorm(Float64Array.from(await s.raw().toBuffer()));
  };
  return [await one(false), await one(true)];
}
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Side (px) of the detail signature; its blur (σ, px) takes the shading away and leaves the fine detail. */
const DETAIL_SIDE = 128;
const DETAIL_SIGMA = 2;

/**
 * Zero-mean, unit-norm detail of an image and its mirror: grayscale at 128×128 minus its Gaussian blur. Shading, tint
 * and contrast change the 16×16 signature but not this, so a recoloured or re-shaded variant of one picture (two
 * Scorched3D textures were one, found on 1 December) still correlates (0.78 there; unrelated textures about 0).
 */
async function detail(path: string): Promise<[Float64Array, Float64Array]> {
  const one = async (flip: boolean) => {
    let s = sharp(path).grayscale().resize(DETAIL_SIDE, DETAIL_SIDE, { fit: 'fill' });
    if (flip) s = s.flop();
    const plain = await s.raw().toBuffer(); // one channel; the blur keeps one too ('b-w': sharp writes raw input back as sRGB)
    const blurred = await sharp(plain, { raw: { width: DETAIL_SIDE, height: DETAIL_SIDE, channels: 1 } }).blur(DETAIL_SIGMA).toColourspace('b-w').raw().toBuffer();
    return unitNorm(Float64Array.from(plain, (x, i) => x - blurred[i]));
  };
  return [await one(false), await one(true)];
}

/** Pairs of distinct ground-truth groups among non-copies whose signatures correlate ≥ thr (either orientation). */
async function lookAlikes(dir: string, rows: FamilyRow[], thr: number, sig = signature): Promise<Array<[number, string, string]>> {
  const items = rows.filter((r) => r.role !== 'copy');
  const sigs = await Promise.all(items.map((r) => sig(join(dir, 'images', r.file))));
  const out: Array<[number, string, string]> = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      const c = Math.max(dot(sigs[i][0], sigs[j][0]), dot(sigs[i][0], sigs[j][1]));
      if (c >= thr) out.push([c, items[i].file, items[j].file]);
    }
  return out.sort((a, b) => b[0] - a[0]);
}

async function sheet(dir: string, m: FamilyManifest, family: (typeof FAMILY_NAMES)[number]): Promise<string> {
  const rows = familyRows(m, family);
  const base = rows.filter((r) => r.role !== 'copy');
  const firstTwo = rows.filter((r) => r.role === 'original').slice(0, 2).map((r) => r.group);
  const copies = rows.filter((r) => r.role === 'copy' && firstTwo.includes(r.group));
  const label = (r: FamilyRow) => (r.role === 'copy' ? r.transform : r.file.split('/')[1].replace(/\.\w+$/, ''));
  const items: SheetItem[] = [...base, ...copies].map((r) => ({ path: join(dir, 'images', r.file), label: label(r), colour: COLOUR[r.role] }));
  const out = join(dir, 'sheets', `${family}.png`);
  writeFileSync(out, await contactSheet(items, { cols: family === 'control' ? 16 : 12, cell: family === 'tiny' ? 96 : 128 }));
  return out;
}

async function main(): Promise<void> {
  const dir = DEFAULT_FAMILIES_DIR;
  const t0 = Date.now();
  const m = await buildFamilies(dir, { force: process.argv.includes('--force'), log: () => {} });
  console.log(`families in ${dir} (built or reused in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  console.log('family      originals  copies  distractors  controls  kinds  true pairs  images');
  for (const f of FAMILY_NAMES) {
    const s = m.families[f];
    console.log(`${f.padEnd(11)} ${String(s.originals).padStart(9)} ${String(s.copies).padStart(7)} ${String(s.distractors).padStart(12)} ${String(s.controls).padStart(9)} ${String(s.transforms.length).padStart(6)} ${String(s.truePairs).padStart(11)} ${String(s.images).padStart(7)}`);
  }
  for (const f of FAMILY_NAMES) if (m.families[f].transforms.length) console.log(`  ${f} kinds: ${m.families[f].transforms.join(', ')}`);
  if (m.skipped.length) console.log(`\nskipped (same pixels as an earlier source): ${m.skipped.map((s) => `${s.name} = ${s.duplicateOf}`).join('; ')}`);

  // Ground-truth hygiene: the same source twice would make a "distinct" pair a real duplicate.
  const byHash = new Map<string, string>();
  let identical = 0;
  for (const r of m.rows.filter((x) => x.role !== 'copy')) {
    const h = createHash('sha256').update(readFileSync(join(dir, 'images', r.file))).digest('hex');
    if (byHash.has(h)) {
      identical++;
      console.log(`IDENTICAL BYTES: ${r.file} = ${byHash.get(h)}`);
    }
    byHash.set(h, r.file);
  }
  console.log(`\nnon-copy files with identical bytes: ${identical}`);
  const thr = 0.9;
  for (const f of FAMILY_NAMES) {
    const pairs = await lookAlikes(dir, familyRows(m, f), thr);
    console.log(`${f}: ${pairs.length} pairs of distinct images with 16x16 grayscale correlation >= ${thr}${pairs.length ? ':' : ''}`);
    for (const [c, a, b] of pairs.slice(0, 15)) console.log(`  ${c.toFixed(3)}  ${a}  ${b}`);
  }
  // The same picture re-shaded or recoloured keeps its fine detail in place (the 16×16 signature misses it).
  const detailThr = 0.4;
  for (const f of FAMILY_NAMES) {
    const pairs = await lookAlikes(dir, familyRows(m, f), detailThr, detail);
    console.log(`${f}: ${pairs.length} pairs of distinct images whose detail (${DETAIL_SIDE}px gray minus blur σ ${DETAIL_SIGMA}) correlates >= ${detailThr}${pairs.length ? ':' : ''}`);
    for (const [c, a, b] of pairs.slice(0, 15)) console.log(`  ${c.toFixed(3)}  ${a}  ${b}`);
  }

  mkdirSync(join(dir, 'sheets'), { recursive: true });
  for (const f of FAMILY_NAMES) console.log(`sheet: ${await sheet(dir, m, f)}`);
  const ok = FAMILY_NAMES.every((f) => f === 'control' || f === 'wallpapers' || (m.families[f].originals >= 15 && m.families[f].distractors >= 25)) && m.families.control.controls >= 150 && identical === 0;
  console.log(ok ? '\nsize requirements met' : '\nSIZE REQUIREMENTS NOT MET');
  if (!ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
