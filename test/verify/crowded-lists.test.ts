// Crowded neighbour lists (src/similarity/widen.ts, issue 10): on pages of one template, a page's k nearest can
// all be other pages (look-alikes the check rejects), so its copy further down is never a candidate. The scan
// then searches those lists again, wider, and verifies the new pairs. Real pages: four GNU coreutils manual
// pages (test/fixtures/lookalike-docs, ocr-docs; GPL-3+) and two copies of a fifth made with the benchmark's
// own copy kinds (a JPEG, and a crop then a JPEG: bench/eval/transforms.ts). With k = 2 each copy's two nearest
// are other pages (cosine 0.91–0.96), and the copy pair (0.909) is third.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { applyTransform } from '../../bench/eval/transforms';
import { humanSummary } from '../../src/cli/scan';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';

const FIX = join(__dirname, '..', 'fixtures');

test('crowded lists: a copy that look-alike pages push out of the k nearest is found by the widened search, and no page is removed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-crowded-'));
  try {
    for (const f of ['man-dirname.png', 'man-uname.png']) copyFileSync(join(FIX, 'lookalike-docs', f), join(dir, f));
    for (const f of ['man-factor.png', 'man-tsort.png']) copyFileSync(join(FIX, 'ocr-docs', f), join(dir, f));
    const { data, info } = await sharp(join(FIX, 'lookalike-docs', 'man-basename.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const kind of ['jpeg', 'crop+jpeg']) {
      const e = await applyTransform(kind, { data, width: info.width, height: info.height }, 'man-basename');
      writeFileSync(join(dir, `man-basename__${kind}.${e.ext}`), e.bytes);
    }
    const copies = ['man-basename__crop+jpeg.jpg', 'man-basename__jpeg.jpg'];

    const narrow = await scan(dir, { k: 2, cacheDir: false, widen: false });
    assert.equal(narrow.summary.to_remove, 0, 'with k = 2 alone the copies are not candidates of each other');
    assert.equal(narrow.summary.full_lists, 6, 'every list is full at the threshold: the sign that more lie further down');
    assert.deepEqual(narrow.summary.widened, { rows: 0, k: 0, over_budget: false });
    assert.ok(narrow.summary.crowded_lists >= 2, `look-alikes the check rejected crowd the copies' lists (${narrow.summary.crowded_lists})`);
    assert.match(humanSummary(narrow.summary, '/tmp/x'), new RegExp(`crowded neighbour lists: \\d+ samples still have all 2 listed neighbours at or above ${String(DEFAULT_THRESHOLD).replace('.', '\\.')}.*-k 32`));

    const r = await scan(dir, { k: 2, cacheDir: false });
    assert.equal(r.summary.widened.k, 32);
    assert.ok(r.summary.widened.rows >= 2, `the copies' lists were crowded and widened (${r.summary.widened.rows})`);
    assert.equal(r.summary.full_lists, 0, 'a widened list of 32 reaches every other image');
    assert.equal(r.summary.crowded_lists, 0);
    assert.match(humanSummary(r.summary, '/tmp/x'), new RegExp(`widened neighbour lists: \\d+ samples had all 2 listed neighbours at or above ${String(DEFAULT_THRESHOLD).replace('.', '\\.')}.*searched again to 32`));
    assert.ok(!humanSummary(r.summary, '/tmp/x').includes('crowded neighbour lists'));
    const rows = r.samples;
    const ids = rows.column('id').values as string[];
    const keep = rows.column('keep').values as boolean[];
    const dupOf = rows.column('duplicate_of').values as (string | null)[];
    const removed = ids.filter((_, i) => !keep[i]);
    assert.equal(removed.length, 1, `one copy removed: ${removed}`);
    assert.ok(copies.includes(removed[0]), `the removed image is a copy: ${removed[0]}`);
    assert.equal(dupOf[ids.indexOf(removed[0])], copies.find((c) => c !== removed[0]), 'as a direct match of the other copy');
    const d = r.pairs;
    const pair = (d.column('a').values as string[]).map((a, i) => [a, (d.column('b').values as string[])[i], (d.column('rule').values as string[])[i]]);
    assert.ok(pair.some(([a, b, rule]) => copies.includes(a) && copies.includes(b) && rule === 'verified'), 'the copy pair is listed as verified');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
