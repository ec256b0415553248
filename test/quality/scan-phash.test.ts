// The combined signal in the product path: scan() with its defaults groups a 32x32 downscale of a real
// photo with the original through the pHash match, which cosine alone misses; unrelated photos stay apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';

const BASE = resolve(__dirname, '../fixtures/imagededup/base_images');

test('scan groups a 32x32 copy with its original via pHash; cosine alone does not; unrelated photos stay ungrouped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-quality-'));
  for (const f of readdirSync(BASE)) copyFileSync(join(BASE, f), join(dir, f));
  await sharp(join(BASE, 'ukbench09380.jpg')).resize(32, 32, { fit: 'fill' }).png().toFile(join(dir, 'tiny_copy.png'));

  const withHash = await scan(dir, { cacheDir: false, exact: false });
  const cosineOnly = withHash.atThreshold(DEFAULT_THRESHOLD); // same result object, for the group ids
  // Cosine alone: no pHash, no verification, at the cosine-only default (0.87).
  const plain = await scan(dir, { cacheDir: false, exact: false, phash: false, verify: false });
  // No pHash, and the threshold lowered to 0.70 so the verification band reaches the copy (its cosine is
  // under the photo default, 0.86 when this test was written): aligned pixels confirm it.
  const verified = await scan(dir, { cacheDir: false, exact: false, phash: false, threshold: 0.7 });
  const row = (r: typeof withHash, id: string) => r.ids.indexOf(id);
  const g = (r: typeof withHash, id: string) => r.groups.group_id[row(r, id)];

  assert.ok(g(withHash, 'tiny_copy.png') >= 0, 'tiny copy grouped with pHash');
  assert.equal(g(withHash, 'tiny_copy.png'), g(withHash, 'ukbench09380.jpg'));
  const nb = plain.neighbors;
  const t = row(plain, 'tiny_copy.png');
  const o = row(plain, 'ukbench09380.jpg');
  const j = Array.from(nb.indices.subarray(t * nb.k, (t + 1) * nb.k)).indexOf(o);
  console.log(`cosine(32x32 copy, original) = ${j >= 0 ? nb.scores[t * nb.k + j].toFixed(3) : 'not in top-k'}`);
  assert.equal(g(plain, 'tiny_copy.png'), -1, 'cosine alone misses the 32x32 copy');
  assert.equal(g(verified, 'tiny_copy.png'), g(verified, 'ukbench09380.jpg'));
  const ev = verified.evidenceFor(row(verified, 'tiny_copy.png'), row(verified, 'ukbench09380.jpg'));
  assert.equal(ev?.rule, 'verified');
  assert.ok(ev!.pixelCorrelation >= 0.95, `pixel correlation ${ev!.pixelCorrelation}`);
  assert.equal(verified.summary.to_remove, 1);
  assert.equal(withHash.summary.groups, 1);
  assert.equal(cosineOnly.summary.groups, 1);
  for (const id of withHash.ids) if (id !== 'tiny_copy.png' && id !== 'ukbench09380.jpg') assert.equal(g(withHash, id), -1, id);
  // The match is scored at or above the default threshold but below 1: a threshold of 1 drops it.
  assert.equal(withHash.atThreshold(1).summary.groups, 0);
});
