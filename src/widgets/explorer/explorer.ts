/**
 * The duplicate explorer, kernel side: a {@link Widget} whose `threshold` and `tags` are synced
 * with the browser view (widgets/ in this repo). The compact per-sample arrays go to the browser
 * once as binary buffers; every threshold or tag change is regrouped here with
 * `groupAtThreshold` (no new similarity search) and the counts are synced back.
 */
import type { DataFrame } from 'danfojs-node';
import { Widget, type WidgetSpec } from '../base';
import type { JSONObject } from '../../kernel/comm';
import { groupAtThreshold, type GroupMethod, type GroupOptions, type GroupResult, type KeepPolicy } from '../../dedup/groups';
import { NeardupError } from '../../errors';
import { checkThreshold } from '../../dedup/defaults';
import { columnValues, dfFromColumns, hasColumn, writeCsv, writeJson } from '../../frame';
import { thumbnailPng } from '../../images/thumbnail';
import { checkSource, encodeCategories, keepRank, sourceMaxSimilarity, type ExplorerSource } from './source';
import { summaryHtml, summaryText } from './summary';
import { EXPLORER_MODULE, EXPLORER_MODULE_VERSION } from './version';

/** A manual override of the automatic choice. */
export type ExplorerTag = 'keep' | 'remove';

/** Counts at the current threshold with tags applied (what the widget shows). */
export interface ExplorerCounts {
  threshold: number;
  flagged: number;
  groups: number;
  to_remove: number;
  cross_split: number;
  label_conflicts: number;
  /** Manual tags in force. */
  tagged_keep: number;
  tagged_remove: number;
}

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
}

const SPEC: WidgetSpec = {
  modelModule: EXPLORER_MODULE,
  modelModuleVersion: EXPLORER_MODULE_VERSION,
  modelName: 'ExplorerModel',
  viewModule: EXPLORER_MODULE,
  viewModuleVersion: EXPLORER_MODULE_VERSION,
  viewName: 'ExplorerView',
};

/** Most thumbnails served per request (a page shows about 12 samples x 5 pictures). */
const MAX_THUMBS_PER_REQUEST = 256;

