/**
 * The explorer's text and HTML fallbacks: what a frontend without the neardup extension shows
 * (JupyterLab without it, nbconvert, GitHub's notebook viewer), and what `console.log` prints.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SummaryInput {
  n: number;
  threshold: number;
  counts: { flagged: number; groups: number; to_remove: number; cross_split: number; label_conflicts: number };
  tags: number;
  /** Top pairs to list: [id, nearest id, similarity]. */
  top: Array<[string, string, number]>;
}

const fmt = (x: number) => x.toLocaleString('en-US');

export function summaryText(s: SummaryInput): string {
  const c = s.counts;
  const lines = [
    `Explorer(${fmt(s.n)} samples, threshold=${s.threshold}: ${fmt(c.flagged)} flagged, ${fmt(c.groups)} groups, ` +
      `${fmt(c.to_remove)} to remove, ${fmt(c.cross_split)} cross-split groups, ${fmt(c.label_conflicts)} label conflicts, ${fmt(s.tags)} tags)`,
  ];
  for (const [a, b, sim] of s.top) lines.push(`  ${sim.toFixed(4)}  ${a}  ~  ${b}`);
  return lines.join('\n');
}

export function summaryHtml(s: SummaryInput): string {
  const c = s.counts;
  const rows = s.top
    .map(([a, b, sim]) => `<tr><td>${sim.toFixed(4)}</td><td>${escapeHtml(a)}</td><td>${escapeHtml(b)}</td></tr>`)
    .join('');
  return (
    `<div class="neardup-explorer-fallback">` +
    `<p><b>neardup explorer</b>: ${fmt(s.n)} samples at threshold ${s.threshold}: ` +
    `<b>${fmt(c.flagged)}</b> flagged, <b>${fmt(c.groups)}</b> groups, <b>${fmt(c.to_remove)}</b> to remove, ` +
    `<b>${fmt(c.cross_split)}</b> cross-split groups, <b>${fmt(c.label_conflicts)}</b> label conflicts, ${fmt(s.tags)} manual tags.</p>` +
    (rows ? `<table><thead><tr><th>similarity</th><th>sample</th><th>nearest</th></tr></thead><tbody>${rows}</tbody></table>` : '') +
    `<p><i>The interactive view needs the neardup-widgets JupyterLab extension (<code>npx neardup install</code>).</i></p></div>`
  );
}
