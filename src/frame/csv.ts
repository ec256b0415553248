/**
 * CSV export and import. Danfo's toCSV does not quote fields that contain commas, quotes or
 * newlines, so we write with csv-stringify (RFC 4180 quoting) and atomically.
 */
import * as fs from 'node:fs';
import { DataFrame } from 'danfojs-node';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from './atomic';
import { rowsFromDf, type Row } from './table';

/** Rows or a DataFrame: what the writers accept. */
export type Tabular = DataFrame | Row[];

function toRowsAndColumns(data: Tabular, columns?: string[]): { rows: Row[]; columns: string[] } {
  if (data instanceof DataFrame || (data && typeof data === 'object' && 'columns' in data && 'shape' in data)) {
    const df = data as DataFrame;
    return { rows: rowsFromDf(df), columns: columns ?? [...df.columns] };
  }
  const rows = data as Row[];
  if (columns) return { rows, columns };
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return { rows, columns: [...seen] };
}

/** Cell formatting: null/undefined → empty; arrays and objects → JSON; numbers as JS prints them. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/** Formats rows or a DataFrame as CSV text with a header line. */
export function toCsv(data: Tabular, options: { columns?: string[] } = {}): string {
  const { rows, columns } = toRowsAndColumns(data, options.columns);
  const records = rows.map((r) => columns.map((c) => cell(r[c])));
  return stringify([columns, ...records], { quoted_match: /^\s|\s$/ });
}

/** Writes rows or a DataFrame to `file` as CSV (header + properly quoted fields), atomically. */
export async function writeCsv(data: Tabular, file: string, options: { columns?: string[] } = {}): Promise<void> {
  await writeFileAtomic(file, toCsv(data, options));
}

/** Parses CSV text with a header line into rows of strings (empty cells stay ''). */
export function parseCsv(text: string): { columns: string[]; rows: Record<string, string>[] } {
  const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  if (records.length === 0) return { columns: [], rows: [] };
  const columns = records[0].map((c) => c.trim());
  const rows = records.slice(1).map((rec) => {
    const r: Record<string, string> = {};
    columns.forEach((c, j) => (r[c] = rec[j] ?? ''));
    return r;
  });
  return { columns, rows };
}

/** Reads a CSV file written by {@link writeCsv} (or any RFC 4180 CSV with a header). */
export async function readCsv(file: string): Promise<{ columns: string[]; rows: Record<string, string>[] }> {
  return parseCsv(await fs.promises.readFile(file, 'utf8'));
}
