/**
 * Decode any supported image file and resize it to the exact `size x size` 8-bit RGB the model
 * takes. sharp (libvips) handles JPEG, PNG, WebP, GIF (first frame), TIFF, AVIF and SVG; BMP and
 * Netpbm (PBM/PGM/PPM) go through the small readers beside this file because the prebuilt libvips
 * lacks them. The format is sniffed from the bytes, not the file extension.
 *
 * Normalisation: EXIF orientation applied; grayscale, palette, CMYK (via its ICC profile) and
 * 16-bit images become 8-bit sRGB. Transparency is flattened onto a background that contrasts with
 * the visible content ({@link contrastBackground}): white under dark content (what a viewer shows on
 * a white page, so a transparent logo and its JPEG export embed alike), black under light content
 * (white strokes on a fully transparent background, a common icon and sticker format, would vanish
 * on white and every such drawing would look the same). Resizing squashes to the square (no crop),
 * so nothing at the borders is lost for duplicate detection.
 *
 * A format this build cannot decode (HEIC/HEVC, JPEG 2000, JPEG XL, ... per `sharp.format`) is
 * reported as such ({@link unsupportedFormat}), not as a corrupt file.
 *
 * Failures never throw: they come back as `{ ok: false, reason }` so a scan can skip the file.
 * Files are only ever opened for reading.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { fsPath } from '../datasets/names';
import { decodeBmp, bmpSize, isBmp } from './bmp';
import { decodePnm, isPnm, pnmSize } from './pnm';
import type { RawImage } from './raw';
import { NeardupError } from '../errors';
import { CONTENT_TEST_SIDE, findContentBox, type ContentBox } from './content-view';

/** Default decompression-bomb guard: 100 megapixels (a 10,000 x 10,000 image). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Output side in pixels (the output is `size x size`). */
  size: number;
  /** Refuse images with more pixels than this (decompression-bomb guard). Default 100 Mpx. */
  maxPixels?: number;
  /**
   * Background that transparent pixels are flattened onto. Default: chosen per image to contrast
   * with its visible pixels (see {@link contrastBackground}).
   */
  background?: { r: number; g: number; b: number };
  /**
   * Content view ({@link decodeForModel} only): an image of at least {@link CONTENT_VIEW_MIN_SIDE} px a
   * side whose uniform fill looks like letterbox bars or rotation corners is cut to the content inside
   * them (images/content-view.ts) before it is resized. Other images decode exactly as without it.
   */
  contentView?: boolean;
}

/** Images smaller than this on either side never take the content view (tiny arrays have their own path). */
export const CONTENT_VIEW_MIN_SIDE = 64;

/** Result of decoding one image: RGB pixels, or why it could not be read. */
export type DecodeResult =
  | { ok: true; rgb: Buffer; size: number; width: number; height: number; format: string }
  | { ok: false; reason: string };

const WHITE = { r: 255, g: 255, b: 255 };
const BLACK = { r: 0, g: 0, b: 0 };

/**
 * Reads a file for decoding, turning fs errors into reasons that name the cause: `broken symlink`,
 * `symlink loop`, a name whose encoding was lost (it holds U+FFFD), `file not found`, ...
 * `path` may carry the lossless encoding of a name that is not UTF-8 (datasets/names.ts).
 */
export async function readImageFile(path: string): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
  const p = fsPath(path);
  try {
    return { ok: true, bytes: await readFile(p, { flag: 'r' }) };
  } catch (err) {
    return { ok: false, reason: await readFailure(p, err as NodeJS.ErrnoException) };
  }
}

async function readFailure(p: string | Buffer, e: NodeJS.ErrnoException): Promise<string> {
  if (e.code === 'ELOOP') return 'symlink loop (the link leads back to itself)';
  if (e.code === 'ENOENT') {
    try {
      if ((await lstat(p)).isSymbolicLink()) {
        // stat follows the link: a loop deeper in the chain shows up here as ELOOP.
        try {
          await stat(p);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ELOOP') return 'symlink loop (the link leads back to itself)';
        }
        return 'broken symlink (its target does not exist)';
      }
    } catch {
      // the name itself is gone
    }
    if (typeof p === 'string' && p.includes('\uFFFD')) {
      return 'file not found: its name holds U+FFFD, which replaced bytes that were not valid UTF-8 before neardup saw the name (list the folder with neardup, or give the path with its original bytes)';
    }
    return 'file not found';
  }
  const why: Record<string, string> = { EACCES: 'permission denied', EISDIR: 'is a directory', EPERM: 'permission denied' };
  return `${why[e.code ?? ''] ?? 'cannot read file'}${e.code && !why[e.code] ? ` (${e.code})` : ''}`;
}

