/**
 * A notebook progress display for long work (embedding a dataset, scanning a folder).
 *
 * `progressBar(total, description)` shows an IntProgress bar plus a label with count, rate and
 * ETA, and returns an `onProgress(done, total)` callback for the pipeline stages
 * (e.g. `embedDataset(ds, { onProgress: progressBar(ds.df.shape[0], 'embedding') })`).
 * Updates are throttled so a fast loop does not flood the comm channel.
 */
import { IntProgress, HTML, HBox } from './controls';
import { randomUUID } from 'node:crypto';
import { escapeHtml } from './explorer/summary';
import { getCommManager } from '../kernel/comm';

/** The callback returned by {@link progressBar}; `.widget` is the displayed box. */
export interface ProgressCallback {
  (done: number, total?: number): void;
  /** The displayed box (bar + label); null outside a kernel. */
  widget: HBox | null;
  /** Marks the work as finished (green bar) or failed (`'danger'`). */
  finish(style?: 'success' | 'danger'): void;
}

export interface ProgressBarOptions {
  /** Minimum milliseconds between two updates sent to the browser (default 100). */
  intervalMs?: number;
  /** Show the bar now (default true); otherwise call `display(cb.widget)` yourself. */
  show?: boolean;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Creates (and by default displays) a progress bar for `total` items. Inside the neardup kernel it
 * is a widget; elsewhere it writes a one-line text progress to stderr.
 */
export function progressBar(total: number, description = '', opts: ProgressBarOptions = {}): ProgressCallback {
  const interval = opts.intervalMs ?? 100;
  const start = Date.now();
  let last = 0;
  let lastDone = 0;
  let max = Math.max(0, total);
  const inKernel = getCommManager().transport !== null;
  const bar = inKernel ? new IntProgress({ value: 0, min: 0, max, description, style: { description_width: 'initial' } }) : null;
  const label = inKernel ? new HTML({ value: `0 / ${max}` }) : null;
  const box = bar && label ? new HBox([bar, label]) : null;
  // The display carries an id so the finished bar replaces it with a static picture (text/html)
  // that exported notebooks (nbconvert HTML) show without the widget manager.
  const displayId = box ? `neardup-progress-${randomUUID()}` : '';
  const staticBundle = (done: number, text: string, style: string) => {
    const b = box!._repr_mimebundle_();
    const pct = max > 0 ? Math.min(100, (100 * done) / max) : 100;
    const colour = style === 'danger' ? '#d0463a' : style === 'success' ? '#2e9d4f' : '#1976d2';
    const html =
      `<div style="font-family:sans-serif;font-size:12px;display:flex;align-items:center;gap:8px">` +
      (description ? `<span>${escapeHtml(description)}</span>` : '') +
      `<span style="display:inline-block;width:240px;height:12px;border:1px solid #bbb;border-radius:2px;background:#eee">` +
      `<span style="display:block;height:100%;width:${pct.toFixed(1)}%;background:${colour}"></span></span><span>${escapeHtml(text)}</span></div>`;
    return { data: { ...b.data, 'text/plain': `${description ? `${description}: ` : ''}${text}`, 'text/html': html }, metadata: b.metadata };
  };
  if (box && opts.show !== false) {
    const t = getCommManager().transport;
    const b = staticBundle(0, `0 / ${max}`, '');
    if (t) t.display(b.data, b.metadata, displayId);
  }

  let lastText = '';
  const finishStatic = (style: 'success' | 'danger', done: number) => {
    bar!.bar_style = style;
    const t = getCommManager().transport;
    if (t?.updateDisplay && opts.show !== false) {
      const b = staticBundle(done, lastText, style);
      t.updateDisplay(b.data, b.metadata, displayId);
    }
  };
  const render = (done: number): void => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (max - done) / rate : Infinity;
    const text = `${done} / ${max} · ${rate.toFixed(rate < 10 ? 1 : 0)}/s · ${done >= max ? `done in ${fmtSeconds(secs)}` : `ETA ${fmtSeconds(eta)}`}`;
    if (bar && label) {
      bar.set({ value: Math.min(done, max), max });
      label.value = text;
      lastText = text;
    } else {
      process.stderr.write(`\r${description ? `${description}: ` : ''}${text}${done >= max ? '\n' : ''}`);
    }
  };

  const cb = ((done: number, t?: number) => {
    if (t !== undefined && t !== max) max = Math.max(0, t);
    lastDone = done;
    const now = Date.now();
    if (done >= max || now - last >= interval) {
      last = now;
      render(done);
      if (done >= max && bar) finishStatic('success', done);
    }
  }) as ProgressCallback;
  cb.widget = box;
  cb.finish = (style = 'success') => {
    render(style === 'success' ? max : lastDone);
    if (bar) finishStatic(style, style === 'success' ? max : lastDone);
  };
  return cb;
}
