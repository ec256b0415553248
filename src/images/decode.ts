/**
 * Decode any supported image file and resize it to the exact `size x size` 8-bit RGB the model
 * takes. sharp (libvips) handles JPEG, PNG, WebP, GIF (first frame), TIFF, AVIF and SVG; BMP and
 * Netpbm (PBM/PGM/PPM) go through the small readers beside this file because the prebuilt libvips
 * lacks them. The format is sniffed from the bytes, not the file extension.
 *
 * Normalisation: EXIF orientation applied; grayscale, palette, CMYK (via its ICC profile) and
 * 16-bit images become 8-bit sRGB; transparency is flattened onto white (what a viewer shows on a
 * white page, so a transparent logo and its JPEG export embed alike). Resizing squashes to the
 * square (no crop), so nothing at the borders is lost for duplicate detection.
 *
 * Failures never throw: they come back as `{ ok: false, reason }` so a scan can skip the file.
 * Files are only ever opened for reading.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp, bmpSize, isBmp } from './bmp';
import { decodePnm, isPnm, pnmSize } from './pnm';
import type { RawImage } from './raw';
import { NeardupError } from '../errors';

/** Default decompression-bomb guard: 100 megapixels (a 10,000 x 10,000 image). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Output side in pixels (the output is `size x size`). */
  size: number;
  /** Refuse images with more pixels than this (decompression-bomb guard). Default 100 Mpx. */
  maxPixels?: number;
  /** Background that transparent pixels are flattened onto. Default white. */
  background?: { r: number; g: number; b: number };
}

/** Result of decoding one image: RGB pixels, or why it could not be read. */
export type DecodeResult =
  | { ok: true; rgb: Buffer; size: number; width: number; height: number; format: string }
  | { ok: false; reason: string };

const WHITE = { r: 255, g: 255, b: 255 };

/** Reads a file for decoding, turning fs errors into readable reasons. */
export async function readImageFile(path: string): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  try {
    return { ok: true, bytes: await readFile(path, { flag: 'r' }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why: Record<string, string> = {
      ENOENT: 'file not found',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      EPERM: 'permission denied',
    };
    return { ok: false, reason: `${why[e.code ?? ''] ?? 'cannot read file'}${e.code && !why[e.code] ? ` (${e.code})` : ''}` };
  }
}

/** Decodes and resizes an image file. Never throws; see {@link DecodeResult}. */
export async function decodeImageFile(path: string, opts: DecodeOptions): Promise<DecodeResult> {
  const file = await readImageFile(path);
  if (!file.ok) return file;
  return decodeImage(file.bytes, opts);
}

function bombReason(width: number, height: number, maxPixels: number): string {
  const mpx = (n: number) => `${(n / 1e6).toFixed(1)} Mpx`;
  return `image is ${width}x${height} (${mpx(width * height)}), over the ${mpx(maxPixels)} decompression-bomb limit`;
}

/**
 * Opens encoded image bytes as a sharp pipeline with orientation applied, after checking the pixel
 * limit from the header. Exported for thumbnails; most callers want {@link decodeImage}.
 */
export async function openImage(
  bytes: Buffer,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<{ ok: true; image: sharp.Sharp; width: number; height: number; format: string } | { ok: false; reason: string }> {
  if (bytes.length === 0) return { ok: false, reason: 'empty file' };
  try {
    if (isBmp(bytes) || isPnm(bytes)) {
      const format = isBmp(bytes) ? 'bmp' : 'pnm';
      const dims = format === 'bmp' ? bmpSize(bytes) : pnmSize(bytes);
      if (dims.width * dims.height > maxPixels) return { ok: false, reason: bombReason(dims.width, dims.height, maxPixels) };
      const raw: RawImage = format === 'bmp' ? decodeBmp(bytes) : decodePnm(bytes);
      const image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
      return { ok: true, image, width: raw.width, height: raw.height, format };
    }
    // limitInputPixels: false here because we check the header ourselves and give a clearer reason.
    const image = sharp(bytes, { failOn: 'error', limitInputPixels: false, animated: false });
    const meta = await image.metadata();
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width * height > maxPixels) return { ok: false, reason: bombReason(width, height, maxPixels) };
    return { ok: true, image: image.rotate(), width, height, format: meta.format ?? 'unknown' };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err) };
  }
}