/** Decodes and resizes an image file. Never throws; see {@link DecodeResult}. */
export async function decodeImageFile(path: string, opts: DecodeOptions): Promise<DecodeResult> {
  const file = await readImageFile(path);
  if (!file.ok) return file;
  return decodeImage(file.bytes, opts);
}

function bombReason(width: number, height: number, maxPixels: number): string {
  const mpx = (n: number) => `${(n / 1e6).toFixed(n < 1e5 ? 3 : 1)} Mpx`; // 3 decimals for tiny limits (tests, --max-pixels 0.02)
  return `image is ${width}x${height} (${mpx(width * height)}), over the ${mpx(maxPixels)} decompression-bomb limit`;
}

/** Formats recognised from their first bytes that the prebuilt libvips may lack, by `sharp.format` key. */
const SNIFFED: Array<{ key: string; name: string; test: (b: Buffer) => boolean }> = [
  { key: 'jp2k', name: 'JPEG 2000', test: (b) => b.subarray(0, 12).equals(Buffer.from('0000000c6a5020200d0a870a', 'hex')) || b.subarray(0, 4).equals(Buffer.from('ff4fff51', 'hex')) },
  { key: 'jxl', name: 'JPEG XL', test: (b) => b.subarray(0, 12).equals(Buffer.from('0000000c4a584c200d0a870a', 'hex')) || (b[0] === 0xff && b[1] === 0x0a) },
  { key: 'magick', name: 'Photoshop (PSD)', test: (b) => b.subarray(0, 4).toString('latin1') === '8BPS' },
  { key: 'magick', name: 'OpenEXR', test: (b) => b.subarray(0, 4).equals(Buffer.from('762f3101', 'hex')) },
  { key: 'magick', name: 'Windows icon (ICO)', test: (b) => b.length > 6 && b.readUInt32BE(0) === 0x00000100 && b.readUInt16LE(4) > 0 },
  { key: 'rad', name: 'Radiance HDR', test: (b) => /^#\?(RADIANCE|RGBE)/.test(b.subarray(0, 12).toString('latin1')) },
  { key: 'fits', name: 'FITS', test: (b) => b.subarray(0, 9).toString('latin1') === 'SIMPLE  =' },
  { key: 'pdf', name: 'PDF', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
];

/** HEIF brands whose images are HEVC-coded (HEIC), as opposed to AVIF (AV1). */
const HEVC_BRANDS = /^(heic|heix|hevc|hevx|heim|heis|hevm|hevs)$/;

/**
 * The reason to give when `bytes` are in a format this build of sharp/libvips cannot decode, or null.
 * Checked from the bytes (not the extension) against `sharp.format`; HEIC needs its own test because
 * libvips' HEIF loader is present (for AVIF) while its HEVC decoder is not: `compression` is from
 * the header, `err` the decoder's message when decoding was tried.
 */
export function unsupportedFormat(bytes: Buffer, compression?: string, err?: unknown): string | null {
  const build = `sharp ${sharp.versions.sharp ?? '?'} / libvips ${sharp.versions.vips}`;
  for (const f of SNIFFED) {
    if (f.test(bytes) && !(sharp.format as unknown as Record<string, sharp.AvailableFormatInfo | undefined>)[f.key]?.input?.buffer) return `${f.name} image: this format is not supported by this build (${build} has no ${f.name} decoder)`;
  }
  const brand = bytes.length >= 12 && bytes.subarray(4, 8).toString('latin1') === 'ftyp' ? bytes.subarray(8, 12).toString('latin1') : '';
  const msg = String((err as Error)?.message ?? err ?? '');
  const hevc = compression === 'hevc' || HEVC_BRANDS.test(brand);
  // libvips' errors for it vary ("bad seek", "Unknown error"); the prebuilt sharp lists every bundled
  // library in sharp.versions and has no libde265 (HEVC decoder) among them.
  const noHevc = !('de265' in sharp.versions) || /not been built in|no decoding plugin|unsupported codec/i.test(msg);
  if (hevc && err !== undefined && noHevc) {
    return `HEIC image (HEIF with HEVC compression): this format is not supported by this build (${build}: its libheif ${sharp.versions.heif ?? ''} has no HEVC decoder)`;
  }
  return null;
}

/**
 * Opens encoded image bytes as a sharp pipeline with orientation applied, after checking the pixel
 * limit from the header. Exported for thumbnails; most callers want {@link decodeImage}.
 * `hasAlpha`: the image has an alpha channel (from the header).
 */
export async function openImage(
  bytes: Buffer,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<{ ok: true; image: sharp.Sharp; width: number; height: number; format: string; hasAlpha: boolean; bytes: Buffer; compression?: string } | { ok: false; reason: string }> {
  if (bytes.length === 0) return { ok: false, reason: 'empty file' };
  try {
    if (isBmp(bytes) || isPnm(bytes)) {
      const format = isBmp(bytes) ? 'bmp' : 'pnm';
      const dims = format === 'bmp' ? bmpSize(bytes) : pnmSize(bytes);
      if (dims.width * dims.height > maxPixels) return { ok: false, reason: bombReason(dims.width, dims.height, maxPixels) };
      const raw: RawImage = format === 'bmp' ? decodeBmp(bytes) : decodePnm(bytes);
      const image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
      return { ok: true, image, width: raw.width, height: raw.height, format, hasAlpha: false, bytes };
    }
    const early = unsupportedFormat(bytes);
    if (early) return { ok: false, reason: early };
    // limitInputPixels: false here because we check the header ourselves and give a clearer reason.
    const image = sharp(bytes, { failOn: 'error', limitInputPixels: false, animated: false });
    const meta = await image.metadata();
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width * height > maxPixels) return { ok: false, reason: bombReason(width, height, maxPixels) };
    return { ok: true, image: image.rotate(), width, height, format: meta.format ?? 'unknown', hasAlpha: meta.hasAlpha === true, bytes, compression: meta.compression };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err, bytes) };
  }
}

