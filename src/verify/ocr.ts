/**
 * OCR veto: the last stage of the verification for pairs of text pages (issue 10, documents).
 *
 * Why: two pages of one manual share headings, rules, margins, header and footer; after a keypoint
 * alignment their tiles still agree 0.62–0.86 (docs/quality.md, "Documents, tried and not shipped"),
 * as much as a blurred true copy. What differs is the words. A copy's text is the original's text (or a
 * part of it, when cropped), up to reading errors; another page has words of its own. So when BOTH
 * images are legible text, their recognised words are compared, and a pair where each side has many
 * words the other lacks is rejected. When either side is not legible (a photo, a blurred or tiny copy)
 * OCR says nothing and the verdict stays.
 *
 * OCR: Tesseract 5 (LSTM) compiled to WebAssembly, `tesseract.js` 7.0.0 with `tesseract.js-core` 7.0.0
 * (Apache-2.0) and the English model of `@tesseract.js-data/eng` 1.0.0 (tessdata's `eng.traineddata`,
 * "best_int" variant; the package is MIT, the model Apache-2.0). Everything loads from node_modules: no
 * network, nothing written to disk (`cacheMethod: 'none'`).
 *
 * The rule's numbers were fixed before any measurement on the benchmark's families (docs/quality.md,
 * "OCR veto"), from what a copy can and cannot do to a page of text:
 * - a word counts when Tesseract gives it confidence ≥ {@link OCR_MIN_CONFIDENCE} and it has ≥ 2 letters
 *   or digits (punctuation stripped, lower-cased): reading errors at high confidence are rare, so a copy
 *   has few confident words that are not on the original;
 * - a side is legible with ≥ {@link OCR_MIN_WORDS} such words: a page of text, not a watermark or a caption
 *   on a photo;
 * - similarity = |A ∩ B| / min(|A|, |B|) over the word multisets (containment of the smaller in the larger):
 *   a crop keeps a subset of the words (containment stays near 1), while another page of one layout shares
 *   only the template's words;
 * - veto below {@link OCR_MAX_SIMILARITY}: at least a fifth of the shorter side's confident words are absent
 *   from the other side.
 */
import sharp from 'sharp';
import { NeardupError } from '../errors';

/** Least Tesseract word confidence (0–100) for a word to count. */
export const OCR_MIN_CONFIDENCE = 80;
/** Least confident words on each side for the pair to be compared at all. */
export const OCR_MIN_WORDS = 20;
/** Word containment under which a verified pair of legible pages is rejected. */
export const OCR_MAX_SIMILARITY = 0.8;
/**
 * Pairs verified with an agreement at or above this level are not read: a page whose detailed tiles agree
 * this well with another has the same lines of text in the same places. 0.9 is above what any different
 * page reached and below what most copies reach; chosen so that OCR runs on the uncertain part only (cost).
 */
export const OCR_BELOW_AGREEMENT = 0.9;
/**
 * A page: at least this share of the pixels (gray, 128 px) within {@link PAGE_BACKGROUND_SPREAD} levels of the
 * median, and the median at least {@link PAGE_MIN_BACKGROUND} (light paper). Printed text covers well under
 * half of a page, so a page of text passes (blurred or recoloured copies too); a photo, a star field or a
 * texture rarely does. Why: Tesseract costs 3–12 s of CPU on a photo (it looks for lines among every blob),
 * and reading only pages keeps the veto's cost to the images it can concern. Fixed before any measurement on
 * the families (docs/quality.md, "OCR veto"); a page with a dark background is not read (a limit).
 */
export const PAGE_MIN_SHARE = 0.5;
/** Gray levels around the median that count as background (see {@link PAGE_MIN_SHARE}). */
export const PAGE_BACKGROUND_SPREAD = 12;
/** Least median gray level of a page (see {@link PAGE_MIN_SHARE}). */
export const PAGE_MIN_BACKGROUND = 160;

/**
 * Whether a gray image looks like a page (see {@link PAGE_MIN_SHARE}): a cheap test that spares Tesseract
 * the photos.
 */
export function looksLikePage(gray: Uint8Array): boolean {
  const hist = new Uint32Array(256);
  for (const v of gray) hist[v]++;
  let acc = 0, median = 0;
  for (; median < 256; median++) { acc += hist[median]; if (acc * 2 >= gray.length) break; }
  if (median < PAGE_MIN_BACKGROUND) return false;
  let near = 0;
  for (let v = Math.max(0, median - PAGE_BACKGROUND_SPREAD); v <= Math.min(255, median + PAGE_BACKGROUND_SPREAD); v++) near += hist[v];
  return near >= PAGE_MIN_SHARE * gray.length;
}

/** Long side (px) the image is decoded at for OCR: 2048, so that 10–12 pt text of a page is ≈ 20 px high. */
export const OCR_SIDE = 2048;

/** Words read on one image. */
export interface OcrWords {
  /** Confident words (lower case, letters and digits only), in reading order. */
  words: string[];
  /** Seconds spent (decode + OCR). */
  seconds: number;
  /** False when the image does not look like a page ({@link looksLikePage}): not read, no words. */
  page: boolean;
}

