/**
 * A tiny labelled image-folder dataset built from real photos (imagededup fixtures), with known
 * duplicates: a cross-split near copy, a cross-split byte copy under another label, a pixel-identical
 * re-encoding, unrelated photos and one broken file. Shared by the dedup and CLI tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

const FIX = path.join(__dirname, '..', 'fixtures', 'imagededup');

export const NEAR_PAIR = ['test/cat/a.jpg', 'train/cat/a_small.jpg']; // original 640x480 + resized 300x300
export const BYTE_PAIR = ['test/dog/b_copy.jpg', 'train/cat/b.jpg']; // same bytes, labels dog vs cat
export const PIXEL_PAIR = ['train/dog/c.jpg', 'train/dog/c_again.png']; // same pixels, PNG is the larger file
export const UNRELATED = ['test/cat/e.jpg', 'test/dog/f.jpg', 'train/dog/d.jpg'];
export const BROKEN = 'train/cat/broken.jpg';

export async function makeLabelledTree(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-labelled-'));
  const copy = (src: string, rel: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.copyFileSync(path.join(FIX, src), path.join(root, rel));
  };
  copy('base_images/ukbench00120.jpg', 'test/cat/a.jpg');
  copy('mixed_images/ukbench00120_resize.jpg', 'train/cat/a_small.jpg');
  copy('base_images/ukbench01380.jpg', 'train/cat/b.jpg');
  copy('base_images/ukbench01380.jpg', 'test/dog/b_copy.jpg');
  copy('base_images/ukbench08976.jpg', 'train/dog/c.jpg');
  await sharp(path.join(FIX, 'base_images/ukbench08976.jpg')).png().toFile(path.join(root, 'train/dog/c_again.png'));
  copy('base_images/ukbench08996.jpg', 'train/dog/d.jpg');
  copy('base_images/ukbench09012.jpg', 'test/cat/e.jpg');
  copy('base_images/ukbench09040.jpg', 'test/dog/f.jpg');
  copy('mixed_images/ukbench09268_corrupt.jpg', BROKEN);
  return root;
}