/**
 * Turns libvips/reader errors into one short human-readable line. With the encoded `bytes`, a
 * format this build cannot decode is named as such ({@link unsupportedFormat}).
 */
export function describeDecodeError(err: unknown, bytes?: Buffer, compression?: string): string {
  if (bytes) {
    const unsupported = unsupportedFormat(bytes, compression, err ?? '');
    if (unsupported) return unsupported;
  }
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

type Opened = { image: sharp.Sharp; width: number; height: number; format: string; hasAlpha: boolean; bytes: Buffer; compression?: string };

async function decodeOpened(opened: Opened, opts: DecodeOptions): Promise<DecodeResult> {
  try {
    const { rgb, width, height } = await rgbPixels(opened, opts, opts.size);
    if (width !== opts.size || height !== opts.size) return { ok: false, reason: `cannot decode image: unexpected output ${width}x${height}` };
    return { ok: true, rgb, size: opts.size, width: opened.width, height: opened.height, format: opened.format };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err, opened.bytes, opened.compression) };
  }
}

/**
 * The background to flatten an RGBA image onto: white when its visible pixels (weighted by alpha)
 * are dark on average (relative luminance below 0.5), black when they are light. Dark logos keep
 * the white page a viewer shows; light strokes on transparency stay visible.
 * `rgba`: interleaved 8-bit RGBA.
 */
export function contrastBackground(rgba: Uint8Array): { r: number; g: number; b: number } {
  let sum = 0;
  let weight = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3];
    if (a === 0) continue;
    // Rec. 709 luma weights on the 8-bit values: enough to tell light from dark.
    sum += a * (0.2126 * rgba[i] + 0.7152 * rgba[i + 1] + 0.0722 * rgba[i + 2]);
    weight += a;
  }
  return weight > 0 && sum / weight >= 128 ? BLACK : WHITE;
}

/**
 * Transparency flattened, resized to `resize`×`resize` when given, as 8-bit sRGB: interleaved RGB
 * bytes. Opaque images take the one libvips pipeline as before; images with alpha are resized with
 * their alpha (libvips premultiplies), then composited here onto {@link contrastBackground} (or
 * `opts.background`), so the choice sees exactly the pixels that are flattened.
 */
