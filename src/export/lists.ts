/**
 * Filtered sample tables and the list of files to remove, written atomically as CSV (quoted by the
 * frame writer, so commas, quotes and newlines in labels and paths survive), JSON or plain text.
 */
import * as path from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { NeardupError } from '../errors';
import { fsPath } from '../datasets/names';
import { rowsFromDf, writeCsv, writeJson, writeFileAtomic, type Row } from '../frame';

/** Which samples a filtered export keeps. */
export type SampleFilter =
  | 'all'
  /** Samples to remove (`is_duplicate`). */
  | 'duplicates'
  /** Samples kept after deduplication (`keep`). */
  | 'kept'
  /** Samples in a near-duplicate group (`group_id` ≥ 0). */
  | 'flagged'
  /** Samples that could not be read or embedded (`status` = skipped). */
  | 'skipped'
  | ((row: Row) => boolean);

const truthy = (v: unknown) => v === true || v === 1 || v === 'true' || v === '1';

/** Rows of `samples` (a DataFrame or rows) that pass `filter`. */
export function filterSamples(samples: DataFrame | Row[], filter: SampleFilter = 'all'): Row[] {
  const rows = Array.isArray(samples) ? samples : rowsFromDf(samples);
  if (typeof filter === 'function') return rows.filter(filter);
  switch (filter) {
    case 'all':
      return rows;
    case 'duplicates':
      return rows.filter((r) => truthy(r.is_duplicate));
    case 'kept':
      return rows.filter((r) => truthy(r.keep));
    case 'flagged':
      return rows.filter((r) => r.group_id !== null && r.group_id !== '' && Number(r.group_id) >= 0);
    case 'skipped':
      return rows.filter((r) => r.status === 'skipped');
    default:
      throw new NeardupError(`unknown filter '${String(filter)}' (use all, duplicates, kept, flagged or skipped)`);
  }
}

/** Output format from a file name: `.json` → json, `.txt`/`.lst` → text, anything else csv. */
export function formatOf(file: string): 'csv' | 'json' | 'txt' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.txt' || ext === '.lst') return 'txt';
  return 'csv';
}

/**
 * Writes the samples passing `filter` to `file` (CSV or JSON by extension), atomically.
 * Returns the number of rows written.
 */
export async function exportSamples(
  samples: DataFrame | Row[],
  file: string,
  opts: { filter?: SampleFilter; columns?: string[] } = {},
): Promise<number> {
  let rows = filterSamples(samples, opts.filter ?? 'all');
  if (opts.columns) rows = rows.map((r) => Object.fromEntries(opts.columns!.map((c) => [c, r[c] ?? null])));
  const columns = opts.columns ?? (Array.isArray(samples) ? undefined : [...samples.columns]);
  const fmt = formatOf(file);
  if (fmt === 'json') await writeJson(rows, file);
  else if (fmt === 'csv') await writeCsv(rows, file, { columns });
  else throw new NeardupError(`${file}: sample tables are written as .csv or .json`);
  return rows.length;
}

/** One file to remove, and the id of the copy that is kept instead. */
export interface RemoveEntry {
  id: string;
  filepath: string;
  duplicate_of: string | null;
}

/** The duplicates to remove, from a samples table with `id, filepath, is_duplicate` (and `duplicate_of` / `duplicate_of_id`). */
export function removeList(samples: DataFrame | Row[]): RemoveEntry[] {
  return filterSamples(samples, 'duplicates').map((r) => ({
    id: String(r.id),
    filepath: String(r.filepath ?? ''),
    duplicate_of: r.duplicate_of_id != null && r.duplicate_of_id !== '' ? String(r.duplicate_of_id) : r.duplicate_of != null && r.duplicate_of !== '' ? String(r.duplicate_of) : null,
  }));
}

/**
 * Writes the list of files to remove: `.csv` (`id, filepath, duplicate_of`), `.json`, or `.txt`
 * (one file path per line, as the file's own bytes: a name that is not UTF-8 appears as it is on disk,
 * while .csv/.json hold its encoded form, datasets/names.ts; refused if a path contains a newline,
 * which a line list cannot hold).
 * Only writes the list; never deletes anything.
 */
export async function writeRemoveList(entries: RemoveEntry[], file: string): Promise<void> {
  const fmt = formatOf(file);
  if (fmt === 'json') return writeJson(entries, file);
  if (fmt === 'csv') return writeCsv(entries as unknown as Row[], file, { columns: ['id', 'filepath', 'duplicate_of'] });
  const bad = entries.find((e) => /[\r\n]/.test(e.filepath));
  if (bad) throw new NeardupError(`${file}: path ${JSON.stringify(bad.filepath)} contains a newline; write the list as .csv or .json instead`);
  // A name that is not UTF-8 is written with its own bytes (not its encoded id), so the line names
  // the file for `xargs -d '\n' rm` and the like.
  const lines = entries.map((e) => {
    const p = fsPath(e.filepath);
    return Buffer.concat([typeof p === 'string' ? Buffer.from(p, 'utf8') : p, Buffer.from('\n')]);
  });
  await writeFileAtomic(file, Buffer.concat(lines));
}
