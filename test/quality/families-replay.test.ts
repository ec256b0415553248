// The families evaluation (bench/eval/families-eval.ts) replays the scan's verdicts from cached evidence; built
// from an empty cache, that evidence must give the verdicts the scan itself gives at the product's defaults. Until
// 1 December it did not: the pairs the scan verifies as they are or with letterbox bars cut were cached without
// keypoint evidence and replayed as rejected (a letterboxed and watermarked copy among them), so a fresh run
// reported lower recall than the scan has (docs/quality.md, "Verification").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { cosineOfRows } from '../../src/similarity';
import { SURE_COSINE, MIN_INLIERS, MIN_COVERAGE, MIN_AGREEMENT, MIN_IDENTITY_AGREEMENT, MIN_PIXEL_CORRELATION, VERIFY_BAND } from '../../src/verify';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';
import { applyTransform } from '../../bench/eval/transforms';
import { familyEvidence } from '../../bench/eval/family-evidence';
import { addAgreement, addTrimmed, pairVerdict, type FamilyData, type Setting } from '../../bench/eval/families-eval';
import type { FamilyRow } from '../../bench/eval/families';

const BASE = join(__dirname, '..', 'fixtures', 'imagededup', 'base_images');
// Six different tiles of one star field (KStars, GPL-2+): look-alikes whose cosines reach the band, rejected by the scan.
const STARS = join(__dirname, '..', 'fixtures', 'lookalike');
const ORIGINALS = ['ukbench00120.jpg', 'ukbench09268.jpg'];
// Copy kinds of the benchmark (bench/eval/transforms.ts) whose pairs sit in the band, letterbox+watermark first.
const KINDS = ['letterbox+watermark', 'letterbox', 'watermark', 'crop+jpeg', 'rotate'];

test('families eval: evidence built from empty gives the scan\'s own verdicts at the defaults (letterboxed, watermarked copies of real photos)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-replay-'));
  try {
    const rows: FamilyRow[] = [];
    const row = (file: string, group: string, role: FamilyRow['role'], transform = ''): FamilyRow =>
      ({ file, family: 'wallpapers', group, role, transform, theme: '', pkg: 'imagededup fixtures', author: '', license: 'Apache-2.0', source: group });
    for (const f of readdirSync(BASE).filter((x) => x.endsWith('.jpg'))) {
      const name = basename(f, '.jpg');
      copyFileSync(join(BASE, f), join(dir, f));
      rows.push(row(f, name, ORIGINALS.includes(f) ? 'original' : 'distractor'));
      if (!ORIGINALS.includes(f)) continue;
      const { data, info } = await sharp(join(BASE, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      for (const kind of KINDS) {
        const e = await applyTransform(kind, { data, width: info.width, height: info.height }, name);
        const file = `${name}__${kind}.${e.ext}`;
        writeFileSync(join(dir, file), e.bytes);
        rows.push(row(file, name, 'copy', kind));
      }
    }
    for (const f of readdirSync(STARS).filter((x) => x.endsWith('.jpg'))) {
      copyFileSync(join(STARS, f), join(dir, f));
      rows.push(row(f, basename(f, '.jpg'), 'distractor'));
    }
    const byFile = new Map(rows.map((r) => [r.file, r]));

    // The evaluation's cache, built as familyData builds it from empty.
    const plain = await scan(dir, { k: 8, verify: false, threshold: DEFAULT_THRESHOLD });
    const e = plain.embeddings;
    const cos = (a: number, b: number) => cosineOfRows(e, a, b);
    const nb = plain.neighbors;
    const ev = await familyEvidence(plain.dataset, nb, cos, plain.valid);
    const d: FamilyData = {
      version: 7, family: 'wallpapers', n: nb.n, k: nb.k, imagesDir: dir,
      rows: plain.dataset.df['filepath'].values.map((p: string) => byFile.get(basename(p))!),
      indices: Array.from(nb.indices), scores: Array.from(nb.scores, (s) => (Number.isFinite(s) ? s : -2)),
      valid: Array.from(plain.valid), exact: new Array(nb.n).fill(-1), pairs: ev.pairs, seconds: { scan: 0, verify: 0, checked: ev.stats.checked },
    };
    await addAgreement(d, () => true, 0.6);
    await addTrimmed(d);

    // The scan at the product's defaults (the OCR veto off: the evaluation scores without it).
    const verified = await scan(dir, { k: 8, verify: { ocr: false } });
    const scanned = new Map<string, boolean>();
    const file = (i: number) => basename(verified.dataset.df['filepath'].values[i] as string);
    for (const p of verified.evidencePairs()) {
      if (p.rule === 'unchecked' || p.cosine < VERIFY_BAND) continue;
      scanned.set([file(p.a), file(p.b)].sort().join(' ~ '), p.rule === 'cosine' || p.rule === 'verified');
    }
    const s: Setting = { t: DEFAULT_THRESHOLD, sure: SURE_COSINE, minInliers: MIN_INLIERS, minCoverage: MIN_COVERAGE, minAgreement: MIN_AGREEMENT, minIdentity: MIN_IDENTITY_AGREEMENT, minCorrelation: MIN_PIXEL_CORRELATION };
    const replayed = new Map<string, boolean>();
    for (const p of d.pairs) {
      const key = [d.rows[p[0]].file, d.rows[p[1]].file].sort().join(' ~ ');
      if (scanned.has(key)) replayed.set(key, pairVerdict(p, s, SURE_COSINE));
    }
    const boxed = [...scanned].filter(([k]) => k.includes('letterbox+watermark') && ORIGINALS.some((o) => k.includes(`${o} ~`) || k.endsWith(` ~ ${o}`)));
    assert.ok(boxed.some(([, v]) => v), `the scan verifies a letterbox+watermark copy with its original: ${JSON.stringify(boxed)}`);
    assert.ok([...scanned].some(([k, v]) => !v && k.startsWith('starfield')), 'the scan rejects some star-field look-alikes in the band');
    const differ = [...scanned].filter(([k, v]) => replayed.get(k) !== v).map(([k, v]) => `${k}: scan ${v}, replay ${replayed.get(k)}`);
    assert.deepEqual(differ, [], 'replayed verdicts equal the scan\'s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