async function rgbPixels(opened: Opened, opts: DecodeOptions, resize?: number): Promise<{ rgb: Buffer; width: number; height: number }> {
  if (!opened.hasAlpha) {
    let pipeline = opened.image.flatten({ background: opts.background ?? WHITE });
    if (resize !== undefined) pipeline = pipeline.resize(resize, resize, { fit: 'fill' });
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const rgb = info.channels === 3 ? data : toRgb(data, info.channels);
    if (rgb.length !== info.width * info.height * 3) throw new NeardupError(`unexpected output ${info.width}x${info.height}x${info.channels}`, 'bad_format');
    return { rgb, width: info.width, height: info.height };
  }
  let pipeline = opened.image;
  if (resize !== undefined) pipeline = pipeline.resize(resize, resize, { fit: 'fill' });
  const { data, info } = await pipeline.toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 4 || data.length !== info.width * info.height * 4) throw new NeardupError(`unexpected output ${info.width}x${info.height}x${info.channels}`, 'bad_format');
  const bg = opts.background ?? contrastBackground(data);
  const n = info.width * info.height;
  const rgb = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    const a = data[4 * i + 3];
    rgb[3 * i] = Math.round((data[4 * i] * a + bg.r * (255 - a)) / 255);
    rgb[3 * i + 1] = Math.round((data[4 * i + 1] * a + bg.g * (255 - a)) / 255);
    rgb[3 * i + 2] = Math.round((data[4 * i + 2] * a + bg.b * (255 - a)) / 255);
  }
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
  const view = opts.contentView === true && opened.width >= CONTENT_VIEW_MIN_SIDE && opened.height >= CONTENT_VIEW_MIN_SIDE;
  if (opened.width > opts.size || opened.height > opts.size) {
    // The test runs on the model's own input (no second decode unless the image has fill).
    const r = await decodeOpened({ ...opened, image: view ? opened.image.clone() : opened.image }, opts);
    if (!r.ok || !view) return r.ok ? { ok: true, rgb: r.rgb } : r;
    try {
      const box = findContentBox(grayOf(r.rgb, opts.size), opts.size);
      return { ok: true, rgb: box ? await contentPixels(opened, opts, box) : r.rgb };
    } catch (err) {
      return { ok: false, reason: describeDecodeError(err, opened.bytes, opened.compression) };
    }
  }
  if (view) {
    // At most the model's side: the test on a squashed copy of its own.
    try {
      const box = await contentBoxOf(opened, opts);
      if (box) return { ok: true, rgb: await contentPixels(opened, opts, box) };
    } catch (err) {
      return { ok: false, reason: describeDecodeError(err, opened.bytes, opened.compression) };
    }
  }
  try {
    const { rgb, width, height } = await rgbPixels(opened, opts);
    const n = width * height;
    let gray = true;
    for (let i = 0; i < n && gray; i++) gray = rgb[3 * i] === rgb[3 * i + 1] && rgb[3 * i] === rgb[3 * i + 2];
    if (!gray) return { ok: true, native: { width, height, channels: 3, data: rgb } };
    const one = new Uint8Array(n);
    for (let i = 0; i < n; i++) one[i] = rgb[3 * i];
    return { ok: true, native: { width, height, channels: 1, data: one } };
  } catch (err) {
    return { ok: false, reason: describeDecodeError(err, opened.bytes, opened.compression) };
  }
}

/**
 * The content view's box of an opened image no larger than the model's side ({@link findContentBox} on a
 * {@link CONTENT_TEST_SIDE} px gray copy, squashed to the square as the model's input is), or null. Decodes
 * a clone: `opened` is untouched.
 */
async function contentBoxOf(opened: Opened, opts: DecodeOptions): Promise<ContentBox | null> {
  const s = CONTENT_TEST_SIDE;
  const { rgb } = await rgbPixels({ ...opened, image: opened.image.clone() }, opts, s);
  return findContentBox(grayOf(rgb, s), s);
}

/** Rec. 601 luma of `side`×`side` interleaved RGB, rounded (the fill test only compares levels with each other). */
function grayOf(rgb: Uint8Array, side: number): Uint8Array {
  const gray = new Uint8Array(side * side);
  for (let i = 0; i < side * side; i++) gray[i] = Math.round(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2]);
  return gray;
}

/**
 * `box` of an opened image as `opts.size`×`opts.size` RGB: the image decoded squashed to twice the model's
 * side (so the box keeps detail), the box cut out, and resized (libvips, squashed) to the model's side.
 */
async function contentPixels(opened: Opened, opts: DecodeOptions, box: ContentBox): Promise<Buffer> {
  const big = 2 * opts.size;
  const { rgb } = await rgbPixels({ ...opened, image: opened.image.clone() }, opts, big);
  const left = Math.round(box.x * big);
  const top = Math.round(box.y * big);
  const width = Math.max(1, Math.min(big - left, Math.round(box.w * big)));
  const height = Math.max(1, Math.min(big - top, Math.round(box.h * big)));
  const { data, info } = await sharp(rgb, { raw: { width: big, height: big, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(opts.size, opts.size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== opts.size * opts.size * 3) throw new NeardupError(`unexpected output ${info.width}x${info.height}x${info.channels}`, 'bad_format');
  return data;
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
