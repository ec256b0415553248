/**
 * The duplicate explorer (kernel side). The browser side lives in the top-level widgets/ package.
 */
import type { DataFrame } from 'danfojs-node';
import { NeardupError } from '../../errors';
import type { ScanResult } from '../../pipeline/scan';
import { buildEvidenceTable } from './evidence';
import { columnValues, hasColumn } from '../../frame';
import { resolveThreshold } from '../../dedup/defaults';
import { Explorer, type ExploreOptions } from './explorer';
import type { ExplorerSource } from './source';

export { Explorer, type ExploreOptions, type ExplorerCounts, type ExplorerTag, type ExplorerSnapshot } from './explorer';
export { reportHtml, writeReport, type ReportOptions } from './report';
export { formatSimilarity } from './format';
export { encodeCategories, keepRank, type ExplorerSource } from './source';
export { escapeHtml } from './summary';
export { EXPLORER_MODULE, EXPLORER_MODULE_VERSION } from './version';

function isScanResult(x: unknown): x is ScanResult {
  return !!x && typeof x === 'object' && 'neighbors' in x && 'groupOptions' in x && typeof (x as any).groupOptions === 'function';
}

function isDataFrame(x: unknown): x is DataFrame {
  return !!x && typeof x === 'object' && 'columns' in x && 'shape' in x;
}

/** Explorer inputs from a scan result (no copies of the big arrays). */
export function sourceFromScan(result: ScanResult, samples?: DataFrame): ExplorerSource {
  const df = result.dataset.df;
  const opts = result.groupOptions();
  const labelNames = hasColumn(df, 'label_name')
    ? columnValues<unknown>(df, 'label_name').map((v) => (v == null ? null : String(v)))
    : undefined;
  return {
    ids: result.ids,
    neighbors: result.neighbors,
    splits: opts.splits,
    labels: opts.labels,
    labelNames,
    valid: result.valid,
    exactGroups: result.exact?.group,
    maxSimilarity: result.maxSimilarity,
    dataset: result.dataset,
    samples: samples ?? (() => result.samples),
    groupOptions: (keep, method) => result.groupOptions(keep, method),
    evidence: buildEvidenceTable(
      result.evidencePairs(),
      result.hashMatches(),
      result.verification ? { band: result.verification.band, sure: result.verification.sure } : null,
    ),
  };
}

/**
 * Opens the duplicate explorer on a scan: a histogram of `max_similarity` with the threshold on
 * its axis, live counts, one card per group (kept copy first, each member's similarity to it), a
 * closer look beside the kept copy, and keep/remove tagging (never the last copy of a group without
 * a confirmed `'drop'`). Display it as a cell's last value; exported notebooks show a static picture.
 *
 * - `explore(result, { threshold })`: on a {@link ScanResult} (from `scan`).
 * - `explore(df, result, { threshold })`: the same, but `toDataFrame()` starts from your own
 *   samples table `df` (matched by its `id` column; extra columns are kept).
 * - `explore(source, { threshold })`: on plain inputs ({@link ExplorerSource}: ids + neighbours, …).
 *
 * @example
 * const result = await scan('sample');
 * const w = explore(result, { threshold: 0.95 });
 * w            // shows the widget
 * // later cells: w.threshold, w.tags, w.counts, w.snapshot(), await w.exportAll('out'), w.toDataFrame()
 */
export function explore(result: ScanResult | ExplorerSource, options?: ExploreOptions): Explorer;
export function explore(df: DataFrame, result: ScanResult, options?: ExploreOptions): Explorer;
export function explore(a: unknown, b?: unknown, c?: unknown): Explorer {
  let src: ExplorerSource;
  let options: ExploreOptions;
  let scanDefaults: { threshold?: number; keep?: any; method?: any } = {};
  if (isDataFrame(a) && !isScanResult(a)) {
    if (!isScanResult(b)) throw new NeardupError('explore(df, result, options): result must be the ScanResult that df came from');
    src = sourceFromScan(b, a);
    options = (c as ExploreOptions) ?? {};
    scanDefaults = { threshold: b.threshold, keep: b.keep, method: b.method };
  } else if (isScanResult(a)) {
    src = sourceFromScan(a);
    options = (b as ExploreOptions) ?? {};
    scanDefaults = { threshold: a.threshold, keep: a.keep, method: a.method };
  } else if (a && typeof a === 'object' && 'ids' in a && 'neighbors' in a) {
    src = a as ExplorerSource;
    options = (b as ExploreOptions) ?? {};
  } else {
    throw new NeardupError('explore: pass a ScanResult (from scan), or a DataFrame and its ScanResult, or {ids, neighbors}');
  }
  if (options !== null && typeof options !== 'object') throw new NeardupError('explore: options must be an object such as { threshold: 0.95 }');
  // An explicit threshold wins; then the scan's; then the default for the source's dataset, if any.
  const threshold = resolveThreshold(options.threshold ?? scanDefaults.threshold, src.dataset);
  return new Explorer(src, {
    ...options,
    threshold,
    keep: options.keep ?? scanDefaults.keep,
    method: options.method ?? scanDefaults.method,
  });
}
