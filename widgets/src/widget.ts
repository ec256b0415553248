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
  formatSimilarity,
  groupMembers,
  histogram,
  keptCopy,
  lazyIds,
  MemberView,
  middleEllipsis,
  rowIndex,
  Tag,
  Tags,
  visibleGroups,
} from './compute';
import { Histogram } from './histogram';
import { el, text } from './dom';
import { MODULE_NAME, MODULE_VERSION } from './version';

// Buffers arrive as DataViews that may not be aligned for wider element types: copy those only
// (a copy of the 5.6 MB of neighbour lists cost ~150 ms of the first paint at 70,000 samples).
function bytes(v: DataView | null | undefined): ArrayBuffer {
  if (!v) return new ArrayBuffer(0);
  return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
}
function view<T>(v: DataView | null, size: number, make: (b: ArrayBufferLike, offset: number, length: number) => T, empty: T): T {
  if (!v) return empty;
  if (v.byteOffset % size === 0 && v.byteLength % size === 0) return make(v.buffer, v.byteOffset, v.byteLength / size);
  const b = bytes(v);
  return make(b, 0, b.byteLength / size);
}
const asF32 = { deserialize: (v: DataView | null) => view(v, 4, (b, o, l) => new Float32Array(b, o, l), new Float32Array(0)) };
const asI32 = { deserialize: (v: DataView | null) => view(v, 4, (b, o, l) => new Int32Array(b, o, l), new Int32Array(0)) };
const asU8 = { deserialize: (v: DataView | null) => view(v, 1, (b, o, l) => new Uint8Array(b, o, l), new Uint8Array(0)) };
// Ids travel as one UTF-8 buffer joined with NUL: far smaller and faster than a JSON array.
const asIds = {
  deserialize: (v: DataView | null) => (v && v.byteLength ? lazyIds(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) : []),
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
      page_size: 0,
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
      _ev_pairs: new Int32Array(0),
      _ev_inliers: new Int32Array(0),
      _ev_coverage: new Float32Array(0),
      _ev_correlation: new Float32Array(0),
      _ev_agreement: new Float32Array(0),
      _ev_containment: new Float32Array(0),
      _ev_flipped: new Uint8Array(0),
      _ev_hash_bits: new Int32Array(0),
      _ev_settings: null,
      _mode: 'browser',
      _hist: null,
      _first_page: null,
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
    _ev_pairs: asI32,
    _ev_inliers: asI32,
    _ev_coverage: asF32,
    _ev_correlation: asF32,
    _ev_agreement: asF32,
    _ev_containment: asF32,
    _ev_flipped: asU8,
    _ev_hash_bits: asI32,
  };

  static model_name = 'ExplorerModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'ExplorerView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

/** The counts line: each name says what it counts (samples, groups). */
const COUNT_LABELS: [keyof Counts, string, string][] = [
  ['flagged_samples', 'samples in groups', 'samples that have a near-duplicate or exact copy at this threshold'],
  ['groups', 'groups', 'groups of near-duplicates (one card each)'],
  ['samples_to_remove', 'samples to remove', 'all but the kept copy of each group, with your tags applied'],
  ['cross_split_groups', 'cross-split groups', 'groups with members in more than one split (train/test leakage)'],
  ['leaks_remaining', 'leaks kept', 'cross-split groups whose kept copies are still in more than one split'],
  ['label_conflict_groups', 'label-conflict groups', 'groups whose members carry different labels'],
];

type Thumb = { url: string; width?: number; height?: number } | { error: string };

/** One member of a card as the kernel sends it (kernel mode; src/widgets/explorer/static.ts StaticMember). */
interface RemoteMember {
  row: number;
  id: string;
  label: string | null;
  split: string | null;
  similarity: number | null;
  evidence: string;
  rule: string;
  removed: boolean;
  exact?: boolean;
}
/** One card of a kernel-served page. */
interface RemoteCard {
  group: number;
  size?: number;
  crossSplit: boolean;
  labelConflict: boolean;
  leak: boolean;
  exact?: boolean;
  dropped?: boolean;
  kept?: number;
  swap?: { row: number; id: string } | null;
  members: RemoteMember[];
}
/** A kernel page: the cards shown, how many groups the filter lists, and the counts of that threshold. */
interface RemotePage {
  threshold: number;
  counts: Counts;
  page: number;
  total: number;
  groups_all: number;
  cards: RemoteCard[];
}
/** What a card draws, from either source. */
interface CardInfo {
  size: number;
  crossSplit: boolean;
  leak: boolean;
  labelConflict: boolean;
  exact: boolean;
  dropped: boolean;
  members: MemberView[];
}

/** Cards per page: enough to fill a 1024×768 screen with small groups. */
const DEFAULT_GROUPS_PER_PAGE = 12;
/** Members drawn in a card, and in an expanded card. */
const MAX_TILES = 5;
const MAX_EXPANDED = 60;

