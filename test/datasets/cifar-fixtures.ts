/** Builds small CIFAR tarballs in the official layouts from real photos (see make_cifar_tarballs.py). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const N_TRAIN = 7;
export const N_TEST = 3;

export function python(): string {
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/** 32x32 planar RGB of the 10 base photos, train first. */
export async function photoPixels(): Promise<Uint8Array> {
  const dir = path.join(FIXTURES, 'imagededup', 'base_images');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
  const out = new Uint8Array(files.length * 3072);
  for (let k = 0; k < files.length; k++) {
    const rgb = await sharp(path.join(dir, files[k])).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[k * 3072 + c * 1024 + p] = rgb[p * 3 + c];
  }
  return out;
}

/** Writes the four tarballs into `dir` and returns the pixels they hold. */
export async function makeCifarTarballs(dir: string): Promise<Uint8Array> {
  const px = await photoPixels();
  const raw = path.join(dir, 'pixels.raw');
  fs.writeFileSync(raw, px);
  const r = spawnSync(python(), [path.join(__dirname, 'make_cifar_tarballs.py'), raw, String(N_TRAIN), String(N_TEST),
    path.join(FIXTURES, 'cifar100-meta'), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_cifar_tarballs.py failed: ${r.stderr}`);
  fs.rmSync(raw);
  return px;
}

export const fine = (i: number) => (7 * i + 3) % 100;
export const coarse = (i: number) => i % 20;
export const lab10 = (i: number) => i % 10;
