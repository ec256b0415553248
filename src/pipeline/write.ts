/**
 * Writes a scan's outputs into a folder, each file atomically:
 * `samples.csv`, `duplicates.csv` (`a, b, similarity, group_id` and the evidence columns of `ScanResult.pairs`), `summary.json`, plus the reports
 * `cross_split.csv`, `label_conflicts.csv`, `exact_duplicates.csv` and `groups.csv`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeardupError } from '../errors';
import { writeCsv, writeJson } from '../frame';
import { isInside, realpathLoose } from '../export/safe-path';
import type { ScanResult, ScanSummary } from './scan';
import { filePaths } from '../images/source';

/** What {@link writeScanOutputs} wrote. */
export interface ScanOutputs {
  outDir: string;
  files: string[];
  summary: ScanSummary & { dataset_root: string | null; files: string[] };
}

/** The folder a files dataset lives in (its DataFrame ids are relative to it), or null. */
export function datasetRoot(result: ScanResult): string | null {
  const ds = result.dataset;
  if (!filePaths(ds.pixels)) return null;
  try {
    if (fs.statSync(ds.name).isDirectory()) return path.resolve(ds.name);
  } catch {
    // not a folder dataset (manifest): no single root
  }
  return null;
}

/**
 * Writes the scan outputs into `outDir` (created if needed). Refuses an output folder inside the
 * dataset folder, so a scan never writes among the user's images.
 */
export async function writeScanOutputs(result: ScanResult, outDir: string): Promise<ScanOutputs> {
  const out = path.resolve(outDir);
  const root = datasetRoot(result);
  if (root && isInside(realpathLoose(root), realpathLoose(out))) {
    throw new NeardupError(`--out ${outDir} is inside the dataset folder ${root}; choose a folder outside it`);
  }
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new NeardupError(`--out ${outDir} exists and is not a folder`);
  fs.mkdirSync(out, { recursive: true });
  const started = performance.now();
  const files: string[] = [];
  const put = async (name: string, write: (file: string) => Promise<void>) => {
    await write(path.join(out, name));
    files.push(name);
  };
  await put('samples.csv', (f) => writeCsv(result.samples, f));
  // Every pair with the evidence for its verdict (cosine, rule, inliers, coverage, pixel correlation, hash distance).
  await put('duplicates.csv', (f) => writeCsv(result.pairs, f));
  const reports = result.reports;
  await put('cross_split.csv', (f) => writeCsv(reports.crossSplit.df, f));
  await put('label_conflicts.csv', (f) => writeCsv(reports.labelConflicts.df, f));
  if (reports.exactDuplicates) await put('exact_duplicates.csv', (f) => writeCsv(reports.exactDuplicates!.df, f));
  await put('groups.csv', (f) => writeCsv(result.groupsTable, f));
  files.push('summary.json');
  const base = result.summary;
  const timings = { ...base.timings, write: Math.round(performance.now() - started) / 1000 };
  const summary = { ...base, timings, dataset_root: root, files };
  await writeJson(summary, path.join(out, 'summary.json'));
  return { outDir: out, files, summary };
}
