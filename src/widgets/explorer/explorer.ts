/**
 * The duplicate explorer, kernel side: a {@link Widget} whose `threshold` and `tags` are synced
 * with the browser view (widgets/ in this repo). The compact per-sample arrays go to the browser
 * once as binary buffers; every threshold or tag change is regrouped here with
 * `groupAtThreshold` (no new similarity search), tags are applied with the last-copy rule
 * (decide.ts) and the counts are synced back. `snapshot()` / `exportAll()` give every export from
 * that one state; `staticHtml()` is the offline picture exported notebooks show.
 */
import type { DataFrame } from 'danfojs-node';
import { Widget, WIDGET_VIEW_MIMETYPE, type WidgetSpec } from '../base';
import { getCommManager, type JSONObject } from '../../kernel/comm';
import { groupAtThreshold, type GroupMethod, type GroupOptions, type GroupResult, type KeepPolicy } from '../../dedup/groups';
import { Regrouper } from '../../dedup/regroup';
import { LINKAGE_WORKER_ROWS, linkageOfListsInWorker } from '../../dedup/linkage';
import { NeardupError } from '../../errors';
import { checkThreshold } from '../../dedup/defaults';
import { columnValues, dfFromColumns, hasColumn, writeCsv, writeJson } from '../../frame';
import { thumbnailPng } from '../../images/thumbnail';
import { checkSource, encodeCategories, idIndex, keepRank, sourceMaxSimilarity, type ExplorerSource } from './source';
import { summaryText } from './summary';
import { formatCount } from './format';
import { autoDecision, decide, type Decision, type ExplorerCounts, type ExplorerTag } from './decide';
import { crossSplitReport, labelConflictReport, pairsAtThreshold, type SampleInfo } from '../../dedup/report';
import { histogram as simHistogram } from '../../dedup/threshold';
import { groupCards, staticExplorerHtml, type StaticGroup } from './static';
import { emptyEvidence, evidenceIndex, pairVerdict, verdictText, type EvidenceTable } from './evidence';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { EXPLORER_MODULE, EXPLORER_MODULE_VERSION } from './version';
import { BROWSER_COMPUTE_LIMIT, groupBest, histogramBins, keptInfo, pageFilter, visibleGroups, type PageState } from './pages';

export type { ExplorerTag, ExplorerCounts } from './decide';


/** Options of {@link explore}. */
export interface ExploreOptions {
  /** Initial threshold (default: the scan's). */
  threshold?: number;
  /** Keep policy (default: the scan's, else `first`). */
  keep?: KeepPolicy;
  /** Group method (default: the scan's, else `components`). */
  method?: GroupMethod;
  /** Initial manual tags, by sample id. */
  tags?: Record<string, ExplorerTag>;
  /** Samples per grid page (default 12). */
  pageSize?: number;
  /** Thumbnail side in pixels; images are never enlarged on the kernel side (default 96). */
  thumbnailSize?: number;
  /** Title shown above the counts. */
  title?: string;
  /**
   * Where the view regroups on a slider step: `true` in the browser, from per-sample arrays sent
   * once (~112 bytes per sample at k = 10); `false` in the kernel, which answers each page of
   * cards over the comm and sends no per-sample array. Default: the browser up to
   * {@link BROWSER_COMPUTE_LIMIT} samples (250,000), the kernel above (docs/explorer.md).
   */
  browserCompute?: boolean;
}

const SPEC: WidgetSpec = {
  modelModule: EXPLORER_MODULE,
  modelModuleVersion: EXPLORER_MODULE_VERSION,
  modelName: 'ExplorerModel',
  viewModule: EXPLORER_MODULE,
  viewModuleVersion: EXPLORER_MODULE_VERSION,
  viewName: 'ExplorerView',
};

/** Members drawn per card in the static picture (the card says "+N more"). */
const MAX_STATIC_MEMBERS = 6;

/** Members listed per card on a kernel-served page, and for an expanded card (the view draws 5 / 60). */
const PAGE_MEMBERS = 5;
const PAGE_MEMBERS_EXPANDED = 60;

/** Most thumbnails served per request (a page shows about 12 samples x 5 pictures). */
const MAX_THUMBS_PER_REQUEST = 256;

function checkTags(tags: unknown, known: Map<string, number>): Record<string, ExplorerTag> {
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw new NeardupError('tags must be an object {sampleId: "keep" | "remove"}');
  const out: Record<string, ExplorerTag> = {};
  for (const [id, v] of Object.entries(tags as Record<string, unknown>)) {
    if (v !== 'keep' && v !== 'remove' && v !== 'drop') throw new NeardupError(`tags["${id}"] must be "keep", "remove" or "drop", got ${JSON.stringify(v)}`, 'invalid_argument');
    if (!known.has(id)) throw new NeardupError(`tags: unknown sample id "${id}"`);
    out[id] = v;
  }
  return out;
}

/**
 * The duplicate explorer widget. Create it with {@link explore}; display it as a cell's last value.
 * `threshold` and `tags` follow the browser both ways; `toDataFrame()`, `removed()` and
 * `export(path)` reflect the current threshold and tags.
 */
