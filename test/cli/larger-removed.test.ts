// The scan says when its keep policy kept a smaller copy in a larger one's place (an independent check: 320 px
// copies named to sort first were kept over their 1024 px photos under keep first), and what keeps the larger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { humanSummary } from '../../src/cli/scan';
import { columnValues } from '../../src/frame';

const BASE = join(__dirname, '..', 'fixtures', 'imagededup', 'base_images');

test('a half-size copy kept over its photo under keep first is counted and named; keep largest keeps the photo', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nd-larger-'));
  try {
    copyFileSync(join(BASE, 'ukbench01380.jpg'), join(dir, 'photo.jpg'));
    await sharp(join(BASE, 'ukbench01380.jpg')).resize({ width: 320 }).jpeg({ quality: 85 }).toFile(join(dir, 'copy-small.jpg'));
    copyFileSync(join(BASE, 'ukbench08976.jpg'), join(dir, 'other.jpg'));
    const r = await scan(dir, { cacheDir: false });
    const ids = columnValues<string>(r.samples, 'id');
    const dup = columnValues<string | null>(r.samples, 'duplicate_of');
    assert.equal(dup[ids.indexOf('photo.jpg')], 'copy-small.jpg', 'keep first keeps the first name');
    assert.equal(r.summary.larger_removed, 1);
    assert.match(humanSummary(r.summary, dir), /kept a smaller copy: 1 removals have over 1\.5× the pixels of the copy kept in their place .*--keep largest/);
    const l = r.atThreshold(r.threshold, 'largest');
    assert.equal(columnValues<string | null>(l.samples, 'duplicate_of')[ids.indexOf('copy-small.jpg')], 'photo.jpg');
    assert.equal(l.summary.larger_removed, 0);
    assert.doesNotMatch(humanSummary(l.summary, dir), /kept a smaller copy/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