/** Turns libvips/reader errors into one short human-readable line. */
export function describeDecodeError(err: unknown): string {
  const msg = String((err as Error)?.message ?? err).split('\n')[0].trim();
  if (/unsupported image format/i.test(msg)) return 'unsupported or unrecognised image format';
  if (/premature end|truncated|ends early|too few samples/i.test(msg)) return `truncated image: ${msg}`;
  return `cannot decode image: ${msg}`;
}

/**
 * Decodes encoded image bytes to `size x size` interleaved 8-bit RGB (`size*size*3` bytes).
 * Never throws; unreadable input gives `{ ok: false, reason }`.
 */
export async function decodeImage(bytes: Buffer, opts: DecodeOptions): Promise<DecodeResult> {
  const opened = await openImage(bytes, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
  if (!opened.ok) return opened;
  return decodeOpened(opened, opts);
}

async function decodeOpened(opened: { image: sharp.Sharp; width: number; height: number; format: string }, opts: DecodeOptions): Promise<DecodeResult> {
  try {
    const { rgb, width, height } = await rgbPixels(opened.image, opts, opts.size);
    if (width !== opts.size || height !== opts.size) return { ok: false, reason: `cannot decode image: unexpected output ${width}x${height}` };
    return { ok: true, rgb, size: opts.size, width: opened.width, height: opened.height, format: opened.format };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err) };
  }
}

/** Transparency flattened, resized to `resize`×`resize` when given, as 8-bit sRGB: interleaved RGB bytes. */
async function rgbPixels(image: sharp.Sharp, opts: DecodeOptions, resize?: number): Promise<{ rgb: Buffer; width: number; height: number }> {
  let pipeline = image.flatten({ background: opts.background ?? WHITE });
  if (resize !== undefined) pipeline = pipeline.resize(resize, resize, { fit: 'fill' });
  const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const rgb = info.channels === 3 ? data : toRgb(data, info.channels);
  if (rgb.length !== info.width * info.height * 3) throw new NeardupError(`unexpected output ${info.width}x${info.height}x${info.channels}`, 'bad_format');
  return { rgb, width: info.width, height: info.height };
}

/** Pixels at the image's own size: one channel when every pixel is gray, else interleaved RGB. */
export interface NativePixels {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/**
 * Decodes for a model of input side `size`. An image no larger than `size` on either side comes back
 * at its own size (`native`), to be upscaled bilinearly with the array path's code
 * (`writeArrayImageToTensor`): libvips' upscale to 224 px costs about 3 ms of CPU per tiny image,
 * five times its decode, and it is what a Fashion-MNIST or CIFAR export as PNG files would spend its
 * time on. Larger images are resized by libvips as in {@link decodeImage} (its filter antialiases
 * when shrinking).
 */
export async function decodeForModel(
  bytes: Buffer,
  opts: DecodeOptions,
): Promise<{ ok: true; native: NativePixels } | { ok: true; rgb: Buffer } | { ok: false; reason: string }> {
  const opened = await openImage(bytes, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
  if (!opened.ok) return opened;
  if (opened.width > opts.size || opened.height > opts.size) {
    const r = await decodeOpened(opened, opts);
    return r.ok ? { ok: true, rgb: r.rgb } : r;
  }
  try {
    const { rgb, width, height } = await rgbPixels(opened.image, opts);
    const n = width * height;
    let gray = true;
    for (let i = 0; i < n && gray; i++) gray = rgb[3 * i] === rgb[3 * i + 1] && rgb[3 * i] === rgb[3 * i + 2];
    if (!gray) return { ok: true, native: { width, height, channels: 3, data: rgb } };
    const one = new Uint8Array(n);
    for (let i = 0; i < n; i++) one[i] = rgb[3 * i];
    return { ok: true, native: { width, height, channels: 1, data: one } };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err) };
  }
}

/** Expands 1- or 2-channel (gray, gray+alpha) pixels to RGB. */
function toRgb(data: Buffer, channels: number): Buffer {
  const n = data.length / channels;
  const out = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    const v = data[i * channels];
    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v;
  }
  return out;
}
