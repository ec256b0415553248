/**
 * Contact sheets: a grid of labelled thumbnails, to look at a family of benchmark images at once
 * (are the distractors look-alikes, are the controls distinct, are the copies right).
 */
import sharp from 'sharp';

export interface SheetItem {
  /** Image file to show. */
  path: string;
  /** Short caption under the thumbnail (cut to fit). */
  label: string;
  /** Caption colour, e.g. to tell originals, copies and distractors apart. */
  colour?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Renders `items` as a PNG grid of `cols` columns, each cell `cell` px square plus a 14 px caption.
 * Small images (32×32) are enlarged with nearest-neighbour sampling so their pixels stay visible.
 * @returns the PNG bytes.
 */
export async function contactSheet(items: SheetItem[], opts: { cols?: number; cell?: number } = {}): Promise<Buffer> {
  const cols = opts.cols ?? 12;
  const cell = opts.cell ?? 128;
  const capH = 14;
  const rows = Math.max(1, Math.ceil(items.length / cols));
  const W = cols * cell;
  const H = rows * (cell + capH);
  const layers: sharp.OverlayOptions[] = [];
  for (const [i, it] of items.entries()) {
    const x = (i % cols) * cell;
    const y = Math.floor(i / cols) * (cell + capH);
    const meta = await sharp(it.path).metadata();
    const small = (meta.width ?? cell) < cell / 2;
    const thumb = await sharp(it.path)
      .flatten({ background: '#808080' })
      .resize(cell - 4, cell - 4, { fit: 'inside', kernel: small ? 'nearest' : 'lanczos3' })
      .png()
      .toBuffer({ resolveWithObject: true });
    layers.push({ input: thumb.data, left: x + 2 + Math.floor((cell - 4 - thumb.info.width) / 2), top: y + 2 + Math.floor((cell - 4 - thumb.info.height) / 2) });
    const label = it.label.length > cell / 6 ? it.label.slice(0, Math.floor(cell / 6) - 1) + '…' : it.label;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${cell}" height="${capH}"><text x="2" y="11" font-family="DejaVu Sans, sans-serif" font-size="10" fill="${it.colour ?? '#ffffff'}">${esc(label)}</text></svg>`;
    layers.push({ input: Buffer.from(svg), left: x, top: y + cell });
  }
  return sharp({ create: { width: W, height: H, channels: 3, background: '#202020' } }).composite(layers).png().toBuffer();
}