function checkTags(tags: unknown, known: Map<string, number>): Record<string, ExplorerTag> {
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw new NeardupError('tags must be an object {sampleId: "keep" | "remove"}');
  const out: Record<string, ExplorerTag> = {};
  for (const [id, v] of Object.entries(tags as Record<string, unknown>)) {
    if (v !== 'keep' && v !== 'remove') throw new NeardupError(`tags["${id}"] must be "keep" or "remove", got ${JSON.stringify(v)}`);
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
  private readonly rowOf: Map<string, number>;
  private readonly keepPolicy: KeepPolicy;
  private readonly method: GroupMethod;
  private readonly opts: GroupOptions;
  private readonly maxSim: Float32Array;
  private readonly thumbSize: number;
  private current!: GroupResult;
  private removedMask!: Uint8Array;

  constructor(src: ExplorerSource, options: ExploreOptions & { threshold: number }) {
    checkSource(src);
    const n = src.ids.length;
    const threshold = checkThreshold(options.threshold);
    const keep = options.keep ?? 'first';
    const method = options.method ?? 'components';
    const opts: GroupOptions = src.groupOptions
      ? { ...src.groupOptions(keep, method), keep, method }
      : { keep, method, splits: src.splits, labels: src.labels, valid: src.valid, exactGroups: src.exactGroups };
    const rowOf = new Map<string, number>();
    src.ids.forEach((id, i) => rowOf.set(id, i));
    const tags = checkTags(options.tags ?? {}, rowOf);
    const rank = keepRank(keep, n, opts);
    const splits = encodeCategories(src.splits, n);
    const labels = encodeCategories(src.labels, n, src.labelNames ?? src.labels as any);
    const maxSim = sourceMaxSimilarity(src);
    const nb = src.neighbors;
    super(SPEC, {
      threshold,
      tags,
      counts: null,
      page_size: Math.max(1, Math.floor(options.pageSize ?? 12)),
      title: options.title ?? '',
      _n: n,
      _k: nb.k,
      _max_similarity: maxSim,
      _nn_indices: nb.indices,
      _nn_scores: nb.scores,
      _split_codes: splits.codes,
      _split_names: splits.names,
      _label_codes: labels.codes,
      _label_names: labels.names,
      _exact_groups: src.exactGroups ?? new Int32Array(n).fill(-1),
      _valid: src.valid ?? new Uint8Array(n).fill(1),
      _keep_rank: rank ?? Int32Array.from({ length: n }, (_, i) => i),
      // The browser reproduces `components` with built-in keep policies exactly; otherwise it shows the kernel's counts.
      _local_counts: method === 'components' && rank !== null,
      // Ids as one NUL-joined UTF-8 buffer (a 70,000-entry JSON array would be larger and slower to parse).
      _ids: new TextEncoder().encode(src.ids.join('\0')),
    });
    this.src = src;
    this.rowOf = rowOf;
    this.keepPolicy = keep;
    this.method = method;
    this.opts = opts;
    this.maxSim = maxSim;
    this.thumbSize = Math.max(8, Math.floor(options.thumbnailSize ?? 96));
    this.recompute();
    this.on('change:threshold', () => this.recompute());
    this.on('change:tags', () => this.recompute());
    this.on('msg:custom', (content: any) => {
      if (content && content.type === 'thumbnails') void this.sendThumbnails(content.rows);
    });
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

  /** Tags one sample (`null` clears its tag). */
  tag(id: string, tag: ExplorerTag | null): void {
    const t = this.tags;
    if (tag === null) delete t[id];
    else t[id] = tag;
    this.tags = t;
  }

  /** Counts at the current threshold with tags applied. */
  get counts(): ExplorerCounts {
    return this.get('counts');
  }

  /** The automatic grouping at the current threshold (before tags). */
  get groups(): GroupResult {
    return this.current;
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
    const cols: Record<string, unknown[]> = {};
    const idx: number[] = [];
    keep.forEach((k, i) => {
      if (!k) idx.push(i);
    });
    for (const c of df.columns) {
      const v = columnValues(df, c);
      cols[c] = idx.map((i) => v[i]);
    }
    return dfFromColumns(cols, [...df.columns]);
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
  private recompute(): void {
    const t = this.get('threshold') as number;
    const g = groupAtThreshold(this.src.neighbors, t, this.opts);
    const removed = Uint8Array.from(g.is_duplicate);
    const tags = this.get('tags') as Record<string, ExplorerTag>;
    let taggedKeep = 0;
    let taggedRemove = 0;
    for (const [id, tag] of Object.entries(tags)) {
      const r = this.rowOf.get(id);
      if (r === undefined) continue;
      removed[r] = tag === 'remove' ? 1 : 0;
      if (tag === 'remove') taggedRemove++;
      else taggedKeep++;
    }
    let toRemove = 0;
    for (let i = 0; i < removed.length; i++) toRemove += removed[i];
    this.current = g;
    this.removedMask = removed;
    this.set('counts', {
      threshold: t,
      flagged: g.counts.flagged,
      groups: g.counts.groups,
      to_remove: toRemove,
      cross_split: g.counts.cross_split,
      label_conflicts: g.counts.label_conflicts,
      tagged_keep: taggedKeep,
      tagged_remove: taggedRemove,
    });
  }

  /** Thumbnails for the rows the browser shows, as one custom message with one PNG buffer per row. */
  private async sendThumbnails(rowsIn: unknown): Promise<void> {
    const n = this.size;
    const rows = (Array.isArray(rowsIn) ? rowsIn : [])
      .filter((r): r is number => Number.isInteger(r) && r >= 0 && r < n)
      .slice(0, MAX_THUMBS_PER_REQUEST);
    const errors: Record<string, string> = {};
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
          buffers[i] = await thumbnailPng(ds, row, this.thumbSize);
        } catch (err) {
          errors[row] = (err as Error).message || String(err);
          buffers[i] = new Uint8Array(0);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, rows.length) }, worker));
    if (!this.closed) this.send({ type: 'thumbnails', rows, mime: 'image/png', errors }, buffers);
  }

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

  /** Widget view plus readable `text/plain` and `text/html` summaries for frontends without the extension. */
  _repr_mimebundle_(): { data: JSONObject; metadata: JSONObject } {
    const b = super._repr_mimebundle_();
    const s = this.summaryInput();
    return { data: { ...b.data, 'text/plain': summaryText(s), 'text/html': summaryHtml(s) }, metadata: b.metadata };
  }
}
