/**
 * Small helpers between danfo DataFrames and plain rows/columns. Danfo's own accessors differ
 * between Series and DataFrame and throw on empty frames; these keep other stages simple.
 */
import { DataFrame } from 'danfojs-node';
import { NeardupError } from '../errors';

/** A plain row: column name → value. */
export type Row = Record<string, unknown>;

/**
 * Builds a DataFrame from rows. `columns` fixes the column order (and lets an empty list of rows
 * still produce a frame with those columns); otherwise the keys of all rows are used, first-seen order.
 */
export function dfFromRows(rows: Row[], columns?: string[]): DataFrame {
  const cols = columns ?? columnsOf(rows);
  const data: Record<string, unknown[]> = {};
  for (const c of cols) data[c] = rows.map((r) => (r[c] === undefined ? null : r[c]));
  return dfFromColumns(data, cols);
}

/** Builds a DataFrame from column arrays (all the same length). Works for zero rows too. */
export function dfFromColumns(columns: Record<string, ArrayLike<unknown>>, order?: string[]): DataFrame {
  const cols = order ?? Object.keys(columns);
  const n = cols.length ? columns[cols[0]].length : 0;
  for (const c of cols) {
    if (isReservedColumnName(c)) {
      throw new NeardupError(`column name "${c}" clashes with a danfo DataFrame member; rename it (e.g. with safeColumnName)`, 'invalid_argument');
    }
  }
  for (const c of cols) {
    if (!(c in columns)) throw new NeardupError(`dfFromColumns: missing column "${c}"`, 'invalid_argument');
    if (columns[c].length !== n) throw new NeardupError(`dfFromColumns: column "${c}" has ${columns[c].length} values, expected ${n}`, 'invalid_argument');
  }
  if (n === 0) return new DataFrame(undefined, { columns: cols });
  const data: Record<string, unknown[]> = {};
  for (const c of cols) data[c] = Array.from(columns[c]);
  return new DataFrame(data, { columns: cols });
}

let probe: DataFrame | undefined;
const breaks = new Map<string, boolean>();

/**
 * True when a column called `name` would break a danfo DataFrame: danfo adds a property per column,
 * and some member names (`values`, `columns`, `shape`, `print`, ...) then stop working. Names that
 * merely shadow a method (`count`, `max`, ...) still work and are allowed.
 */
export function isReservedColumnName(name: string): boolean {
  probe ??= new DataFrame({ a: [0] });
  if (!(name in probe) || name === 'a') return false;
  let bad = breaks.get(name);
  if (bad === undefined) {
    try {
      const df = new DataFrame({ x: [1, 2], [name]: ['p', 'q'] });
      bad = !(df.shape[0] === 2 && df.columns.length === 2 && Array.isArray(df.values) && typeof df.print === 'function' &&
        typeof df.column === 'function' && typeof df.head === 'function' && (df.values as unknown[][])[1][1] === 'q');
    } catch {
      bad = true;
    }
    breaks.set(name, bad);
  }
  return bad;
}

/** `name`, or `name_` (`name__`, ...) when it clashes with a DataFrame member or one of `taken`. */
export function safeColumnName(name: string, taken: Iterable<string> = []): string {
  const used = new Set(taken);
  let n = name;
  while (isReservedColumnName(n) || used.has(n)) n += '_';
  return n;
}

/** The DataFrame's rows as plain objects, in row order. */
export function rowsFromDf(df: DataFrame): Row[] {
  const cols = df.columns;
  const values = df.shape[0] === 0 ? [] : (df.values as unknown[][]);
  return values.map((v) => {
    const r: Row = {};
    cols.forEach((c, j) => (r[c] = v[j]));
    return r;
  });
}

/** True when `df` has a column named `name`. */
export function hasColumn(df: DataFrame, name: string): boolean {
  return df.columns.includes(name);
}

/** The values of one column as a plain array; throws a clear error if the column is missing. */
export function columnValues<T = unknown>(df: DataFrame, name: string): T[] {
  if (!hasColumn(df, name)) throw new NeardupError(`DataFrame has no column "${name}" (columns: ${df.columns.join(', ')})`, 'invalid_argument');
  if (df.shape[0] === 0) return [];
  return df.column(name).values as T[];
}

/** The values of a string column (nulls kept as null). */
export function stringColumn(df: DataFrame, name: string): (string | null)[] {
  return columnValues<unknown>(df, name).map((v) => (v === null || v === undefined ? null : String(v)));
}

/** The values of a numeric column (nulls and non-numbers become null). */
export function numberColumn(df: DataFrame, name: string): (number | null)[] {
  return columnValues<unknown>(df, name).map((v) => {
    if (v === null || v === undefined || v === '') return null;
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  });
}

/** The `id` column (every stage ties its row order to it). */
export function idsOf(df: DataFrame): string[] {
  return columnValues<unknown>(df, 'id').map(String);
}

/** Keys of all rows, in first-seen order. */
function columnsOf(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}