export class Explorer extends Widget<Record<string, any>> {
  private readonly src: ExplorerSource;
  /** id → row, built on first need in kernel mode (see `idIndex`: 1–2 s at 1,000,000 ids). */
  private rowIndex: Map<string, number> | null;
  private readonly keepPolicy: KeepPolicy;
  private readonly method: GroupMethod;
  private readonly opts: GroupOptions;
  private readonly maxSim: Float32Array;
  private readonly thumbSize: number;
  private readonly rank: Int32Array;
  private readonly splitCodes: Int32Array;
  private readonly splitNames: string[];
  private readonly labelCodes: Int32Array;
  private readonly labelNames: string[];
  /** The grouping at the current threshold and tags; null until first needed in browser mode (see the constructor). */
  private grouped: { current: GroupResult; removedMask: Uint8Array; decision: Decision } | null = null;
  private get current(): GroupResult {
    return (this.grouped ?? this.recompute()).current;
  }
  private get removedMask(): Uint8Array {
    return (this.grouped ?? this.recompute()).removedMask;
  }
  private get decision(): Decision {
    return (this.grouped ?? this.recompute()).decision;
  }
  private readonly evidence: EvidenceTable;
  private evIndex: Map<number, number> | null = null;
  /** The fast regroup of a slider step (components + a built-in keep policy); null = groupAtThreshold. */
  private readonly regrouper: Regrouper | null;
  /** The regrouper's `flags` (cross-split, label conflict, leak per group) are valid for this explorer's codes. */
  private readonly flagsShared: boolean;

  constructor(src: ExplorerSource, options: ExploreOptions & { threshold: number }) {
    const n = src.ids.length;
    const local = options.browserCompute ?? n <= BROWSER_COMPUTE_LIMIT;
    // Kernel mode (large results): the id index waits for the first tag or export, off the first paint.
    const rowOf = checkSource(src, local || Object.keys(options.tags ?? {}).length > 0);
    const threshold = checkThreshold(options.threshold);
    const keep = options.keep ?? 'first';
    const method = options.method ?? 'components';
    const opts: GroupOptions = src.groupOptions
      ? { ...src.groupOptions(keep, method), keep, method }
      : { keep, method, splits: src.splits, labels: src.labels, valid: src.valid, exactGroups: src.exactGroups };
    const tags = rowOf ? checkTags(options.tags ?? {}, rowOf) : {};
    const rank = keepRank(keep, n, opts);
    // In a kernel, for a large result: the slider's faster regroup (src/dedup/linkage.ts) is built in
    // a worker thread on the other core, started before anything else here so that it is ready when
    // the user first moves the slider (started after the Regrouper and the first regroup, 0.5–0.9 s
    // later at 1,000,000 rows, it still ran during the first slider steps of the bench and slowed
    // them). Smaller results build it at their second step, in this thread.
    const early = method === 'components' && rank !== null && n >= LINKAGE_WORKER_ROWS && getCommManager().transport
      ? linkageOfListsInWorker(src.neighbors, opts.valid ?? null, opts.exactGroups ?? null)
      : null;
    early?.catch(() => undefined); // a failed worker leaves the union-find (adoptOrder below)
    const splits = encodeCategories(src.splits, n);
    const labels = encodeCategories(src.labels, n, src.labelNames ?? src.labels as any);
    const maxSim = sourceMaxSimilarity(src);
    const nb = src.neighbors;
    const ev = src.evidence ?? emptyEvidence();
    const common = {
      threshold,
      tags,
      counts: null,
      page_size: Math.max(1, Math.floor(options.pageSize ?? 12)),
      title: options.title ?? '',
      _n: n,
      // The histogram's bins (the browser draws them; 100 bins, same rule as widgets/src/compute.ts).
      _hist: histogramBins(maxSim, 100),
      _split_names: splits.names,
      _label_names: labels.names,
      _ev_settings: ev.settings,
    };
    // Kernel-served pages: the view gets the histogram's bins and asks for each page of cards.
    super(SPEC, !local ? { ...common, _mode: 'kernel', _k: 0, _local_counts: false } : {
      ...common,
      _k: nb.k,
      _max_similarity: maxSim,
      _nn_indices: nb.indices,
      _nn_scores: nb.scores,
      _split_codes: splits.codes,
      _label_codes: labels.codes,
      _exact_groups: src.exactGroups ?? new Int32Array(n).fill(-1),
      _valid: src.valid ?? new Uint8Array(n).fill(1),
      _keep_rank: rank ?? Int32Array.from({ length: n }, (_, i) => i),
      // The browser reproduces `components` with built-in keep policies exactly; otherwise it shows the kernel's counts.
      _local_counts: method === 'components' && rank !== null,
      // Ids as one NUL-joined UTF-8 buffer (a 70,000-entry JSON array would be larger and slower to parse).
      _ids: new TextEncoder().encode(src.ids.join('\0')),
      // Evidence beyond the cosine (verified or hash-matched pairs only: a sparse table).
      _ev_pairs: ev.pairs,
      _ev_inliers: ev.inliers,
      _ev_coverage: ev.coverage,
      _ev_correlation: ev.correlation,
      _ev_agreement: ev.agreement,
      _ev_containment: ev.containment,
      _ev_flipped: ev.flipped,
      _ev_hash_bits: ev.hashBits,
      _mode: 'browser',
    });
    this.evidence = ev;
    this.src = src;
    this.rowIndex = rowOf;
    this.keepPolicy = keep;
    this.method = method;
    this.opts = opts;
    this.maxSim = maxSim;
    this.rank = rank ?? Int32Array.from({ length: n }, (_, i) => i);
    this.splitCodes = splits.codes;
    this.splitNames = splits.names;
    this.labelCodes = labels.codes;
    this.labelNames = labels.names;
    this.thumbSize = Math.max(8, Math.floor(options.thumbnailSize ?? 96));
    // Same result as groupAtThreshold (test/dedup/regroup.test.ts); a keep function or the fiftyone walk use the reference.
    // The view's split / label codes serve the counts too when they are the same columns and strict.
    const same = (a: unknown, b: unknown, e: { codes: Int32Array; strict: boolean }) => (a === b && e.strict ? e.codes : undefined);
    const shared = { splits: same(opts.splits, src.splits, splits), labels: same(opts.labels, src.labels, labels) };
    this.regrouper = method === 'components' && rank !== null ? new Regrouper(nb, opts, rank, shared) : null;
    // The regrouper's per-group flags are the explorer's when it compares the same codes (or neither has the column).
    const sameCodes = (c: Int32Array | undefined, mine: unknown, theirs: unknown) => c !== undefined || (mine == null && theirs == null);
    this.flagsShared = sameCodes(shared.splits, src.splits, opts.splits) && sameCodes(shared.labels, src.labels, opts.labels);
    // Browser mode: the view groups by itself, so the kernel's own grouping (for its counts, the
    // text summary, exports) runs after the cell, off the first paint, or when first needed.
    if (local) setImmediate(() => this.grouped || this.closed || this.recompute());
    else this.recompute();
    if (this.regrouper && early) void this.regrouper.adoptOrder(early);
    this.on('change:threshold', () => this.recompute());
    this.on('change:tags', () => this.recompute());
    this.on('msg:custom', (content: any) => {
      this.viewSpoke();
      if (content && content.type === 'thumbnails') void this.sendThumbnails(content.rows, content.full === true);
      else if (content && content.type === 'page') this.sendPage(content);
      else if (content && content.type === 'group') this.sendGroup(content);
    });
  }

