/**
 * Plotly histogram of max_similarity with a vertical threshold line and the flagged region shaded.
 * Bins are computed once (compute.ts) and drawn as bars, so redraws never rebin 70,000 values.
 * Pressing or dragging anywhere on the plot area moves the threshold.
 */
type Hist = { x0: number; width: number; counts: number[] };
type OnThreshold = (t: number, final: boolean) => void;
/** The plot area in the host's pixels and its x range (the slider is aligned to it). */
export type PlotArea = { left: number; width: number; min: number; max: number };

let plotlyPromise: Promise<any> | undefined;
/** Starts loading plotly (idempotent); the plugin calls it when JupyterLab is idle. */
export function loadPlotly(): Promise<any> {
  // A separate chunk: the grid and counts paint before plotly's 3.5 MB are parsed.
  plotlyPromise ??= import('plotly.js-dist-min').then((m: any) => m.default ?? m);
  return plotlyPromise;
}

export class Histogram {
  private constructor(
    private readonly plotly: any,
    private readonly gd: any,
    private readonly onThreshold: OnThreshold,
    private readonly onArea: (a: PlotArea) => void,
  ) {}

  static async create(host: HTMLElement, h: Hist, threshold: number, onThreshold: OnThreshold, onArea: (a: PlotArea) => void = () => {}): Promise<Histogram> {
    const plotly = await loadPlotly();
    const x = h.counts.map((_, i) => h.x0 + (i + 0.5) * h.width);
    const lo = h.x0;
    const hi = Math.max(1, h.x0 + h.width * h.counts.length);
    await plotly.newPlot(
      host,
      [
        {
          type: 'bar',
          x,
          y: h.counts,
          width: h.width,
          marker: { color: '#6b8fc7' },
          hovertemplate: 'max_similarity %{x:.3f}<br>%{y} samples<extra></extra>',
        },
      ],
      {
        height: 140,
        autosize: true,
        margin: { l: 56, r: 12, t: 6, b: 34 },
        xaxis: { title: { text: 'max_similarity (cosine to the nearest other sample)', standoff: 4 }, range: [lo, hi], fixedrange: true, nticks: 12 },
        // One tick per power of ten (1, 10, 100, 1,000): readable, never crowded.
        yaxis: { type: 'log', title: { text: 'samples' }, fixedrange: true, dtick: 1, tickformat: ',d' },
        bargap: 0,
        dragmode: false,
      },
      { displayModeBar: false, responsive: true },
    );
    const hist = new Histogram(plotly, host, onThreshold, onArea);
    hist.listen();
    hist.setThreshold(threshold);
    return hist;
  }

  // The threshold line and the shaded flagged region are two absolutely placed divs over the plot
  // area: moving them is a style change, where a plotly relayout costs tens of ms per slider step.
  private line = Object.assign(document.createElement('div'), { className: 'nd-threshold-line' });
  private area = Object.assign(document.createElement('div'), { className: 'nd-flagged-area' });
  private t = 0;
  private areaKey = '';

  private place() {
    const fl = this.gd._fullLayout;
    if (!fl || !fl._size) return;
    if (!this.line.isConnected) {
      this.gd.style.position = 'relative';
      this.gd.append(this.area, this.line);
    }
    const { l, t: top, w, h } = fl._size;
    const [r0, r1] = fl.xaxis.range;
    const key = `${l},${w},${r0},${r1}`;
    if (key !== this.areaKey) {
      this.areaKey = key;
      this.onArea({ left: l, width: w, min: r0, max: r1 });
    }
    const x = l + Math.min(1, Math.max(0, (this.t - r0) / (r1 - r0))) * w;
    Object.assign(this.line.style, { left: `${x - 1}px`, top: `${top}px`, height: `${h}px` });
    Object.assign(this.area.style, { left: `${x}px`, top: `${top}px`, height: `${h}px`, width: `${Math.max(0, l + w - x)}px` });
  }

  /** Moves the threshold line. */
  setThreshold(t: number) {
    this.t = t;
    this.place();
  }

  /** Map a pointer position to an x value through the axis range and the plot area's pixel size. */
  private xAt(ev: PointerEvent): number | null {
    const fl = this.gd._fullLayout;
    if (!fl) return null;
    const box = this.gd.getBoundingClientRect();
    const px = ev.clientX - box.left - fl._size.l;
    if (px < 0 || px > fl._size.w) return null;
    const [r0, r1] = fl.xaxis.range;
    return Math.min(1, Math.max(0, r0 + (px / fl._size.w) * (r1 - r0)));
  }

  private listen() {
    let dragging = false;
    let last: number | null = null;
    const down = (ev: PointerEvent) => {
      const x = this.xAt(ev);
      if (x === null) return;
      dragging = true;
      last = x;
      this.onThreshold(x, false);
      ev.preventDefault();
    };
    const move = (ev: PointerEvent) => {
      if (!dragging) return;
      const x = this.xAt(ev);
      if (x === null) return;
      last = x;
      this.onThreshold(x, false);
    };
    const up = () => {
      if (!dragging) return;
      dragging = false;
      if (last !== null) this.onThreshold(last, true);
    };
    this.gd.on?.('plotly_afterplot', () => this.place()); // resizes move the plot area
    // The output area's width is only known once the widget is attached: follow it, so the plot
    // (and the slider aligned to it) never runs past the cell.
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
      if (this.gd.clientWidth > 0) void this.plotly.Plots.resize(this.gd);
    }) : null;
    ro?.observe(this.gd);
    this.gd.addEventListener('pointerdown', down, true);
    window.addEventListener('pointermove', move, true);
    window.addEventListener('pointerup', up, true);
    this.detach = () => {
      ro?.disconnect();
      this.gd.removeEventListener('pointerdown', down, true);
      window.removeEventListener('pointermove', move, true);
      window.removeEventListener('pointerup', up, true);
    };
  }

  private detach = () => {};

  dispose() {
    this.detach();
    this.plotly.purge(this.gd);
  }
}
