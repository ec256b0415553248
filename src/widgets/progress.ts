/**
 * A notebook progress display for long work (embedding a dataset, scanning a folder).
 *
 * `progressBar(total, description)` shows an IntProgress bar plus a label with count, rate and
 * ETA, and returns an `onProgress(done, total)` callback for the pipeline stages
 * (e.g. `embedDataset(ds, { onProgress: progressBar(ds.df.shape[0], 'embedding') })`).
 * Updates are throttled so a fast loop does not flood the comm channel.
 */
import { IntProgress, HTML, HBox } from './controls';
import { display } from './base';
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
  if (box && opts.show !== false) display(box);

  const render = (done: number): void => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (max - done) / rate : Infinity;
    const text = `${done} / ${max} · ${rate.toFixed(rate < 10 ? 1 : 0)}/s · ${done >= max ? `done in ${fmtSeconds(secs)}` : `ETA ${fmtSeconds(eta)}`}`;
    if (bar && label) {
      bar.set({ value: Math.min(done, max), max });
      label.value = text;
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
      if (done >= max && bar) bar.bar_style = 'success';
    }
  }) as ProgressCallback;
  cb.widget = box;
  cb.finish = (style = 'success') => {
    render(style === 'success' ? max : lastDone);
    if (bar) bar.bar_style = style;
  };
  return cb;
}