  /** id → row; checks the ids are unique when first built (@throws NeardupError naming a repeated id). */
  private get rowOf(): Map<string, number> {
    return (this.rowIndex ??= idIndex(this.src.ids));
  }

  /** Similarity threshold (cosine, inclusive); setting it regroups and updates the view. */
  get threshold(): number {
    return this.get('threshold');
  }
  set threshold(t: number) {
    this.set('threshold', checkThreshold(t));
  }

  /** Manual overrides by sample id (`'keep'` / `'remove'`); assign a new object to change them. */
  get tags(): Record<string, ExplorerTag> {
    return { ...this.get('tags') };
  }
  set tags(tags: Record<string, ExplorerTag>) {
    this.set('tags', checkTags(tags, this.rowOf));
  }

  /**
   * Tags one sample (`null` clears its tag). `'remove'` never takes the last kept copy of a group:
   * use `'drop'` to remove every copy on purpose.
   *
   * @throws NeardupError (`invalid_argument`) for an unknown id, or when `'remove'` would remove the
   *   last kept copy of its group.
   */
  tag(id: string, tag: ExplorerTag | null): void {
    const t = this.tags;
    if (tag === null) delete t[id];
    else t[id] = tag;
    if (tag === 'remove') {
      const r = this.rowOf.get(id);
      const g = r === undefined ? -1 : this.current.group_id[r];
      if (g >= 0) {
        const lo = this.current.offsets[g];
        const hi = this.current.offsets[g + 1];
        let othersKept = false;
        for (let m = lo; m < hi; m++) {
          const row = this.current.members[m];
          if (row !== r && this.removedMask[row] === 0 && !(this.decision.rescued[g] && t[this.src.ids[row]] === 'remove')) othersKept = true;
        }
        if (!othersKept) {
          throw new NeardupError(`tag("${id}", "remove"): it is the last kept copy of group ${g}; tag it "drop" to remove every copy, or keep another copy first`, 'invalid_argument');
        }
      }
    }
    this.tags = t;
  }

  /** Counts at the current threshold with tags applied. */
  get counts(): ExplorerCounts {
    if (!this.grouped) this.recompute();
    return this.get('counts');
  }

  /** The automatic grouping at the current threshold (before tags), in arrays of its own (a later threshold does not change them). */
  get groups(): GroupResult {
    const g = this.current;
    return { ...g, group_id: g.group_id.slice(), is_duplicate: g.is_duplicate.slice(), duplicate_of: g.duplicate_of.slice(), keep: g.keep.slice(), counts: { ...g.counts } };
  }

  /** Number of samples. */
  get size(): number {
    return this.src.ids.length;
  }

