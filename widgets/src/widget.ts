/**
 * The explorer's ipywidgets model and view. The model receives the compact arrays once (binary
 * buffers); the view recomputes groups and counts locally on every threshold change, and asks
 * the kernel for thumbnails of the visible page only (custom messages with binary replies).
 */
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';
import {
  assign,
  Assignment,
  Counts,
  ExplorerData,
  Filter,
  FILTERS,
  histogram,
  rowIndex,
  shownNeighbors,
  sortedRows,
  Tag,
  Tags,
  visibleRows,
} from './compute';
import { Histogram } from './histogram';
import { el, text } from './dom';
import { MODULE_NAME, MODULE_VERSION } from './version';

// Buffers arrive as DataViews that may not be aligned for wider element types: copy them.
function bytes(v: DataView | null | undefined): ArrayBuffer {
  if (!v) return new ArrayBuffer(0);
  return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
}
const asF32 = { deserialize: (v: DataView | null) => new Float32Array(bytes(v)) };
const asI32 = { deserialize: (v: DataView | null) => new Int32Array(bytes(v)) };
const asU8 = { deserialize: (v: DataView | null) => new Uint8Array(bytes(v)) };
// Ids travel as one UTF-8 buffer joined with NUL: far smaller and faster than a JSON array.
const asIds = {
  deserialize: (v: DataView | null) => (v && v.byteLength ? new TextDecoder().decode(bytes(v)).split('\0') : []),
};

export class ExplorerModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: 'ExplorerModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: 'ExplorerView',
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      threshold: 0.9,
      tags: {},
      counts: null,
      page_size: 12,
      title: '',
      _n: 0,
      _k: 0,
      _max_similarity: new Float32Array(0),
      _nn_indices: new Int32Array(0),
      _nn_scores: new Float32Array(0),
      _split_codes: new Int32Array(0),
      _split_names: [],
      _label_codes: new Int32Array(0),
      _label_names: [],
      _exact_groups: new Int32Array(0),
      _valid: new Uint8Array(0),
      _keep_rank: new Int32Array(0),
      _local_counts: true,
      _ids: [],
    };
  }

  static serializers: ISerializers = {
    ...DOMWidgetModel.serializers,
    _max_similarity: asF32,
    _nn_indices: asI32,
    _nn_scores: asF32,
    _split_codes: asI32,
    _label_codes: asI32,
    _exact_groups: asI32,
    _valid: asU8,
    _keep_rank: asI32,
    _ids: asIds,
  };

  static model_name = 'ExplorerModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'ExplorerView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

const COUNT_LABELS: [keyof Counts, string][] = [
  ['flagged', 'flagged'],
  ['groups', 'groups'],
  ['to_remove', 'to remove'],
  ['cross_split', 'cross-split groups'],
  ['label_conflicts', 'label conflicts'],
];

type Thumb = { url: string } | { error: string };

export class ExplorerView extends DOMWidgetView {
  private data!: ExplorerData;
  private order!: Int32Array;
  private a!: Assignment;
  private rows: Int32Array = new Int32Array(0);
  private threshold = 0.9;
  private filter: Filter = 'all';
  private search = '';
  private page = 0;
  private selected = 0;
  private thumbs = new Map<number, Thumb>();
  private scheduled = false;
  private pending = new Set<number>();
  private hist?: Histogram;
  private ui!: {
    counts: Record<string, HTMLElement>;
    countsBox: HTMLElement;
    slider: HTMLInputElement;
    number: HTMLInputElement;
    plot: HTMLElement;
    grid: HTMLElement;
    pageLabel: HTMLElement;
    prev: HTMLButtonElement;
    next: HTMLButtonElement;
    filterButtons: Map<Filter, HTMLButtonElement>;
  };

