// Folders of tiny grayscale files (issue 10): Fashion-MNIST exported as PNG. At the photo default (0.78 with the
// pixel check) an independent check of 600 such files removed 121 images against other garments, 114 of them
// images with no copy at all (docs/quality.md, "Tiny grayscale files"). They now have their own threshold (0.95) and
// pixel level (0.98). Real images: the bundled Fashion-MNIST sample (data/sample/README.md, MIT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { columnValues } from '../../src/frame';
import { TINY_GRAY_FILES_THRESHOLD } from '../../src/dedup/defaults';
import { tinyFolderKind } from '../../src/dedup/tiny-files';
import { loadDataset } from '../../src/datasets';
import { SURE_COSINE, TINY_GRAY_FILES_CORRELATION } from '../../src/verify';

const SAMPLE = join(__dirname, '..', '..', 'data', 'sample');

test('a folder of 28×28 grayscale files: no garment is removed against another; copies are removed against their own', { timeout: 600_000 }, async () => {
  const idx = gunzipSync(readFileSync(join(SAMPLE, 'images-idx3-ubyte.gz')));
  const rows = readFileSync(join(SAMPLE, 'samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  // 200 images picked at random for the sample (not its near-duplicate, leakage or conflict cases).
  const picked = rows.map((r, i) => [r, i] as const).filter(([r]) => r[3] === 'random').slice(0, 200).map(([, i]) => i);
  const dir = mkdtempSync(join(tmpdir(), 'nd-tiny-gray-'));
  try {
    const image = (i: number) => sharp(idx.subarray(16 + i * 784, 16 + (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } });
    for (const [j, i] of picked.entries()) await image(i).png().toFile(join(dir, `item${String(j).padStart(4, '0')}.png`));
    // One copy each of 12 items, named to sort after their original: re-encoded, brighter, blurred, shifted by 1 px.
    const kinds: [string, (s: sharp.Sharp) => sharp.Sharp][] = [
      ['jpeg', (s) => s.jpeg({ quality: 50 })],
      ['bright', (s) => s.linear(1.15, 0).png()],
      ['blur', (s) => s.blur(0.7).png()],
      ['shift', (s) => s.extend({ left: 1, background: '#000000' }).extract({ left: 0, top: 0, width: 28, height: 28 }).png()],
    ];
    for (let c = 0; c < 12; c++) {
      const [kind, f] = kinds[c % kinds.length];
      const j = c * 15;
      await f(image(picked[j])).toFile(join(dir, `item${String(j).padStart(4, '0')}_${kind}.${kind === 'jpeg' ? 'jpg' : 'png'}`));
    }
    assert.equal(await tinyFolderKind(await loadDataset(dir)), 'gray');
    const r = await scan(dir, { cacheDir: false });
    assert.equal(r.threshold, TINY_GRAY_FILES_THRESHOLD);
    assert.equal(r.verification?.sure, SURE_COSINE);
    assert.equal(r.verification?.minCorrelation, TINY_GRAY_FILES_CORRELATION);
    assert.equal(r.verification?.pixelMargin, false);
    const ids = columnValues<string>(r.samples, 'id');
    const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
    const item = (id: string) => id.replace(/(_\w+)?\.(png|jpg)$/, '');
    const removed = ids.map((id, i) => [id, dupOf[i]] as const).filter(([, d]) => d !== null);
    assert.deepEqual(removed.filter(([id, d]) => item(id) !== item(d!)), [], 'removed against another garment');
    assert.ok(removed.length >= 3, `copies removed against their own original: ${JSON.stringify(removed)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
