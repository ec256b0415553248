/**
 * The explorer's text and HTML fallbacks: what a frontend without the neardup extension shows
 * (JupyterLab without it, nbconvert, GitHub's notebook viewer), and what `console.log` prints.
 */

import type { ExplorerCounts } from './decide';
import { formatCount, formatSimilarity } from './format';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SummaryInput {
  n: number;
  threshold: number;
  counts: ExplorerCounts;
  tags: number;
  /** Top pairs to list: [id, nearest id, similarity]. */
  top: Array<[string, string, number]>;
}

const fmt = formatCount;

/** The explorer as text: one line of counts (each named for what it counts), then the top pairs. */
export function summaryText(s: SummaryInput): string {
  const c = s.counts;
  const lines = [
    `Explorer(${fmt(s.n)} samples, threshold=${s.threshold}: ${fmt(c.flagged_samples)} samples in ${fmt(c.groups)} groups, ` +
      `${fmt(c.samples_to_remove)} samples to remove, ${fmt(c.cross_split_groups)} cross-split groups (${fmt(c.leaks_remaining)} leaks kept), ` +
      `${fmt(c.label_conflict_groups)} label-conflict groups, ${fmt(s.tags)} tags)`,
  ];
  for (const [a, b, sim] of s.top) lines.push(`  ${formatSimilarity(sim)}  ${a}  ~  ${b}`);
  return lines.join('\n');
}
