/**
 * `neardup scan --report` / `neardup report`: one self-contained, offline HTML file with the
 * histogram and the groups as images, rendered exactly like the explorer's static picture
 * (static.ts), which is what exported notebooks show.
 */
import type { ScanResult } from '../../pipeline/scan';
import { writeFileAtomic } from '../../frame/atomic';
import { NeardupError } from '../../errors';
import { escapeHtml } from './summary';
import { explore } from './index';

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** Group cards in the report, most similar first (default 200). */
  groups?: number;
  /** Thumbnail side in pixels (default 64). */
  thumbSize?: number;
  /** Page title (default: "neardup report: <dataset>"). */
  title?: string;
}

/**
 * The report as a complete HTML document (no script, no external resource).
 *
 * @param result a scan; its threshold and keep policy are used.
 * @throws NeardupError (`invalid_argument`) when `groups` is not a positive integer.
 */
export async function reportHtml(result: ScanResult, opts: ReportOptions = {}): Promise<string> {
  const groups = opts.groups ?? 200;
  if (!Number.isInteger(groups) || groups < 1) throw new NeardupError(`report: groups must be a positive integer, got ${groups}`, 'invalid_argument');
  const title = opts.title ?? `neardup report: ${result.dataset.name}`;
  const w = explore(result, { title });
  try {
    const body = await w.staticHtml({ groups, thumbSize: opts.thumbSize ?? 64, note: `Written by neardup on ${new Date().toISOString().slice(0, 10)}; hover a picture for its full id and the evidence.` });
    return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="margin:12px">${body}</body></html>\n`;
  } finally {
    w.close();
  }
}

/**
 * Writes {@link reportHtml} to `file` atomically. Returns the path.
 *
 * @throws NeardupError for bad options; I/O errors from the write.
 */
export async function writeReport(result: ScanResult, file: string, opts: ReportOptions = {}): Promise<string> {
  await writeFileAtomic(file, await reportHtml(result, opts));
  return file;
}