  /**
   * The samples with `group_id`, `is_duplicate` (automatic choice at the current threshold),
   * `duplicate_of`, `keep` (final choice: automatic, overridden by tags) and `tag` recomputed.
   */
  toDataFrame(): DataFrame {
    const base = this.baseFrame();
    const ids = base ? columnValues<unknown>(base, 'id').map(String) : [...this.src.ids];
    const rows = ids.map((id) => {
      const r = this.rowOf.get(id);
      if (r === undefined) throw new NeardupError(`explore: the DataFrame has id "${id}", which is not in the scan result`);
      return r;
    });
    const g = this.current;
    const tags = this.get('tags') as Record<string, ExplorerTag>;
    const computed: Record<string, unknown[]> = {
      group_id: rows.map((r) => g.group_id[r]),
      is_duplicate: rows.map((r) => g.is_duplicate[r] === 1),
      duplicate_of: rows.map((r) => (g.duplicate_of[r] >= 0 ? this.src.ids[g.duplicate_of[r]] : null)),
      keep: rows.map((r) => this.removedMask[r] === 0),
      tag: rows.map((r) => tags[this.src.ids[r]] ?? null),
    };
    const columns: Record<string, ArrayLike<unknown>> = {};
    const order: string[] = [];
    if (base) {
      for (const c of base.columns) {
        order.push(c);
        columns[c] = c in computed ? computed[c] : columnValues(base, c);
      }
    } else {
      order.push('id', 'max_similarity');
      columns.id = ids;
      columns.max_similarity = rows.map((r) => (Number.isFinite(this.maxSim[r]) ? this.maxSim[r] : null));
    }
    for (const c of Object.keys(computed)) {
      if (!(c in columns)) {
        order.push(c);
        columns[c] = computed[c];
      }
    }
    return dfFromColumns(columns, order);
  }

  /** The samples to drop at the current threshold and tags (rows of {@link toDataFrame} with `keep` false). */
  removed(): DataFrame {
    const df = this.toDataFrame();
    const keep = columnValues<boolean>(df, 'keep');
    const idx: number[] = [];
    keep.forEach((k, i) => {
      if (!k) idx.push(i);
    });
    return subset(df, idx);
  }