  render() {
    this.el.classList.add('nd-explorer');
    this.data = this.readData();
    this.order = sortedRows(this.data);
    this.threshold = this.model.get('threshold');
    this.buildDom();
    this.recompute();
    this.listenTo(this.model, 'change:threshold', () => {
      const t = this.model.get('threshold');
      if (t !== this.threshold) this.setThreshold(t, false);
    });
    this.listenTo(this.model, 'change:tags', () => this.recompute());
    this.listenTo(this.model, 'change:counts', () => this.showCounts());
    this.listenTo(this.model, 'msg:custom', (content: any, buffers: (DataView | ArrayBuffer)[]) =>
      this.onCustom(content, buffers),
    );
    // The histogram (plotly, a large script) loads after the counts and the grid are on screen.
    const h = histogram(this.data.maxSimilarity, 100);
    Histogram.create(this.ui.plot, h, this.threshold, (t, final) => this.setThreshold(t, true, final)).then(
      (hist) => {
        this.hist = hist;
        hist.setThreshold(this.threshold);
      },
      (err) => text(this.ui.plot, `histogram unavailable: ${err}`),
    );
  }

  remove() {
    for (const t of this.thumbs.values()) if ('url' in t) URL.revokeObjectURL(t.url);
    this.hist?.dispose();
    return super.remove();
  }

  private readData(): ExplorerData {
    const m = this.model;
    return {
      n: m.get('_n'),
      k: m.get('_k'),
      maxSimilarity: m.get('_max_similarity'),
      indices: m.get('_nn_indices'),
      scores: m.get('_nn_scores'),
      splitCodes: m.get('_split_codes'),
      splitNames: m.get('_split_names'),
      labelCodes: m.get('_label_codes'),
      labelNames: m.get('_label_names'),
      exactGroups: m.get('_exact_groups'),
      valid: m.get('_valid'),
      keepRank: m.get('_keep_rank'),
      ids: m.get('_ids'),
    };
  }