type TesseractWorker = { recognize: (img: Buffer, o: object, out: object) => Promise<{ data: any }>; terminate: () => Promise<unknown> };

/**
 * One Tesseract worker (its own thread), loaded from node_modules. The worker starts at the first image that
 * passes the page test ({@link looksLikePage}), so a scan of photos pays the page test only, not Tesseract's load.
 */
export class OcrReader {
  private worker: Promise<TesseractWorker> | null = null;
  private constructor(private readonly create: () => Promise<TesseractWorker>) {}

  /**
   * Finds tesseract.js and the English model in node_modules; the worker (about 1 s and 30 MB) starts at the
   * first page read.
   * @throws NeardupError (`unsupported`) when tesseract.js or the model cannot be found (here) or start (in {@link read}).
   */
  static async load(): Promise<OcrReader> {
    try {
      const T = require('tesseract.js') as { createWorker: (l: string, oem: number, o: object) => Promise<TesseractWorker> };
      const data = require('@tesseract.js-data/eng') as { langPath: string };
      const langPath = data.langPath.replace(/4\.0\.0$/, '4.0.0_best_int');
      return new OcrReader(async () => {
        const worker = await T.createWorker('eng', 1, { langPath, gzip: true, cacheMethod: 'none', logger: () => {}, errorHandler: () => {} });
        // The decoded PNG carries no resolution; without one Tesseract warns on every image and guesses.
        await (worker as unknown as { setParameters: (p: object) => Promise<unknown> }).setParameters({ user_defined_dpi: '300' });
        return worker;
      });
    } catch (e) {
      throw new NeardupError(`OCR (tesseract.js) could not load: ${(e as Error).message}`, 'unsupported');
    }
  }

  private started(): Promise<TesseractWorker> {
    this.worker ??= this.create().catch((e) => {
      throw new NeardupError(`OCR (tesseract.js) could not load: ${(e as Error).message}`, 'unsupported');
    });
    return this.worker;
  }

  /**
   * Reads the confident words of an encoded image (any format sharp reads), decoded in gray with its long
   * side at {@link OCR_SIDE} px.
   * `maxPixels` is the decompression-bomb limit (default 10⁸ pixels).
   * @throws NeardupError (`bad_format`) when the image cannot be decoded; (`unsupported`) when Tesseract cannot start.
   */
  async read(encoded: Buffer | Uint8Array, maxPixels = 1e8): Promise<OcrWords> {
    const t0 = performance.now();
    let png: Buffer;
    try {
      const small = await sharp(encoded, { limitInputPixels: maxPixels }).rotate().grayscale().resize(128, 128, { fit: 'inside' }).raw().toBuffer();
      if (!looksLikePage(new Uint8Array(small))) return { words: [], seconds: (performance.now() - t0) / 1000, page: false };
      png = await sharp(encoded, { limitInputPixels: maxPixels }).rotate().grayscale().resize(OCR_SIDE, OCR_SIDE, { fit: 'inside' }).png({ compressionLevel: 1 }).toBuffer();
    } catch (e) {
      throw new NeardupError(`OCR: image cannot be decoded: ${(e as Error).message}`, 'bad_format');
    }
    const { data } = await (await this.started()).recognize(png, {}, { text: false, blocks: true });
    return { words: confidentWords(data), seconds: (performance.now() - t0) / 1000, page: true };
  }

  /** Ends the worker thread. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.then((x) => x.terminate(), () => undefined);
  }
}

/** The confident words of a Tesseract page (`blocks` output). */
export function confidentWords(page: { blocks?: any[] | null }): string[] {
  const out: string[] = [];
  for (const b of page.blocks ?? []) for (const p of b.paragraphs ?? []) for (const l of p.lines ?? []) for (const w of l.words ?? []) {
    if (!(w.confidence >= OCR_MIN_CONFIDENCE)) continue;
    const t = normalizeWord(w.text);
    if (t.length >= 2) out.push(t);
  }
  return out;
}

/** Lower case, letters and digits only (Unicode). */
export function normalizeWord(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * |A ∩ B| / min(|A|, |B|) over word multisets, 0..1; NaN when either side has fewer than
 * {@link OCR_MIN_WORDS} words (not legible: OCR says nothing).
 */
export function wordContainment(a: string[], b: string[]): number {
  if (a.length < OCR_MIN_WORDS || b.length < OCR_MIN_WORDS) return NaN;
  const count = new Map<string, number>();
  for (const w of a) count.set(w, (count.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of b) {
    const c = count.get(w) ?? 0;
    if (c > 0) { common++; count.set(w, c - 1); }
  }
  return common / Math.min(a.length, b.length);
}

/** True when OCR vetoes the pair: both sides legible and containment under {@link OCR_MAX_SIMILARITY}. */
export function ocrVetoes(similarity: number): boolean {
  return Number.isFinite(similarity) && similarity < OCR_MAX_SIMILARITY;
}
