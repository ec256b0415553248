/** JSON export, written atomically. DataFrames become an array of row objects. */
import { DataFrame } from 'danfojs-node';
import { writeFileAtomic } from './atomic';
import { rowsFromDf } from './table';

/** JSON.stringify replacer: typed arrays → plain arrays, BigInt → number, NaN/Infinity → null. */
function replacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** Formats a value (or a DataFrame, as rows) as JSON text. */
export function toJson(value: unknown, options: { pretty?: boolean } = {}): string {
  const v = value instanceof DataFrame ? rowsFromDf(value) : value;
  return JSON.stringify(v, replacer, options.pretty === false ? undefined : 2) + '\n';
}

/** Writes `value` (a DataFrame is written as an array of rows) to `file` as JSON, atomically. */
export async function writeJson(value: unknown, file: string, options: { pretty?: boolean } = {}): Promise<void> {
  await writeFileAtomic(file, toJson(value, options));
}
