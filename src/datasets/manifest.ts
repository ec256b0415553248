/**
 * CSV manifests: a `filepath` column plus optional `label`, `split`, `id`, `label_name` and any
 * extra columns, which are kept as they are (strings). Relative paths are resolved against the
 * CSV's folder. A missing file still gets a row (width/height null) so the scan records why it
 * was skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset } from '../types';
import { NeardupError } from '../errors';
import { parseCsv } from '../frame/csv';
import { safeColumnName } from '../frame/table';
import { buildFileDataset, codeLabelNames, selectRows } from './files';
import type { LoadOptions } from './options';

const STANDARD = ['id', 'filepath', 'split', 'label', 'label_name', 'width', 'height', 'original_index'];

/** Loads a CSV manifest. */
export async function loadManifest(csvPath: string, opts: LoadOptions = {}): Promise<Dataset> {
  const abs = path.resolve(csvPath);
  let text: string;
  try {
    text = await fs.promises.readFile(abs, 'utf8');
  } catch (e) {
    throw new NeardupError(`cannot read manifest ${csvPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: ReturnType<typeof parseCsv>;
  try {
    parsed = parseCsv(text);
  } catch (e) {
    throw new NeardupError(`manifest ${csvPath} is not valid CSV: ${(e as Error).message}`);
  }
  const { columns, rows: allRows } = parsed;
  if (!columns.includes('filepath')) {
    throw new NeardupError(`manifest ${csvPath} has no "filepath" column (columns: ${columns.join(', ') || 'none'})`);
  }
  const base = path.dirname(abs);
  const idx = selectRows(allRows.length, columns.includes('split') ? (i) => allRows[i].split : null, opts);
  const rows = idx.map((i) => allRows[i]);

  rows.forEach((r, k) => {
    if (!r.filepath.trim()) throw new NeardupError(`manifest ${csvPath}: empty filepath on data row ${idx[k] + 1}`);
  });
  const filepaths = rows.map((r) => path.resolve(base, r.filepath.trim()));
  const ids = columns.includes('id') ? rows.map((r) => r.id) : rows.map((r) => r.filepath.trim().split(path.sep).join('/'));
  const seen = new Map<string, number>();
  ids.forEach((id, k) => {
    if (seen.has(id)) throw new NeardupError(`manifest ${csvPath}: id "${id}" appears on data rows ${idx[seen.get(id)!] + 1} and ${idx[k] + 1}`);
    seen.set(id, k);
  });

  // Labels: integers stay integers; names are coded by their sorted order.
  let label: (number | null)[] = rows.map(() => null);
  let labelName: (string | null)[] = rows.map(() => null);
  if (columns.includes('label')) {
    const raw = rows.map((r) => r.label.trim());
    const numeric = raw.every((v) => v === '' || /^-?\d+$/.test(v));
    if (numeric) {
      label = raw.map((v) => (v === '' ? null : Number(v)));
      labelName = columns.includes('label_name') ? rows.map((r) => r.label_name || null) : raw.map((v) => (v === '' ? null : v));
    } else {
      label = codeLabelNames(raw).codes;
      labelName = raw.map((v) => (v === '' ? null : v));
    }
  } else if (columns.includes('label_name')) {
    labelName = rows.map((r) => r.label_name || null);
  }

  const extra: Record<string, unknown[]> = {};
  for (const c of columns) {
    if (STANDARD.includes(c)) continue;
    // A column named like a DataFrame member (`values`, `shape`, ...) is kept under `<name>_`.
    const name = safeColumnName(c, [...STANDARD, ...Object.keys(extra)]);
    if (name !== c) opts.onProgress?.(`manifest column "${c}" is kept as "${name}" (the name is reserved by DataFrames)`);
    extra[name] = rows.map((r) => r[c]);
  }
  const fileRows = {
    id: ids,
    filepath: filepaths,
    split: columns.includes('split') ? rows.map((r) => r.split || null) : rows.map(() => null),
    label,
    label_name: labelName,
    original_index: idx,
    extra,
  };
  return buildFileDataset(abs, fileRows, { kind: 'files', paths: filepaths }, opts);
}