  private buildDom() {
    const title = el('div', 'nd-title');
    text(title, this.model.get('title') || `Duplicate explorer: ${this.data.n.toLocaleString()} samples`);

    const countsBox = el('div', 'nd-counts');
    const counts: Record<string, HTMLElement> = {};
    for (const [key, label] of COUNT_LABELS) {
      const box = el('span', 'nd-count');
      box.dataset.count = key;
      const value = el('span', 'nd-count-value');
      const name = el('span', 'nd-count-label');
      text(name, ` ${label}`);
      box.append(value, name);
      countsBox.append(box);
      counts[key] = value;
    }

    const plot = el('div', 'nd-histogram');

    const controls = el('div', 'nd-controls');
    const sliderLabel = el('label', 'nd-slider-label');
    text(sliderLabel, 'threshold ');
    const slider = el('input', 'nd-slider') as HTMLInputElement;
    slider.type = 'range';
    const lo = Math.max(0, Math.floor(histogram(this.data.maxSimilarity, 1).x0 * 100) / 100);
    slider.min = String(Math.min(lo, 0.5));
    slider.max = '1';
    slider.step = '0.001';
    slider.value = String(this.threshold);
    slider.addEventListener('input', () => this.setThreshold(Number(slider.value), true));
    const number = el('input', 'nd-threshold') as HTMLInputElement;
    number.type = 'number';
    number.min = '0';
    number.max = '1';
    number.step = '0.001';
    number.value = this.threshold.toFixed(3);
    const typed = () => {
      const t = Number(number.value);
      if (number.value !== '' && Number.isFinite(t) && Math.abs(t - this.threshold) > 1e-9) this.setThreshold(Math.min(1, Math.max(0, t)), true);
    };
    number.addEventListener('change', typed);
    number.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') typed();
      e.stopPropagation(); // typing here must not trigger notebook shortcuts
    });
    sliderLabel.append(slider, number);

    const filters = el('span', 'nd-filters');
    const filterButtons = new Map<Filter, HTMLButtonElement>();
    for (const f of FILTERS) {
      const b = el('button', 'nd-filter') as HTMLButtonElement;
      b.dataset.filter = f.value;
      text(b, f.label);
      b.addEventListener('click', () => {
        this.filter = f.value;
        this.page = 0;
        this.selected = 0;
        this.refreshGrid();
      });
      filters.append(b);
      filterButtons.set(f.value, b);
    }
    const search = el('input', 'nd-search') as HTMLInputElement;
    search.type = 'search';
    search.placeholder = 'search id or label';
    search.addEventListener('keydown', (e) => e.stopPropagation());
    search.addEventListener('input', () => {
      this.search = search.value;
      this.page = 0;
      this.selected = 0;
      this.refreshGrid();
    });
    controls.append(sliderLabel, filters, search);

    const pager = el('div', 'nd-pager');
    const prev = el('button', 'nd-prev') as HTMLButtonElement;
    text(prev, '◀ prev');
    prev.addEventListener('click', () => this.goPage(this.page - 1));
    const next = el('button', 'nd-next') as HTMLButtonElement;
    text(next, 'next ▶');
    next.addEventListener('click', () => this.goPage(this.page + 1));
    const pageLabel = el('span', 'nd-page');
    pager.append(prev, pageLabel, next);

    const grid = el('div', 'nd-grid');
    grid.tabIndex = 0;
    // Lumino skips its keyboard shortcuts under this attribute, so k / r / a / arrows reach the grid.
    grid.dataset.lmSuppressShortcuts = 'true';
    grid.addEventListener('keydown', (e) => this.onKey(e));

    const help = el('div', 'nd-help');
    text(
      help,
      'Click a picture (or press k / r) to keep / remove it, a resets to automatic. ↑ ↓ select, ← → change page. ' +
        'Drag on the histogram or the slider to set the threshold.',
    );

    this.el.append(title, countsBox, plot, controls, pager, grid, help);
    this.ui = { counts, countsBox, slider, number, plot, grid, pageLabel, prev, next, filterButtons };
  }

  /** Threshold changed here (slider, histogram) or in the kernel. */
  private setThreshold(t: number, fromUser: boolean, final = true) {
    t = Math.round(t * 1000) / 1000;
    this.threshold = t;
    this.ui.slider.value = String(t);
    this.ui.number.value = t.toFixed(3);
    this.hist?.setThreshold(t);
    // Regroup at most once per frame: a drag fires many input events between two paints.
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.recompute();
      });
    }
    if (fromUser && final) {
      this.model.set('threshold', t);
      this.model.save_changes();
    }
  }

  private tags(): Tags {
    return this.model.get('tags') || {};
  }

  private recompute() {
    this.a = assign(this.data, this.threshold, this.tags());
    this.showCounts();
    this.refreshGrid(true);
  }

  /** Counts computed here are shown at once; the kernel's own figures confirm them when they arrive. */
  private showCounts() {
    const kernel: Counts | null = this.model.get('counts');
    const mine = this.a.counts;
    // With a keep function or FiftyOne grouping only the kernel knows the exact numbers.
    const local = this.model.get('_local_counts') !== false;
    // Synced = the kernel has caught up with this view's threshold and tags and agrees with it.
    const compared: (keyof Counts)[] = local ? (Object.keys(mine) as (keyof Counts)[]) : ['tagged_keep', 'tagged_remove'];
    const synced =
      !!kernel &&
      Math.abs(kernel.threshold - mine.threshold) < 1e-9 &&
      compared.every((key) => key === 'threshold' || kernel[key] === mine[key]);
    const c = !local && kernel ? kernel : mine;
    for (const [key] of COUNT_LABELS) text(this.ui.counts[key], Number(c[key]).toLocaleString('en-US'));
    this.ui.countsBox.dataset.threshold = mine.threshold.toFixed(3);
    this.ui.countsBox.dataset.synced = String(synced);
  }

  private refreshGrid(keepPage = false) {
    this.rows = visibleRows(this.data, this.order, this.a, this.filter, this.search);
    for (const [f, b] of this.ui.filterButtons) b.classList.toggle('nd-active', f === this.filter);
    const pages = this.pageCount();
    if (!keepPage) this.page = 0;
    this.page = Math.min(this.page, pages - 1);
    this.renderPage();
  }

  private pageSize(): number {
    return Math.max(1, Number(this.model.get('page_size')) || 12);
  }

  private pageCount(): number {
    return Math.max(1, Math.ceil(this.rows.length / this.pageSize()));
  }

  private goPage(p: number) {
    const pages = this.pageCount();
    if (p < 0 || p >= pages) return;
    this.page = p;
    this.selected = 0;
    this.renderPage();
  }

  private renderPage() {
    const size = this.pageSize();
    const start = this.page * size;
    const pageRows = this.rows.subarray(start, Math.min(this.rows.length, start + size));
    text(
      this.ui.pageLabel,
      ` page ${this.page + 1} / ${this.pageCount()} · ${this.rows.length.toLocaleString('en-US')} samples `,
    );
    this.ui.prev.disabled = this.page === 0;
    this.ui.next.disabled = this.page >= this.pageCount() - 1;
    this.selected = Math.min(this.selected, Math.max(0, pageRows.length - 1));
    const frag = document.createDocumentFragment();
    const wanted: number[] = [];
    pageRows.forEach((row, idx) => {
      const line = el('div', 'nd-row');
      line.dataset.row = String(row);
      if (idx === this.selected) line.classList.add('nd-selected');
      line.append(this.tile(row, null, wanted));
      for (const nb of shownNeighbors(this.data, row, this.threshold)) {
        const arrow = el('span', 'nd-arrow');
        text(arrow, '≈');
        line.append(arrow, this.tile(nb.row, { of: row, score: nb.score }, wanted));
      }
      frag.append(line);
    });
    if (pageRows.length === 0) {
      const empty = el('div', 'nd-empty');
      text(empty, 'No samples match this filter.');
      frag.append(empty);
    }
    this.ui.grid.replaceChildren(frag);
    this.requestThumbs(wanted);
  }

  private tile(row: number, pair: { of: number; score: number } | null, wanted: number[]): HTMLElement {
    const d = this.data;
    const t = el('div', pair ? 'nd-tile nd-nb' : 'nd-tile nd-main');
    t.dataset.row = String(row);
    const removed = this.a.removed[row] === 1;
    const manual = this.tags()[d.ids[row]];
    t.classList.add(removed ? 'nd-removed' : 'nd-kept');
    if (manual) t.classList.add('nd-manual');

    const holder = el('div', 'nd-thumb');
    holder.dataset.thumbRow = String(row);
    this.fillThumb(holder, row);
    if (!this.thumbs.has(row)) wanted.push(row);
    holder.addEventListener('click', () => this.toggle(row));

    const id = el('div', 'nd-id');
    text(id, d.ids[row]);
    id.title = d.ids[row];
    const meta = el('div', 'nd-meta');
    text(meta, `${d.labelNames[d.labelCodes[row]] ?? ''} · ${d.splitNames[d.splitCodes[row]] ?? ''}`);
    const sim = el('div', 'nd-sim');
    const score = pair ? pair.score : d.maxSimilarity[row];
    text(sim, Number.isNaN(score) ? 'skipped' : `${pair ? 'sim' : 'max'} ${score.toFixed(3)}`);
    const badges = el('div', 'nd-badges');
    const status = el('span', removed ? 'nd-badge nd-status nd-status-remove' : 'nd-badge nd-status nd-status-keep');
    text(status, (removed ? 'remove' : 'keep') + (manual ? ' (tagged)' : ''));
    badges.append(status);
    if (pair) {
      if (d.splitCodes[row] !== d.splitCodes[pair.of]) badges.append(this.badge('nd-badge-cross', 'cross-split'));
      if (d.labelCodes[row] !== d.labelCodes[pair.of]) badges.append(this.badge('nd-badge-label', 'label conflict'));
    }
    if (d.exactGroups[row] >= 0) badges.append(this.badge('nd-badge-exact', 'exact'));
    t.append(holder, id, meta, sim, badges);
    return t;
  }

  private badge(cls: string, label: string): HTMLElement {
    const b = el('span', `nd-badge ${cls}`);
    text(b, label);
    return b;
  }

  private fillThumb(holder: HTMLElement, row: number) {
    const t = this.thumbs.get(row);
    if (!t) {
      holder.classList.add('nd-loading');
      return;
    }
    holder.classList.remove('nd-loading');
    if ('url' in t) {
      const img = document.createElement('img');
      img.src = t.url;
      img.alt = this.data.ids[row];
      img.draggable = false;
      holder.replaceChildren(img);
    } else {
      const msg = el('span', 'nd-thumb-error');
      text(msg, t.error);
      holder.replaceChildren(msg);
    }
  }

  /** Ask the kernel for the thumbnails of the rows on screen (never the whole dataset). */
  private requestThumbs(rows: number[]) {
    const ask = [...new Set(rows)].filter((r) => !this.pending.has(r) && !this.thumbs.has(r));
    if (!ask.length) return;
    for (const r of ask) this.pending.add(r);
    this.model.send({ type: 'thumbnails', rows: ask }, {});
  }

  private onCustom(content: any, buffers: (DataView | ArrayBuffer)[]) {
    if (!content || content.type !== 'thumbnails') return;
    const rows: number[] = content.rows || [];
    const errors: Record<string, string> = content.errors || {};
    const mime: string = content.mime || 'image/png';
    rows.forEach((row, i) => {
      this.pending.delete(row);
      const buf = buffers[i];
      const err = errors[String(row)];
      if (err || !buf || buf.byteLength === 0) this.thumbs.set(row, { error: err || 'no thumbnail' });
      else {
        const b = buf instanceof DataView ? bytes(buf) : buf;
        this.thumbs.set(row, { url: URL.createObjectURL(new Blob([b], { type: mime })) });
      }
      this.ui.grid.querySelectorAll<HTMLElement>(`.nd-thumb[data-thumb-row="${row}"]`).forEach((h) => this.fillThumb(h, row));
    });
    this.evictThumbs();
  }

  // Keep memory bounded when paging through 70,000 samples.
  private evictThumbs(max = 2000) {
    if (this.thumbs.size <= max) return;
    const onScreen = new Set(
      Array.from(this.ui.grid.querySelectorAll<HTMLElement>('.nd-thumb')).map((h) => Number(h.dataset.thumbRow)),
    );
    for (const [row, t] of this.thumbs) {
      if (this.thumbs.size <= max) break;
      if (onScreen.has(row)) continue;
      if ('url' in t) URL.revokeObjectURL(t.url);
      this.thumbs.delete(row);
    }
  }

  private setTag(row: number, tag: Tag | null) {
    const tags = { ...this.tags() };
    const id = this.data.ids[row];
    if (tag) tags[id] = tag;
    else delete tags[id];
    this.model.set('tags', tags);
    this.model.save_changes();
    this.recompute();
  }

  /** Click: flip the current (automatic or tagged) choice. */
  private toggle(row: number) {
    this.setTag(row, this.a.removed[row] ? 'keep' : 'remove');
  }

  private onKey(e: KeyboardEvent) {
    const lines = this.ui.grid.querySelectorAll<HTMLElement>('.nd-row');
    const current = lines[this.selected];
    const row = current ? Number(current.dataset.row) : -1;
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        if (this.selected < lines.length - 1) this.select(this.selected + 1);
        else if (this.page < this.pageCount() - 1) this.goPage(this.page + 1);
        break;
      case 'ArrowUp':
        if (this.selected > 0) this.select(this.selected - 1);
        else if (this.page > 0) {
          this.goPage(this.page - 1);
          this.select(this.ui.grid.querySelectorAll('.nd-row').length - 1);
        }
        break;
      case 'ArrowRight':
      case 'PageDown':
        this.goPage(this.page + 1);
        break;
      case 'ArrowLeft':
      case 'PageUp':
        this.goPage(this.page - 1);
        break;
      case 'k':
        if (row >= 0) this.setTag(row, 'keep');
        break;
      case 'r':
        if (row >= 0) this.setTag(row, 'remove');
        break;
      case 'a':
        if (row >= 0) this.setTag(row, null);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the grid
  }

  private select(idx: number) {
    const lines = this.ui.grid.querySelectorAll<HTMLElement>('.nd-row');
    lines.forEach((l, i) => l.classList.toggle('nd-selected', i === idx));
    this.selected = idx;
    lines[idx]?.scrollIntoView({ block: 'nearest' });
  }
}

export { rowIndex };