export class ExplorerView extends DOMWidgetView {
  private data!: ExplorerData;
  private a!: Assignment;
  private groups: Int32Array = new Int32Array(0);
  private threshold = 0.9;
  private filter: Filter = 'flagged';
  private search = '';
  private page = 0;
  private selected = 0;
  private selectedMember = 0;
  private thumbs = new Map<number, Thumb>();
  private large = new Map<number, Thumb>();
  private scheduled = false;
  private pending = new Set<number>();
  private pendingLarge = new Set<number>();
  private hist?: Histogram;
  private closer: { group: number; row: number } | null = null;
  private expanded = new Set<number>();
  /** Kernel mode (large results): pages come from the kernel, no per-sample arrays here. */
  private remote = false;
  private gone = false;
  private page_: RemotePage | null = null;
  private inflight = false;
  private again = false;
  private seq = 0;
  /** When the page in flight was asked for (performance.now()), for the User Timing entry of its round trip. */
  private pageAskedAt = 0;
  /** id, label, split, exact of the rows seen in kernel pages. */
  private rowInfo = new Map<number, RemoteMember>();
  /** The closer look's group in kernel mode (all its members). */
  private closerCard: RemoteCard | null = null;
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
    overlay: HTMLElement;
    confirm: HTMLElement;
  };

  render() {
    this.el.classList.add('nd-explorer');
    this.remote = this.model.get('_mode') === 'kernel';
    this.data = this.readData();
    this.threshold = this.model.get('threshold');
    this.buildDom();
    // Kernel mode: the kernel put the first page in the state with the display; draw it at once.
    const first = this.remote ? (this.model.get('_first_page') as RemotePage | null) : null;
    if (first && Math.abs(first.threshold - this.threshold) < 1e-9 && first.page === 0) {
      this.inflight = true;
      this.onPage(first);
      // Then the current page: tags may have changed since that display (a reopened notebook).
      this.requestPage();
    } else this.recompute();
    this.listenTo(this.model, 'change:threshold', () => {
      const t = this.model.get('threshold');
      if (t !== this.threshold) this.setThreshold(t, false);
    });
    this.listenTo(this.model, 'change:tags', () => this.recompute());
    this.listenTo(this.model, 'change:counts', () => this.showCounts());
    this.listenTo(this.model, 'msg:custom', (content: any, buffers: (DataView | ArrayBuffer)[]) =>
      this.onCustom(content, buffers),
    );
    // The histogram (plotly, a large script) is drawn after the counts and the cards are painted:
    // plotly's first draw took ~0.5 s of the first paint at 70,000 samples under load.
    const h = this.histBins();
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (this.gone) return;
        Histogram.create(this.ui.plot, h, this.threshold, (t, final) => this.setThreshold(t, true, final), (area) => this.alignSlider(area)).then(
          (hist) => {
            this.hist = hist;
            hist.setThreshold(this.threshold);
          },
          (err) => text(this.ui.plot, `histogram unavailable: ${err}`),
        );
      }, 0),
    );
  }

  /** The histogram's bins: from the kernel (`_hist`), else computed here from max_similarity (older kernels). */
  private histBins(): { x0: number; width: number; counts: number[] } {
    return this.model.get('_hist') ?? histogram(this.data.maxSimilarity, 100);
  }

  remove() {
    this.gone = true;
    for (const m of [this.thumbs, this.large]) for (const t of m.values()) if ('url' in t) URL.revokeObjectURL(t.url);
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
      ids: m.get('_ids') ?? [],
      evidence: {
        pairs: m.get('_ev_pairs'),
        inliers: m.get('_ev_inliers'),
        coverage: m.get('_ev_coverage'),
        correlation: m.get('_ev_correlation'),
        agreement: m.get('_ev_agreement'),
        containment: m.get('_ev_containment'),
        flipped: m.get('_ev_flipped'),
        hashBits: m.get('_ev_hash_bits'),
        settings: m.get('_ev_settings') ?? null,
      },
    };
  }

  private buildDom() {
    const title = el('div', 'nd-title');
    text(title, this.model.get('title') || `Duplicate explorer: ${this.data.n.toLocaleString('en-US')} samples`);

    const countsBox = el('div', 'nd-counts');
    const counts: Record<string, HTMLElement> = {};
    for (const [key, label, help] of COUNT_LABELS) {
      const box = el('span', 'nd-count');
      box.dataset.count = key;
      box.title = help;
      const value = el('span', 'nd-count-value');
      const name = el('span', 'nd-count-label');
      text(name, ` ${label}`);
      box.append(value, name);
      countsBox.append(box);
      counts[key] = value;
    }

    // The slider sits under the plot and is aligned with its x axis once plotly has drawn it,
    // so the thumb is under the red line (same range, same pixels).
    const plotWrap = el('div', 'nd-plot-wrap');
    const plot = el('div', 'nd-histogram');
    const slider = el('input', 'nd-slider') as HTMLInputElement;
    slider.type = 'range';
    const x0 = this.histBins().x0;
    slider.min = String(Math.max(0, x0));
    slider.max = '1';
    slider.step = '0.001';
    slider.value = String(this.threshold);
    slider.setAttribute('aria-label', 'threshold');
    slider.addEventListener('input', () => this.setThreshold(Number(slider.value), true));
    plotWrap.append(plot, slider);

    const controls = el('div', 'nd-controls');
    const numberLabel = el('label', 'nd-threshold-label');
    text(numberLabel, 'threshold ');
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
    numberLabel.append(number);

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

    const prev = el('button', 'nd-prev') as HTMLButtonElement;
    text(prev, '◀');
    prev.title = 'previous page (PageUp)';
    prev.addEventListener('click', () => this.goPage(this.page - 1));
    const next = el('button', 'nd-next') as HTMLButtonElement;
    text(next, '▶');
    next.title = 'next page (PageDown)';
    next.addEventListener('click', () => this.goPage(this.page + 1));
    const pageLabel = el('span', 'nd-page');
    const pager = el('span', 'nd-pager');
    pager.append(prev, pageLabel, next);
    controls.append(numberLabel, filters, search, pager);

    const confirm = el('div', 'nd-confirm');
    confirm.hidden = true;

    const grid = el('div', 'nd-grid');
    grid.tabIndex = 0;
    // Lumino skips its keyboard shortcuts under this attribute, so k / r / a / arrows reach the grid.
    grid.dataset.lmSuppressShortcuts = 'true';
    grid.addEventListener('keydown', (e) => this.onKey(e));

    const overlay = el('div', 'nd-closer');
    overlay.hidden = true;
    overlay.tabIndex = 0;
    overlay.dataset.lmSuppressShortcuts = 'true';
    overlay.addEventListener('keydown', (e) => this.onCloserKey(e));

    const help = el('div', 'nd-help');
    text(
      help,
      'One card per group, kept copy first. Click a picture (or Enter) for a closer look. ' +
        'Keys: ↑ ↓ group, ← → member, k keep, r remove, a automatic, PageUp/PageDown page. Drag on the histogram or its slider to set the threshold.',
    );

    this.el.append(title, countsBox, plotWrap, controls, confirm, grid, help, overlay);
    this.ui = { counts, countsBox, slider, number, plot, grid, pageLabel, prev, next, filterButtons, overlay, confirm };
  }

  /** Puts the slider exactly under the plot's x axis: same left edge, width and range. */
  private alignSlider(area: { left: number; width: number; min: number; max: number }) {
    const s = this.ui.slider;
    s.style.marginLeft = `${area.left}px`;
    s.style.width = `${area.width}px`;
    s.min = String(area.min);
    s.max = String(area.max);
    s.value = String(this.threshold);
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
        // The kernel regroups on the saved threshold: tell it once this frame is painted, so its
        // work (on the other core of a small machine) does not compete with this step's paint.
        if (this.saveAfterPaint) setTimeout(() => this.saveThreshold(), 0);
      });
    }
    if (fromUser && final && !this.remote) this.saveAfterPaint = true;
  }

  private saveAfterPaint = false;

  private saveThreshold() {
    this.saveAfterPaint = false;
    if (this.model.get('threshold') === this.threshold) return;
    this.model.set('threshold', this.threshold);
    this.model.save_changes();
  }

  private tags(): Tags {
    return this.model.get('tags') || {};
  }

  private recompute() {
    if (this.remote) {
      this.requestPage();
      if (this.closer) this.requestCloser();
      return;
    }
    const t0 = performance.now();
    this.a = assign(this.data, this.threshold, this.tags());
    const t1 = performance.now();
    this.showCounts();
    const t2 = performance.now();
    this.refreshGrid(true);
    const t3 = performance.now();
    if (this.closer) this.renderCloser();
    // The last step's parts as a User Timing entry (DevTools, the explorer bench); one kept, never a growing list.
    performance.clearMeasures('neardup:regroup');
    performance.measure('neardup:regroup', { start: t0, end: t3, detail: { assign: t1 - t0, counts: t2 - t1, grid: t3 - t2 } });
  }

  // ---- kernel mode: pages served by the kernel -------------------------------------------------

  /**
   * Asks the kernel for the page on screen at the view's threshold (saved first, so the kernel
   * regroups once). One request in flight: a slider drag sends the latest threshold when the
   * previous page arrived, never a queue of stale ones.
   */
  private requestPage() {
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = true;
    this.again = false;
    if (this.model.get('threshold') !== this.threshold) {
      this.model.set('threshold', this.threshold);
      this.model.save_changes();
    }
    this.model.send({ type: 'page', seq: ++this.seq, filter: this.filter, search: this.search, page: this.page, page_size: this.pageSize(), expanded: [...this.expanded] }, {});
    this.pageAskedAt = performance.now();
  }

  private onPage(p: RemotePage) {
    const t0 = performance.now();
    this.inflight = false;
    this.page_ = p;
    for (const c of p.cards) for (const m of c.members) this.rowInfo.set(m.row, m);
    this.page = p.page;
    this.groups = Int32Array.from(p.cards.map((c) => c.group));
    this.showCounts();
    this.renderPage();
    // The round trip of this page (asked → arrived) and its drawing, as one User Timing entry (DevTools, the explorer bench).
    performance.clearMeasures('neardup:page');
    performance.measure('neardup:page', { start: this.pageAskedAt, end: performance.now(), detail: { asked: this.pageAskedAt, wait: t0 - this.pageAskedAt, draw: performance.now() - t0 } });
    if (this.again || Math.abs(p.threshold - this.threshold) > 1e-9) this.requestPage();
  }

  private requestCloser() {
    if (this.closer) this.model.send({ type: 'group', row: this.closer.row }, {});
  }

  private remoteCard(g: number): RemoteCard | undefined {
    if (this.closerCard && this.closerCard.group === g) return this.closerCard;
    return this.page_?.cards.find((c) => c.group === g);
  }

  private cardInfo(g: number): CardInfo {
    if (this.remote) {
      const c = this.remoteCard(g);
      const members = (c?.members ?? []).map((m) => ({ row: m.row, kept: !m.removed, similarity: m.similarity, evidence: m.evidence, rule: m.rule }));
      return { size: c?.size ?? members.length, crossSplit: !!c?.crossSplit, leak: !!c?.leak, labelConflict: !!c?.labelConflict, exact: !!c?.exact, dropped: !!c?.dropped, members };
    }
    const a = this.a;
    const members = groupMembers(this.data, a, g, this.threshold);
    return {
      size: members.length,
      crossSplit: a.groupCrossSplit[g] === 1,
      leak: a.groupLeak[g] === 1,
      labelConflict: a.groupLabelConflict[g] === 1,
      exact: members.some((m) => this.data.exactGroups[m.row] >= 0),
      dropped: a.groupDropped[g] === 1,
      members,
    };
  }

  private idOf(row: number): string {
    return this.remote ? this.rowInfo.get(row)?.id ?? String(row) : this.data.ids[row];
  }
  private labelOf(row: number): string | null {
    if (this.remote) return this.rowInfo.get(row)?.label ?? null;
    return this.data.labelNames[this.data.labelCodes[row]] ?? null;
  }
  private splitOf(row: number): string | null {
    if (this.remote) return this.rowInfo.get(row)?.split ?? null;
    return this.data.splitNames[this.data.splitCodes[row]] ?? null;
  }
  private exactOf(row: number): boolean {
    return this.remote ? !!this.rowInfo.get(row)?.exact : this.data.exactGroups[row] >= 0;
  }

  /** Counts computed here are shown at once; the kernel's own figures confirm them when they arrive. */
  private showCounts() {
    if (this.remote) {
      // Kernel mode: the page's counts are the kernel's, for the threshold of that page.
      const p = this.page_;
      const c: Counts | null = p?.counts ?? this.model.get('counts');
      if (!c) return;
      for (const [key] of COUNT_LABELS) text(this.ui.counts[key], Number(c[key] ?? 0).toLocaleString('en-US'));
      this.ui.countsBox.dataset.threshold = Number(c.threshold).toFixed(3);
      this.ui.countsBox.dataset.synced = String(!!p);
      return;
    }
    const kernel: Counts | null = this.model.get('counts');
    const mine = this.a.counts;
    // With a keep function or FiftyOne grouping only the kernel knows the exact numbers.
    const local = this.model.get('_local_counts') !== false;
    const compared: (keyof Counts)[] = local ? (Object.keys(mine) as (keyof Counts)[]) : ['tagged_keep', 'tagged_remove'];
    const synced =
      !!kernel &&
      Math.abs(kernel.threshold - mine.threshold) < 1e-9 &&
      compared.every((key) => key === 'threshold' || kernel[key] === mine[key]);
    const c = !local && kernel ? kernel : mine;
    for (const [key] of COUNT_LABELS) text(this.ui.counts[key], Number(c[key] ?? 0).toLocaleString('en-US'));
    this.ui.countsBox.dataset.threshold = mine.threshold.toFixed(3);
    this.ui.countsBox.dataset.synced = String(synced);
  }

  private refreshGrid(keepPage = false) {
    if (this.remote) {
      for (const [f, b] of this.ui.filterButtons) b.classList.toggle('nd-active', f === this.filter);
      if (!keepPage) this.page = 0;
      this.requestPage();
      return;
    }
    this.groups = visibleGroups(this.data, this.a, this.filter, this.search);
    for (const [f, b] of this.ui.filterButtons) b.classList.toggle('nd-active', f === this.filter);
    if (!keepPage) this.page = 0;
    this.page = Math.min(this.page, this.pageCount() - 1);
    this.renderPage();
  }

  private pageSize(): number {
    return Math.max(1, Number(this.model.get('page_size')) || DEFAULT_GROUPS_PER_PAGE);
  }

  private pageCount(): number {
    if (this.remote) return Math.max(1, Math.ceil((this.page_?.total ?? 0) / this.pageSize()));
    return Math.max(1, Math.ceil(this.groups.length / this.pageSize()));
  }

  private goPage(p: number) {
    const pages = this.pageCount();
    if (p < 0 || p >= pages) return;
    this.page = p;
    this.selected = 0;
    this.selectedMember = 0;
    if (this.remote) this.requestPage();
    else this.renderPage();
  }

  private pageGroups(): Int32Array {
    if (this.remote) return this.groups;
    const size = this.pageSize();
    const start = this.page * size;
    return this.groups.subarray(start, Math.min(this.groups.length, start + size));
  }

  private renderPage() {
    const groups = this.pageGroups();
    const listed = this.remote ? this.page_?.total ?? 0 : this.groups.length;
    text(this.ui.pageLabel, ` page ${this.page + 1} / ${this.pageCount()} · ${listed.toLocaleString('en-US')} groups `);
    this.ui.prev.disabled = this.page === 0;
    this.ui.next.disabled = this.page >= this.pageCount() - 1;
    this.selected = Math.min(this.selected, Math.max(0, groups.length - 1));
    const frag = document.createDocumentFragment();
    const wanted: number[] = [];
    groups.forEach((g, idx) => frag.append(this.card(g, idx, wanted)));
    if (groups.length === 0) {
      const empty = el('div', 'nd-empty');
      const all = this.remote ? this.page_?.groups_all ?? 0 : this.a.counts.groups;
      text(empty, all === 0 ? 'No groups at this threshold: lower it on the histogram.' : 'No group matches this filter.');
      frag.append(empty);
    }
    this.ui.grid.replaceChildren(frag);
    this.requestThumbs(wanted);
  }

  private card(g: number, idx: number, wanted: number[]): HTMLElement {
    const card = el('div', 'nd-card');
    card.dataset.group = String(g);
    if (idx === this.selected) card.classList.add('nd-selected');
    const info = this.cardInfo(g);
    const members = info.members;
    const head = el('div', 'nd-card-head');
    const name = el('span', 'nd-card-title');
    text(name, `${info.size} copies`);
    head.append(name);
    if (info.crossSplit) head.append(this.badge('nd-badge-cross', info.leak ? 'leak kept' : 'cross-split', info.leak ? 'kept copies are still in more than one split' : 'members in more than one split'));
    if (info.labelConflict) head.append(this.badge('nd-badge-label', 'label conflict', 'members carry different labels'));
    if (info.exact) head.append(this.badge('nd-badge-exact', 'exact', 'byte- or pixel-identical copies'));
    if (info.dropped) head.append(this.badge('nd-badge-drop', 'all removed', 'every copy removed (confirmed)'));
    const tiles = el('div', 'nd-tiles');
    // Big groups (chains at a low threshold can hold hundreds) show their first members and a
    // "+N more" button; the closer look steps through all of them.
    const shown = this.expanded.has(g) ? MAX_EXPANDED : MAX_TILES;
    members.slice(0, shown).forEach((m, j) => tiles.append(this.tile(g, m, j === 0, idx === this.selected && j === this.selectedMember, wanted)));
    if (info.size > shown) {
      const more = el('button', 'nd-more') as HTMLButtonElement;
      text(more, `+${(info.size - shown).toLocaleString('en-US')} more`);
      more.title = 'show more members of this group';
      more.addEventListener('click', () => {
        this.expanded.add(g);
        if (this.remote) this.requestPage();
        else this.renderPage();
      });
      tiles.append(more);
    }
    card.append(head, tiles);
    return card;
  }

  private tile(g: number, m: MemberView, first: boolean, selected: boolean, wanted: number[]): HTMLElement {
    const row = m.row;
    const manual = this.tags()[this.idOf(row)];
    const t = el('div', `nd-tile ${m.kept ? 'nd-kept' : 'nd-removed'}${manual ? ' nd-manual' : ''}${first ? ' nd-keeper' : ''}`);
    t.dataset.row = String(row);
    if (selected) t.classList.add('nd-member-selected');
    const parts = [this.labelOf(row), this.splitOf(row)].filter((x) => x);
    t.title = [this.idOf(row), parts.join(' · '), m.evidence].filter(Boolean).join('\n');
    const holder = el('div', 'nd-thumb');
    holder.dataset.thumbRow = String(row);
    this.fillThumb(holder, row);
    if (!this.thumbs.has(row)) wanted.push(row);
    holder.addEventListener('click', () => this.openCloser(g, row));
    const state = el('span', `nd-state ${m.kept ? 'nd-state-keep' : 'nd-state-remove'}`);
    text(state, m.kept ? (first ? 'KEEP' : 'keep') : 'remove');
    holder.append(state);
    const id = el('div', 'nd-id');
    text(id, middleEllipsis(this.idOf(row), 13));
    const meta = el('div', 'nd-meta');
    text(meta, parts.join(' · '));
    const sim = el('div', 'nd-sim');
    const exact = !first && this.exactOf(row) && m.evidence.startsWith('exact');
    text(
      sim,
      first
        ? m.kept
          ? manual ? 'kept (tagged)' : 'kept copy'
          : `removed (${manual === 'drop' ? 'all copies' : 'tagged'})`
        : exact
          ? 'exact copy'
          : m.similarity === null
            ? 'via chain'
            : // Below the threshold: in the group through another member (the tooltip names it).
              `${m.similarity < Math.fround(this.threshold) ? 'chain' : 'sim'} ${formatSimilarity(m.similarity)}`,
    );
    t.append(holder, id);
    if (parts.length) t.append(meta);
    t.append(sim);
    if (m.rule && !exact) {
      // The rule that made it a duplicate (the tooltip and the closer look give it in full).
      const rule = el('div', 'nd-rule');
      text(rule, m.rule);
      t.append(rule);
    }
    return t;
  }

  private badge(cls: string, label: string, help = ''): HTMLElement {
    const b = el('span', `nd-badge ${cls}`);
    text(b, label);
    if (help) b.title = help;
    return b;
  }

  private fillThumb(holder: HTMLElement, row: number, source = this.thumbs) {
    const t = source.get(row);
    const state = holder.querySelector('.nd-state');
    if (!t) {
      holder.classList.add('nd-loading');
      return;
    }
    holder.classList.remove('nd-loading');
    if ('url' in t) {
      const img = document.createElement('img');
      img.src = t.url;
      img.alt = this.idOf(row);
      img.draggable = false;
      holder.replaceChildren(img);
    } else {
      const msg = el('span', 'nd-thumb-error');
      text(msg, t.error);
      holder.replaceChildren(msg);
    }
    if (state) holder.append(state);
  }

  /** Ask the kernel for the thumbnails of the rows on screen (never the whole dataset). */
  private requestThumbs(rows: number[], full = false) {
    const pend = full ? this.pendingLarge : this.pending;
    const have = full ? this.large : this.thumbs;
    const ask = [...new Set(rows)].filter((r) => !pend.has(r) && !have.has(r));
    if (!ask.length) return;
    for (const r of ask) pend.add(r);
    this.model.send({ type: 'thumbnails', rows: ask, full }, {});
  }

  private onCustom(content: any, buffers: (DataView | ArrayBuffer)[]) {
    if (content && content.type === 'page') return this.onPage(content as RemotePage);
    if (content && content.type === 'group') {
      if (!this.closer) return;
      if (!content.card) return this.closeCloser(); // the sample left every group
      this.closerCard = content.card as RemoteCard;
      for (const m of this.closerCard.members) this.rowInfo.set(m.row, m);
      this.closer.group = this.closerCard.group;
      this.renderCloser();
      return;
    }
    if (!content || content.type !== 'thumbnails') return;
    const rows: number[] = content.rows || [];
    const errors: Record<string, string> = content.errors || {};
    const dims: Record<string, [number, number]> = content.dims || {};
    const mime: string = content.mime || 'image/png';
    const full = !!content.full;
    const store = full ? this.large : this.thumbs;
    rows.forEach((row, i) => {
      (full ? this.pendingLarge : this.pending).delete(row);
      const buf = buffers[i];
      const err = errors[String(row)];
      const dim = dims[String(row)];
      if (err || !buf || buf.byteLength === 0) store.set(row, { error: err || 'no thumbnail' });
      else {
        const b = buf instanceof DataView ? bytes(buf) : buf;
        store.set(row, { url: URL.createObjectURL(new Blob([b], { type: mime })), width: dim?.[0], height: dim?.[1] });
      }
      if (!full) this.ui.grid.querySelectorAll<HTMLElement>(`.nd-thumb[data-thumb-row="${row}"]`).forEach((h) => this.fillThumb(h, row));
    });
    if (full && this.closer) this.renderCloser();
    this.evictThumbs();
  }

  // Keep memory bounded when paging through 70,000 samples.
  private evictThumbs(max = 2000) {
    for (const [store, limit] of [[this.thumbs, max], [this.large, 40]] as const) {
      if (store.size <= limit) continue;
      const onScreen = new Set(Array.from(this.el.querySelectorAll<HTMLElement>('[data-thumb-row]')).map((h) => Number(h.dataset.thumbRow)));
      for (const [row, t] of store) {
        if (store.size <= limit) break;
        if (onScreen.has(row)) continue;
        if ('url' in t) URL.revokeObjectURL(t.url);
        store.delete(row);
      }
    }
  }

  private writeTags(tags: Tags) {
    this.model.set('tags', tags);
    this.model.save_changes();
    this.recompute();
  }

  /**
   * Tags one sample. Removing the last kept copy of a group is never silent: the view asks first
   * and offers to keep another copy instead.
   */
  private setTag(row: number, tag: Tag | null) {
    const tags = { ...this.tags() };
    const id = this.idOf(row);
    if (this.remote) {
      // The kernel's card says how many copies stay and which one could be kept instead.
      const card = this.closerCard?.members.some((m) => m.row === row) ? this.closerCard : this.page_?.cards.find((c) => c.members.some((m) => m.row === row));
      const me = card?.members.find((m) => m.row === row);
      if (tag === 'remove' && card && me && !me.removed && (card.kept ?? 2) <= 1) {
        if (card.swap) this.rowInfo.set(card.swap.row, { ...(this.rowInfo.get(card.swap.row) ?? ({} as RemoteMember)), row: card.swap.row, id: card.swap.id });
        this.askLastCopy(row, card.swap ? card.swap.row : -1);
        return;
      }
      if (tag) tags[id] = tag;
      else delete tags[id];
      this.writeTags(tags);
      return;
    }
    const g = this.a.group[row];
    if (tag === 'remove' && g >= 0 && !this.a.removed[row]) {
      let othersKept = 0;
      let other = -1;
      for (let m = this.a.offsets[g]; m < this.a.offsets[g + 1]; m++) {
        const r = this.a.members[m];
        if (r === row) continue;
        if (!this.a.removed[r]) othersKept++;
        else if (other < 0 && tags[this.data.ids[r]] !== 'remove' && tags[this.data.ids[r]] !== 'drop') other = r;
      }
      if (othersKept === 0) {
        this.askLastCopy(row, other);
        return;
      }
    }
    if (tag) tags[id] = tag;
    else delete tags[id];
    this.writeTags(tags);
  }

  /** The last-copy confirmation: keep another copy instead, remove every copy, or cancel. */
  private askLastCopy(row: number, other: number) {
    const box = this.ui.confirm;
    const msg = el('span', 'nd-confirm-text');
    text(msg, `${middleEllipsis(this.idOf(row), 40)} is the last kept copy of its group. `);
    const buttons: HTMLButtonElement[] = [];
    const done = () => {
      box.hidden = true;
      box.replaceChildren();
      (this.closer ? this.ui.overlay : this.ui.grid).focus();
    };
    if (other >= 0) {
      const swap = el('button', 'nd-confirm-swap') as HTMLButtonElement;
      text(swap, `Keep ${middleEllipsis(this.idOf(other), 24)} instead`);
      swap.addEventListener('click', () => {
        const tags = { ...this.tags(), [this.idOf(row)]: 'remove' as Tag, [this.idOf(other)]: 'keep' as Tag };
        done();
        this.writeTags(tags);
      });
      buttons.push(swap);
    }
    const all = el('button', 'nd-confirm-drop') as HTMLButtonElement;
    text(all, 'Remove every copy');
    all.addEventListener('click', () => {
      done();
      this.writeTags({ ...this.tags(), [this.idOf(row)]: 'drop' });
    });
    const cancel = el('button', 'nd-confirm-cancel') as HTMLButtonElement;
    text(cancel, 'Cancel');
    cancel.addEventListener('click', done);
    buttons.push(all, cancel);
    box.replaceChildren(msg, ...buttons);
    box.hidden = false;
    if (this.closer) this.ui.overlay.querySelector('.nd-closer-actions')?.after(box);
    else this.ui.grid.before(box);
    buttons[0].focus();
  }

  private currentMember(): { g: number; row: number } | null {
    const groups = this.pageGroups();
    const g = groups[this.selected];
    if (g === undefined) return null;
    const members = this.cardInfo(g).members;
    const m = members[Math.min(this.selectedMember, members.length - 1)];
    return m ? { g, row: m.row } : null;
  }

  private onKey(e: KeyboardEvent) {
    const groups = this.pageGroups();
    const cur = this.currentMember();
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        if (this.selected < groups.length - 1) this.select(this.selected + 1, 0);
        else if (this.page < this.pageCount() - 1) this.goPage(this.page + 1);
        break;
      case 'ArrowUp':
        if (this.selected > 0) this.select(this.selected - 1, 0);
        else if (this.page > 0) {
          this.goPage(this.page - 1);
          this.select(this.pageGroups().length - 1, 0);
        }
        break;
      case 'ArrowRight':
        if (cur) this.select(this.selected, Math.min(this.selectedMember + 1, this.cardInfo(cur.g).size - 1, (this.expanded.has(cur.g) ? MAX_EXPANDED : MAX_TILES) - 1));
        break;
      case 'ArrowLeft':
        this.select(this.selected, Math.max(0, this.selectedMember - 1));
        break;
      case 'PageDown':
        this.goPage(this.page + 1);
        break;
      case 'PageUp':
        this.goPage(this.page - 1);
        break;
      case 'Enter':
      case ' ':
        if (cur) this.openCloser(cur.g, cur.row);
        break;
      case 'k':
        if (cur) this.setTag(cur.row, 'keep');
        break;
      case 'r':
        if (cur) this.setTag(cur.row, 'remove');
        break;
      case 'a':
        if (cur) this.setTag(cur.row, null);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the grid
  }

  private select(idx: number, member: number) {
    this.selected = idx;
    this.selectedMember = member;
    this.renderPage();
    this.ui.grid.querySelector('.nd-card.nd-selected')?.scrollIntoView({ block: 'nearest' });
  }

  // ---- the closer look --------------------------------------------------------------------

  private openCloser(g: number, row: number) {
    this.closer = { group: g, row };
    if (this.remote) {
      // The page lists a card's first members; the closer look steps through all of them.
      this.closerCard = null;
      this.requestCloser();
    }
    const idx = Array.from(this.pageGroups()).indexOf(g);
    if (idx >= 0) this.selected = idx;
    this.ui.overlay.hidden = false;
    this.renderCloser();
    this.ui.overlay.focus({ preventScroll: true });
    // The widget can be taller than the screen: bring the closer look's panel into view.
    this.ui.overlay.querySelector('.nd-closer-panel')?.scrollIntoView({ block: 'start' });
  }

  private closeCloser() {
    this.closer = null;
    this.closerCard = null;
    this.ui.overlay.hidden = true;
    this.ui.confirm.hidden = true;
    this.ui.grid.focus();
  }

  private renderCloser() {
    const c = this.closer;
    if (!c) return;
    const g = this.remote ? (this.closerCard ? c.group : -2) : this.a.group[c.row];
    if (g === -1) {
      // The threshold moved and the sample left every group.
      this.closeCloser();
      return;
    }
    c.group = g;
    const members = g >= 0 ? this.cardInfo(g).members : [];
    const me = members.find((m) => m.row === c.row) ?? { row: c.row, kept: true, similarity: null, evidence: 'loading…', rule: '' };
    if (!members.length) members.push(me);
    const keeper = members[0];
    this.requestThumbs(members.map((m) => m.row), true);
    const panel = el('div', 'nd-closer-panel');
    const head = el('div', 'nd-closer-head');
    const pos = members.findIndex((m) => m.row === c.row);
    text(head, `group of ${members.length} · member ${pos + 1} of ${members.length} · ${me.evidence}`);
    const close = el('button', 'nd-closer-close') as HTMLButtonElement;
    text(close, '✕ close (Esc)');
    close.addEventListener('click', () => this.closeCloser());
    head.append(close);
    const pics = el('div', 'nd-closer-pics');
    const side = (m: MemberView, label: string) => {
      const box = el('div', `nd-closer-side ${m.kept ? 'nd-kept' : 'nd-removed'}`);
      const cap = el('div', 'nd-closer-label');
      text(cap, label);
      const holder = el('div', 'nd-closer-img');
      holder.dataset.thumbRow = String(m.row);
      this.fillThumb(holder, m.row, this.large);
      const t = this.large.get(m.row);
      // Small images (28 px digits) are enlarged without blur; photos are scaled smoothly.
      if (t && 'url' in t && t.width && t.width <= 170) holder.classList.add('nd-small');
      const info = el('div', 'nd-closer-info');
      const lines = [
        this.idOf(m.row),
        [this.labelOf(m.row) && `label ${this.labelOf(m.row)}`, this.splitOf(m.row) && `split ${this.splitOf(m.row)}`].filter(Boolean).join(' · '),
        t && 'url' in t && t.width ? `${t.width} × ${t.height} px` : '',
        m.kept ? 'kept' : 'removed',
      ].filter(Boolean);
      for (const l of lines) info.append(text(el('div'), l));
      box.append(cap, holder, info);
      return box;
    };
    if (me.row === keeper.row) pics.append(side(me, 'kept copy'));
    else {
      pics.append(side(me, me.similarity === null ? 'this copy (joined through the group)' : `this copy · sim ${formatSimilarity(me.similarity)} to the kept copy`), side(keeper, 'kept copy'));
    }
    const actions = el('div', 'nd-closer-actions');
    const btn = (cls: string, label: string, fn: () => void) => {
      const b = el('button', cls) as HTMLButtonElement;
      text(b, label);
      b.addEventListener('click', fn);
      actions.append(b);
    };
    btn('nd-prev-member', '◀ previous (←)', () => this.stepCloser(-1));
    btn('nd-tag-keep', 'Keep (k)', () => this.setTag(me.row, 'keep'));
    btn('nd-tag-remove', 'Remove (r)', () => this.setTag(me.row, 'remove'));
    btn('nd-tag-auto', 'Automatic (a)', () => this.setTag(me.row, null));
    btn('nd-next-member', 'next (→) ▶', () => this.stepCloser(1));
    panel.append(head, pics, actions);
    const confirmOpen = !this.ui.confirm.hidden;
    this.ui.overlay.replaceChildren(panel);
    if (confirmOpen) actions.after(this.ui.confirm);
  }

  private stepCloser(delta: number) {
    const c = this.closer;
    if (!c) return;
    const members = this.cardInfo(c.group).members;
    const i = members.findIndex((m) => m.row === c.row);
    const j = i + delta;
    if (j >= 0 && j < members.length) {
      c.row = members[j].row;
      this.renderCloser();
    }
  }

  private onCloserKey(e: KeyboardEvent) {
    const c = this.closer;
    if (!c) return;
    switch (e.key) {
      case 'Escape':
        this.closeCloser();
        break;
      case 'ArrowLeft':
        this.stepCloser(-1);
        break;
      case 'ArrowRight':
        this.stepCloser(1);
        break;
      case 'k':
        this.setTag(c.row, 'keep');
        break;
      case 'r':
        this.setTag(c.row, 'remove');
        break;
      case 'a':
        this.setTag(c.row, null);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }
}

export { rowIndex, keptCopy };