  /** Ids of the samples to drop. */
  removedIds(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.removedMask.length; i++) if (this.removedMask[i]) out.push(this.src.ids[i]);
    return out;
  }

  /** Writes {@link toDataFrame} to `path` atomically: CSV, or JSON when the name ends in `.json`. Returns the path. */
  async export(path: string): Promise<string> {
    if (typeof path !== 'string' || path === '') throw new NeardupError('export: path must be a non-empty string');
    const df = this.toDataFrame();
    if (path.toLowerCase().endsWith('.json')) await writeJson(df, path, { pretty: true });
    else await writeCsv(df, path);
    return path;
  }

  private baseFrame(): DataFrame | null {
    const s = this.src.samples;
    if (!s) return null;
    const df = typeof s === 'function' ? s() : s;
    if (!hasColumn(df, 'id')) throw new NeardupError(`explore: the DataFrame needs an "id" column (it has: ${df.columns.join(', ')})`);
    return df;
  }

  /** Regroups at the current threshold (k-NN lists only: O(N*k)), applies tags, syncs the counts. */
  private recompute(): NonNullable<Explorer['grouped']> {
    const t = this.get('threshold') as number;
    // step(): the Regrouper's reused per-row arrays, replaced at the next threshold like this state.
    const g = this.regrouper ? this.regrouper.step(t) : groupAtThreshold(this.src.neighbors, t, this.opts);
    const tags = new Map<number, ExplorerTag>();
    for (const [id, tag] of Object.entries(this.get('tags') as Record<string, ExplorerTag>)) {
      const r = this.rowOf.get(id);
      if (r !== undefined) tags.set(r, tag);
    }
    // Without tags, the fast regroup's own flags give the decision (the same as decide's).
    const f = this.regrouper && this.flagsShared ? this.regrouper.flags : null;
    const d = (f && tags.size === 0 && autoDecision(g.is_duplicate, g.keepers, g.counts.to_remove, f.leak, f.leaks))
      || decide(g.group_id, g.keepers.length, g.is_duplicate, tags, this.rank, this.splitCodes, g.members);
    const grouped = (this.grouped = { current: g, removedMask: d.removed, decision: d });
    this.staticCache = null;
    this.best = null;
    this.flags = f ? { cross: f.cross, label: f.label } : null;
    const counts: ExplorerCounts = {
      threshold: t,
      flagged_samples: g.counts.flagged,
      groups: g.counts.groups,
      samples_to_remove: d.samplesToRemove,
      samples_to_remove_auto: g.counts.to_remove,
      cross_split_groups: g.counts.cross_split,
      leaks_remaining: d.leaksRemaining,
      label_conflict_groups: g.counts.label_conflicts,
      groups_dropped: d.groupsDropped,
      last_copies_kept: d.lastCopiesKept,
      tagged_keep: d.taggedKeep,
      tagged_remove: d.taggedRemove,
    };
    this.set('counts', counts);
    return grouped;
  }

  private info(): SampleInfo {
    return { ids: this.src.ids, splits: this.src.splits, labels: this.src.labels, labelNames: this.src.labelNames };
  }

  /**
   * Everything an export needs, from ONE state: the explorer's current threshold and tags.
   * `samples` is {@link toDataFrame}; `removed` its rows with `keep` false; `crossSplit` one row
   * per cross-split pair above the threshold (`a, a_split, a_keep, b, b_split, b_keep, similarity,
   * group_id`); `labelConflicts` one row per member of a label-conflict group (`keep` is the final
   * choice); `summary` the counts (named for what they count) plus the row count of each table.
   */
  snapshot(): ExplorerSnapshot {
    const g = this.current;
    const info = this.info();
    const keepFinal = Uint8Array.from(this.removedMask, (r) => 1 - r);
    const finalGroups: GroupResult = { ...g, keep: keepFinal };
    const pairs = pairsAtThreshold(this.src.neighbors, this.threshold, this.src.valid);
    const cross = crossSplitReport(finalGroups, pairs, info);
    const crossRows = columnValues<string>(cross.df, 'a').map(String);
    const crossB = columnValues<string>(cross.df, 'b').map(String);
    const keepOf = (id: string) => keepFinal[this.rowOf.get(id)!] === 1;
    const crossSplit = crossRows.length
      ? dfFromColumns(
          {
            a: crossRows,
            a_split: columnValues(cross.df, 'a_split'),
            a_keep: crossRows.map(keepOf),
            b: crossB,
            b_split: columnValues(cross.df, 'b_split'),
            b_keep: crossB.map(keepOf),
            similarity: columnValues(cross.df, 'similarity'),
            group_id: columnValues(cross.df, 'group_id'),
          },
          ['a', 'a_split', 'a_keep', 'b', 'b_split', 'b_keep', 'similarity', 'group_id'],
        )
      : dfFromColumns({ a: [], a_split: [], a_keep: [], b: [], b_split: [], b_keep: [], similarity: [], group_id: [] }, ['a', 'a_split', 'a_keep', 'b', 'b_split', 'b_keep', 'similarity', 'group_id']);
    const conflicts = labelConflictReport(finalGroups, info);
    const samples = this.toDataFrame();
    const removed = this.removed();
    const c = this.counts;
    const tags = this.tags;
    return {
      threshold: this.threshold,
      tags,
      counts: c,
      samples,
      removed,
      crossSplit,
      labelConflicts: conflicts.df,
      summary: {
        samples: this.size,
        keep: typeof this.keepPolicy === 'function' ? 'custom' : this.keepPolicy,
        method: this.method,
        ...c,
        cross_split_pairs: crossRows.length,
        cross_split_samples_by_split: cross.counts.bySplit,
        label_conflict_samples: conflicts.counts.samples,
        tags: Object.keys(tags).length,
      },
    };
  }

  /**
   * Writes one consistent export of the current threshold and tags into `dir` (atomically, file by
   * file): `<split>_dedup.csv` per split (`dedup.csv` for samples without a split), `removed.csv`,
   * `cross_split.csv` (pairs), `label_conflicts.csv` (samples) and `<prefix>summary.json`, whose
   * `files` field gives each file's row count (`extra` fields go first, e.g. the dataset name).
   * Returns the summary written.
   *
   * @throws NeardupError (`invalid_argument`) for an empty `dir`; I/O errors from the writes.
   */
  async exportAll(dir: string, opts: { summaryName?: string; extra?: Record<string, unknown> } = {}): Promise<ExplorerSnapshot['summary'] & { files: Record<string, number> }> {
    if (typeof dir !== 'string' || dir === '') throw new NeardupError('exportAll: dir must be a non-empty string', 'invalid_argument');
    await mkdir(dir, { recursive: true });
    const snap = this.snapshot();
    const files: Record<string, number> = {};
    const keep = columnValues<boolean>(snap.samples, 'keep');
    const split = hasColumn(snap.samples, 'split') ? columnValues<unknown>(snap.samples, 'split') : keep.map(() => null);
    const splitNames = [...new Set(split.map((s) => (s == null || s === '' ? '' : String(s))))];
    for (const s of splitNames) {
      const idx: number[] = [];
      keep.forEach((k, i) => {
        if (k && (split[i] == null || split[i] === '' ? '' : String(split[i])) === s) idx.push(i);
      });
      const name = s ? `${s}_dedup.csv` : 'dedup.csv';
      await writeCsv(subset(snap.samples, idx), join(dir, name));
      files[name] = idx.length;
    }
    await writeCsv(snap.removed, join(dir, 'removed.csv'));
    files['removed.csv'] = snap.removed.shape[0];
    await writeCsv(snap.crossSplit, join(dir, 'cross_split.csv'));
    files['cross_split.csv'] = snap.crossSplit.shape[0];
    await writeCsv(snap.labelConflicts, join(dir, 'label_conflicts.csv'));
    files['label_conflicts.csv'] = snap.labelConflicts.shape[0];
    const summary = { ...(opts.extra ?? {}), ...snap.summary, files };
    await writeJson(summary as any, join(dir, opts.summaryName ?? 'summary.json'), { pretty: true });
    return summary;
  }

  private staticCache: Promise<string> | null = null;

  /**
   * The static picture of the explorer as HTML (histogram, counts, the first `groups` group cards
   * with their thumbnails as PNG data URIs): what exported notebooks show. Offline, no script.
   */
  async staticHtml(opts: { groups?: number; thumbSize?: number; note?: string } = {}): Promise<string> {
    const maxGroups = opts.groups ?? 12;
    const cards = this.cards(maxGroups, MAX_STATIC_MEMBERS);
    const thumbs = new Map<number, string>();
    const ds = this.src.dataset;
    if (ds) {
      // Encoded 4 at a time (sharp works in its thread pool): the display waits for this picture.
      const rows = [...new Set(cards.flatMap((c) => c.members.slice(0, MAX_STATIC_MEMBERS).map((m) => m.row)))];
      let next = 0;
      const worker = async () => {
        while (next < rows.length) {
          const row = rows[next++];
          try {
            const png = await thumbnailPng(ds, row, Math.min(this.thumbSize, 96));
            thumbs.set(row, `data:image/png;base64,${Buffer.from(png).toString('base64')}`);
          } catch {
            // a grey square stands in
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, rows.length) }, worker));
    }
    return staticExplorerHtml({
      title: this.get('title') || 'neardup explorer',
      samples: this.size,
      threshold: this.threshold,
      counts: this.counts,
      histogram: simHistogram(this.maxSim, { bins: 60 }),
      groups: cards,
      thumbs,
      totalGroups: this.current.keepers.length,
      thumbSize: opts.thumbSize ?? 56,
      note: opts.note ?? 'Static picture saved with the notebook. Open the notebook in JupyterLab or Notebook 7 with the neardup kernel (npx neardup install) for the live explorer.',
    });
  }

  /** Group cards in display order (highest similarity first), kept copy first in each. */
  cards(max = 12, maxMembers?: number): StaticGroup[] {
    return this.cardsOf(Array.from(visibleGroups(this.pageState(), 'flagged', '').subarray(0, max)), maxMembers);
  }

  /** What the paging helpers (pages.ts) read: the grouping at the current threshold with tags. */
  private pageState(): PageState {
    this.best ??= groupBest(this.current, this.maxSim);
    this.flags ??= this.groupFlags();
    return {
      groups: this.current,
      removed: this.removedMask,
      decision: this.decision,
      best: this.best,
      cross: this.flags.cross,
      label: this.flags.label,
      exactGroups: this.src.exactGroups,
      ids: this.src.ids,
      labelCodes: this.labelCodes,
      labelNames: this.labelNames,
    };
  }

  private best: Float32Array | null = null;
  private flags: { cross: Uint8Array; label: Uint8Array } | null = null;

  /** Cards of the given groups, kept copy first, words for the first `maxMembers` members of each. */
  private cardsOf(order: number[], maxMembers?: number): StaticGroup[] {
    const g = this.current;
    const tags = new Map<number, string>();
    for (const [id, tag] of Object.entries(this.get('tags') as Record<string, string>)) {
      const r = this.rowOf.get(id);
      if (r !== undefined) tags.set(r, tag);
    }
    const keptOf = (gi: number) => {
      // The final kept copy: the automatic one unless tags removed it.
      const auto = g.keepers[gi];
      if (!this.removedMask[auto]) return auto;
      for (let m = g.offsets[gi]; m < g.offsets[gi + 1]; m++) if (!this.removedMask[g.members[m]]) return g.members[m];
      return auto;
    };
    const crossFlags = this.flags ?? this.groupFlags();
    return groupCards({
      maxMembers,
      groups: order,
      members: (gi) => Array.from(g.members.subarray(g.offsets[gi], g.offsets[gi + 1])),
      keeper: keptOf,
      removed: this.removedMask,
      tags,
      nb: this.src.neighbors,
      threshold: this.threshold,
      groupOf: g.group_id,
      exactGroups: this.src.exactGroups,
      ids: this.src.ids,
      verdict: (row, other, score, exact) => {
        this.evIndex ??= evidenceIndex(this.evidence, this.size);
        return verdictText(pairVerdict(this.evidence, this.evIndex, this.size, row, other, score, exact), this.threshold, this.evidence.settings);
      },
      labels: (r) => this.labelNames[this.labelCodes[r]] ?? null,
      splits: (r) => this.splitNames[this.splitCodes[r]] ?? null,
      flags: (gi) => ({ crossSplit: crossFlags.cross[gi] === 1, labelConflict: crossFlags.label[gi] === 1, leak: this.decision.leak[gi] === 1 }),
    });
  }

  private groupFlags(): { cross: Uint8Array; label: Uint8Array } {
    const g = this.current;
    const nG = g.keepers.length;
    const cross = new Uint8Array(nG);
    const label = new Uint8Array(nG);
    for (let gi = 0; gi < nG; gi++) {
      let s0 = -1;
      let l0 = -1;
      for (let m = g.offsets[gi]; m < g.offsets[gi + 1]; m++) {
        const r = g.members[m];
        const s = this.splitCodes[r];
        if (s >= 0) {
          if (s0 < 0) s0 = s;
          else if (s !== s0) cross[gi] = 1;
        }
        const l = this.labelCodes[r];
        if (l >= 0) {
          if (l0 < 0) l0 = l;
          else if (l !== l0) label[gi] = 1;
        }
      }
    }
    return { cross, label };
  }

  /**
   * One page of group cards for a view in kernel mode: `{type: 'page', seq, filter, search, page,
   * page_size, expanded: group numbers shown with more members}` → the cards (kept copy first,
   * each member's id, label, split, similarity, evidence and state), the number of groups listed,
   * the counts and the threshold they belong to. The view drops replies for an older threshold.
   */
  private sendPage(req: any): void {
    this.send(this.page(req));
  }

  /** The reply to a page request (see {@link sendPage}). */
  private page(req: any): Record<string, any> {
    const s = this.pageState();
    const filter = pageFilter(req.filter);
    const list = visibleGroups(s, filter, typeof req.search === 'string' ? req.search : '');
    const size = Math.max(1, Math.min(200, Math.floor(Number(req.page_size)) || 12));
    const pages = Math.max(1, Math.ceil(list.length / size));
    const page = Math.max(0, Math.min(pages - 1, Math.floor(Number(req.page)) || 0));
    const order = Array.from(list.subarray(page * size, page * size + size));
    const expanded = new Set<number>(Array.isArray(req.expanded) ? req.expanded : []);
    const cards = order.map((g) => this.cardsOf([g], expanded.has(g) ? PAGE_MEMBERS_EXPANDED : PAGE_MEMBERS)[0]);
    const out = cards.map((c) => this.withState(s, c));
    return { type: 'page', seq: req.seq ?? null, threshold: this.threshold, counts: this.counts, filter, page, page_size: size, total: list.length, groups_all: this.current.keepers.length, cards: out };
  }

  /**
   * Kernel mode: the first page goes into the model state just before the display message, so
   * the view draws it at once instead of asking (a comm round trip, ~0.3 s of the first paint at
   * 1,000,000 samples under load). Built at display time, so it follows any change made before.
   */
  private firstPage(): void {
    if (this.get('_mode') !== 'kernel') return;
    this.set('_first_page', this.page({ filter: 'flagged', search: '', page: 0, page_size: this.get('page_size'), expanded: [] }));
  }

  /** A card plus what the view needs to tag in kernel mode: kept copies, the copy that could be kept instead, flags. */
  private withState(s: PageState, c: StaticGroup) {
    const tags = this.get('tags') as Record<string, string>;
    const tagOf = (r: number) => tags[this.src.ids[r]];
    const g = c.group;
    const { kept, swap } = keptInfo(s, g, tagOf);
    let exact = false;
    if (this.src.exactGroups) for (let m = s.groups.offsets[g]; m < s.groups.offsets[g + 1] && !exact; m++) exact = this.src.exactGroups[s.groups.members[m]] >= 0;
    return {
      ...c,
      exact,
      dropped: this.decision.dropped[g] === 1,
      rescued: this.decision.rescued[g] === 1,
      kept,
      swap: swap >= 0 ? { row: swap, id: this.src.ids[swap] } : null,
      members: c.members.map((m, j) => ({
        ...m,
        // The live view's words for a kept copy that tags would have removed (compute.ts groupMembers).
        evidence: j === 0 && this.decision.rescued[g] === 1 ? 'kept: last copy of the group' : m.evidence,
        exact: !!this.src.exactGroups && this.src.exactGroups[m.row] >= 0,
      })),
    };
  }

  /**
   * Every member (up to 5,000) of the group of one sample, for the closer look in kernel mode:
   * `{type: 'group', row}` → its card, or `card: null` when the sample is in no group.
   */
  private sendGroup(req: any): void {
    const row = Math.floor(Number(req.row));
    const g = row >= 0 && row < this.size ? this.current.group_id[row] : -1;
    if (!(g >= 0 && g < this.current.keepers.length)) {
      this.send({ type: 'group', row, threshold: this.threshold, group: g, card: null });
      return;
    }
    const card = this.withState(this.pageState(), this.cardsOf([g], 5000)[0]);
    this.send({ type: 'group', row, threshold: this.threshold, group: g, card: card as any });
  }

  /** Thumbnails for the rows the browser shows, as one custom message with one PNG buffer per row. */
  private async sendThumbnails(rowsIn: unknown, full = false): Promise<void> {
    const n = this.size;
    const rows = (Array.isArray(rowsIn) ? rowsIn : [])
      .filter((r): r is number => Number.isInteger(r) && r >= 0 && r < n)
      .slice(0, MAX_THUMBS_PER_REQUEST);
    const errors: Record<string, string> = {};
    const dims: Record<string, [number, number]> = {};
    const buffers: Uint8Array[] = new Array(rows.length);
    const ds = this.src.dataset;
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const i = next++;
        const row = rows[i];
        if (!ds) {
          errors[row] = 'no pixels';
          buffers[i] = new Uint8Array(0);
          continue;
        }
        try {
          // The closer look gets the image at its own resolution (up to 1024 px a side).
          buffers[i] = await thumbnailPng(ds, row, full ? 1024 : this.thumbSize);
          const dim = this.dims(row);
          if (dim) dims[row] = dim;
        } catch (err) {
          errors[row] = (err as Error).message || String(err);
          buffers[i] = new Uint8Array(0);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, rows.length) }, worker));
    if (!this.closed) this.send({ type: 'thumbnails', rows, mime: 'image/png', errors, dims, full }, buffers);
  }

  /** Width and height of a sample's original image, when known. */
  private dims(row: number): [number, number] | null {
    const ds = this.src.dataset;
    if (!ds) return null;
    if (ds.pixels.kind === 'array') return [ds.pixels.width, ds.pixels.height];
    this.sizeCols ??= hasColumn(ds.df, 'width') && hasColumn(ds.df, 'height') ? [columnValues<number>(ds.df, 'width'), columnValues<number>(ds.df, 'height')] : [[], []];
    const w = Number(this.sizeCols[0][row]);
    const h = Number(this.sizeCols[1][row]);
    return w > 0 && h > 0 ? [w, h] : null;
  }

  private sizeCols?: [number[], number[]];

  private summaryInput() {
    // The 10 most similar samples, by one linear pass (a full sort of 70,000 values is not needed).
    const order: number[] = [];
    const ms = this.maxSim;
    for (let i = 0; i < ms.length; i++) {
      if (!Number.isFinite(ms[i])) continue;
      if (order.length === 10 && ms[i] <= ms[order[9]]) continue;
      let p = Math.min(order.length, 9);
      order[p] = i;
      while (p > 0 && ms[order[p - 1]] < ms[i]) {
        order[p] = order[p - 1];
        order[--p] = i;
      }
    }
    const nb = this.src.neighbors;
    const top: Array<[string, string, number]> = order
      .filter((i) => this.maxSim[i] >= this.threshold && nb.indices[i * nb.k] >= 0)
      .map((i) => [this.src.ids[i], this.src.ids[nb.indices[i * nb.k]], this.maxSim[i]]);
    return { n: this.size, threshold: this.threshold, counts: this.counts, tags: Object.keys(this.get('tags')).length, top };
  }

  /** One-line summary (what frontends without the extension and `console.log` show). */
  toString(): string {
    return summaryText(this.summaryInput()).split('\n')[0];
  }

  /** Widget view plus a readable `text/plain` summary (the kernel then adds the static picture as a second output). */
  _repr_mimebundle_(): { data: JSONObject; metadata: JSONObject } {
    this.firstPage();
    // The widget view without the base class's text (its toString would group now).
    const view = { model_id: this.model_id, version_major: 2, version_minor: 0 };
    // Browser mode, during the cell: the view counts by itself, and the kernel's grouping waits
    // until after the cell (off the first paint); the counts' text comes with the static picture.
    const text = this.grouped
      ? summaryText(this.summaryInput())
      : `Explorer(${formatCount(this.size)} samples, threshold=${this.threshold}; the counts follow)`;
    return { data: { [WIDGET_VIEW_MIMETYPE]: view, 'text/plain': text }, metadata: {} };
  }

  /**
   * The static picture ({@link staticHtml}) the kernel shows after the live view, for nbconvert and
   * frontends without the extension (`STATIC_HTML_ASYNC` in widgets/base). Cached until the state changes.
   */
  _repr_static_html_async_(): Promise<string> {
    return (this.staticCache ??= this.afterFirstPaint().then(() => this.staticHtml()));
  }

  private viewSpoke: () => void = () => {};
  private readonly viewHeard = new Promise<void>((resolve) => (this.viewSpoke = resolve));

  /**
   * In a kernel: resolves when a view first asks for something (its thumbnails, after its first
   * paint) or after `maxMs` (no view: nbconvert, a frontend without the extension), so that the
   * static picture's encoding does not compete with the live view's first paint for the CPU.
   */
  private afterFirstPaint(maxMs = 1000): Promise<void> {
    if (!getCommManager().transport) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.viewHeard, new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]).finally(() => clearTimeout(timer));
  }
}

/** What {@link Explorer.snapshot} returns: one consistent state of the explorer. */
export interface ExplorerSnapshot {
  threshold: number;
  tags: Record<string, ExplorerTag>;
  counts: ExplorerCounts;
  samples: DataFrame;
  removed: DataFrame;
  crossSplit: DataFrame;
  labelConflicts: DataFrame;
  summary: ExplorerCounts & {
    samples: number;
    keep: string;
    method: GroupMethod;
    cross_split_pairs: number;
    cross_split_samples_by_split: Record<string, number>;
    label_conflict_samples: number;
    tags: number;
  };
}

function subset(df: DataFrame, idx: number[]): DataFrame {
  const cols: Record<string, unknown[]> = {};
  for (const c of df.columns) {
    const v = columnValues(df, c);
    cols[c] = idx.map((i) => v[i]);
  }
  return dfFromColumns(cols, [...df.columns]);
}
