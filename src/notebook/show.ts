/**
 * Static notebook output: HTML tables and image grids that stay visible in a saved notebook and its
 * HTML rendering (unlike widgets, which need a live kernel or the widget manager). Every label,
 * id and path is escaped: it is shown as text, never interpreted as HTML.
 */
import type { DataFrame } from 'danfojs-node';
import type { Dataset } from '../types';
import { display } from '../widgets/base';
import { thumbnailPng } from '../images/thumbnail';
import { rowsFromDf } from '../frame';
import { escapeHtml } from '../widgets/explorer/summary';

/** A rich display object: both HTML and a plain-text fallback. */
export interface RichOutput {
  html: string;
  text: string;
  _repr_mimebundle_(): { data: { 'text/html': string; 'text/plain': string }; metadata: Record<string, never> };
}

function rich(html: string, text: string): RichOutput {
  return { html, text, _repr_mimebundle_: () => ({ data: { 'text/html': html, 'text/plain': text }, metadata: {} }) };
}

function cell(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
  return String(v);
}

/** Options of {@link tableHtml}. */
export interface TableOptions {
  /** Rows shown (default 10); the caption says how many there are in all. */
  limit?: number;
  /** Columns shown, in this order (default: all). */
  columns?: string[];
  caption?: string;
}

/** An HTML table of the first rows of a DataFrame (or row objects). */
export function tableHtml(data: DataFrame | Record<string, unknown>[], opts: TableOptions = {}): RichOutput {
  const rows = Array.isArray(data) ? data : rowsFromDf(data);
  const limit = opts.limit ?? 10;
  const columns = opts.columns ?? (rows.length ? Object.keys(rows[0]) : Array.isArray(data) ? [] : (data.columns as string[]));
  const shown = rows.slice(0, limit);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = shown.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cell(r[c]))}</td>`).join('')}</tr>`).join('');
  const caption = `${opts.caption ? `${opts.caption}: ` : ''}${rows.length} row${rows.length === 1 ? '' : 's'}${rows.length > limit ? `, first ${limit} shown` : ''}`;
  const html = `<table class="neardup-table"><caption style="text-align:left">${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  const text = [caption, columns.join('\t'), ...shown.map((r) => columns.map((c) => cell(r[c])).join('\t'))].join('\n');
  return rich(html, text);
}

/** Displays {@link tableHtml} in the current cell. */
export function showTable(data: DataFrame | Record<string, unknown>[], opts: TableOptions = {}): void {
  display(tableHtml(data, opts));
}

/** One tile of an image grid: a dataset row and the lines of text under it. */
export interface ImageTile {
  row: number;
  caption?: string[];
}

/** Options of {@link imageGridHtml}. */
export interface ImageGridOptions {
  /** Thumbnail size in CSS pixels (default 96); tiny images are upscaled without smoothing. */
  size?: number;
  /** Tiles per line (default 8). */
  columns?: number;
  title?: string;
}

/**
 * An HTML grid of thumbnails (PNG embedded as data URLs) with escaped captions. Tiles are either
 * single samples or groups (e.g. a pair side by side): pass `ImageTile[][]` to frame each group.
 */
export async function imageGridHtml(ds: Dataset, tiles: ImageTile[] | ImageTile[][], opts: ImageGridOptions = {}): Promise<RichOutput> {
  const size = opts.size ?? 96;
  const groups: ImageTile[][] = tiles.length && Array.isArray(tiles[0]) ? (tiles as ImageTile[][]) : (tiles as ImageTile[]).map((t) => [t]);
  const tileHtml = async (t: ImageTile): Promise<string> => {
    const png = await thumbnailPng(ds, t.row, Math.max(size, 32));
    const cap = (t.caption ?? []).map((l) => `<div>${escapeHtml(l)}</div>`).join('');
    return (
      `<figure style="margin:2px;width:${size}px;font-size:10px;line-height:1.2;overflow-wrap:anywhere">` +
      `<img src="data:image/png;base64,${png.toString('base64')}" style="width:${size}px;height:${size}px;object-fit:contain;image-rendering:pixelated;background:#eee"/>` +
      `<figcaption>${cap}</figcaption></figure>`
    );
  };
  const parts: string[] = [];
  for (const g of groups) {
    const inner = (await Promise.all(g.map(tileHtml))).join('');
    parts.push(g.length > 1 ? `<div style="display:flex;border:1px solid #bbb;border-radius:4px;padding:2px;margin:3px">${inner}</div>` : inner);
  }
  const cols = opts.columns ?? 8;
  const title = opts.title ? `<div style="font-weight:bold">${escapeHtml(opts.title)}</div>` : '';
  const html = `${title}<div style="display:flex;flex-wrap:wrap;max-width:${cols * (size + 12) * (groups[0]?.length ?? 1)}px">${parts.join('')}</div>`;
  const text = `${opts.title ? `${opts.title}: ` : ''}${groups.length} tile${groups.length === 1 ? '' : 's'} (images in the HTML output)`;
  return rich(html, text);
}

/** Displays {@link imageGridHtml} in the current cell. */
export async function showImages(ds: Dataset, tiles: ImageTile[] | ImageTile[][], opts: ImageGridOptions = {}): Promise<void> {
  display(await imageGridHtml(ds, tiles, opts));
}
