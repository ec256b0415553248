/**
 * A plain-text progress reporter for notebooks and logs: one short line every few seconds
 * (no carriage-return tricks, which notebook outputs and CI logs render poorly).
 */
export interface TextProgressOptions {
  /** What is being counted, e.g. "embedding". */
  label?: string;
  /** Minimum seconds between lines. Default 2. */
  every?: number;
  /** Where lines go. Default `console.log`. */
  write?: (line: string) => void;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** Returns an `onProgress(done, total)` callback that prints throttled progress lines. */
export function textProgress(opts: TextProgressOptions = {}): (done: number, total: number) => void {
  const label = opts.label ?? 'embedding';
  const every = (opts.every ?? 2) * 1000;
  const write = opts.write ?? ((line: string) => console.log(line));
  const start = Date.now();
  let last = 0;
  let finished = false;
  let startDone = -1;
  return (done, total) => {
    const now = Date.now();
    if (startDone < 0) startDone = done;
    if (finished || (done < total && now - last < every && done !== 0) || (done === 0 && last !== 0)) return;
    last = now;
    const secs = (now - start) / 1000;
    const rate = secs > 0 ? (done - startDone) / secs : 0;
    const pct = total ? ((100 * done) / total).toFixed(1) : '100.0';
    const eta = rate > 0 ? clock((total - done) / rate) : '?';
    if (done >= total) {
      finished = true;
      write(`${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} done in ${clock(secs)} (${rate.toFixed(0)}/s)`);
    } else {
      write(`${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%) ${rate.toFixed(0)}/s, ETA ${eta}`);
    }
  };
}
