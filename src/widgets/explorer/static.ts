/**
 * A static, offline picture of the explorer: the histogram of max_similarity with the threshold
 * (inline SVG), the counts, and the first groups as cards with their images (PNG data URIs).
 * Used for the widget's `text/html` fallback (what nbconvert's HTML, GitHub and frontends without
 * the extension show) and for `neardup report` / `neardup scan --report`, so both look the same.
 * No script, no external resource: the HTML opens offline.
 */
import type { Neighbors } from '../../types';
import type { Histogram } from '../../dedup/threshold';
import type { ExplorerCounts } from './decide';
import { escapeHtml } from './summary';
import { formatCount, formatSimilarity } from './format';

export { formatSimilarity };

/** One member of a group card. */
export interface StaticMember {
  row: number;
  id: string;
  label: string | null;
  split: string | null;
  /** Cosine similarity to the kept copy when the two are in each other's k-NN lists; null otherwise. */
  similarity: number | null;
  /** Why the member is in the group, in words (the rule to the kept copy, or the chain). */
  evidence: string;
  /** The rule in a few words for the card ("cos ≥ 0.94", "pixels r=0.982", "exact", "via …"); '' for the kept copy. */
  rule: string;
  removed: boolean;
  tag: string | null;
}

/** One group card: the kept copy first, then the other members by similarity to it. */
export interface StaticGroup {
  group: number;
  crossSplit: boolean;
  labelConflict: boolean;
  /** Kept members still span more than one split. */
  leak: boolean;
  /** Members in the group (the card may list fewer, see `groupCards`' maxMembers). */
  size?: number;
  members: StaticMember[];
}

/**
 * Similarity of `row` to `other` from the k-NN lists (either direction), or null when neither
 * lists the other (they were joined through other members).
 */
export function pairSimilarity(nb: Neighbors, row: number, other: number): number | null {
  for (const [a, b] of [[row, other], [other, row]]) {
    for (let j = 0; j < nb.k; j++) {
      const x = nb.indices[a * nb.k + j];
      if (x < 0) break;
      if (x === b) return nb.scores[a * nb.k + j];
    }
  }
  return null;
}

/** The verdict of a pair as words (see evidence.ts `verdictText`): `short` for a tile, `long` for a tooltip. */
export type VerdictFn = (row: number, other: number, score: number, exact: boolean) => { short: string; long: string };

/**
 * Evidence for one member against the kept copy: its similarity to the kept copy (null when they are
 * not in each other's k-NN lists) and why it is in the group, in words: the rule that made it a
 * duplicate of the kept copy (exact copy, cosine ≥ the sure level, keypoints, aligned pixels, pHash),
 * or the member it was joined through and the rule of that link (chained groups).
 * Without `verdict`, only the cosine is named.
 */
export function memberEvidence(
  nb: Neighbors,
  row: number,
  keeper: number,
  threshold: number,
  groupOf: ArrayLike<number>,
  exactGroups: ArrayLike<number> | undefined,
  ids: readonly string[],
  verdict?: VerdictFn,
): { similarity: number | null; evidence: string; rule: string } {
  if (row === keeper) return { similarity: null, evidence: 'kept copy', rule: '' };
  const words = verdict ?? ((_r: number, _o: number, score: number, exact: boolean) =>
    exact ? { short: 'exact', long: 'exact copy (same bytes or pixels)' } : { short: `cos ≥ ${threshold}`, long: `cosine ${formatSimilarity(score)} ≥ threshold ${threshold}` });
  const isExact = (a: number, b: number) => !!exactGroups && exactGroups[a] >= 0 && exactGroups[a] === exactGroups[b];
  const s = pairSimilarity(nb, row, keeper);
  if (isExact(row, keeper)) {
    const v = words(row, keeper, s ?? 1, true);
    return { similarity: s, evidence: `${v.long}, of the kept copy`, rule: v.short };
  }
  if (s !== null && s >= Math.fround(threshold)) {
    const v = words(row, keeper, s, false);
    return { similarity: s, evidence: `${v.long}, to the kept copy`, rule: v.short };
  }
  // Joined through another member: name the strongest link inside the group.
  for (let j = 0; j < nb.k; j++) {
    const x = nb.indices[row * nb.k + j];
    if (x < 0) break;
    if (x !== row && groupOf[x] === groupOf[row]) {
      const v = words(row, x, nb.scores[row * nb.k + j], isExact(row, x));
      return {
        similarity: s,
        evidence: `joined through ${ids[x]}: ${v.long}; ${s === null ? 'not a near neighbour of' : `cosine ${formatSimilarity(s)} to`} the kept copy`,
        rule: `via ${v.short}`,
      };
    }
  }
  // The same words as the live view (widgets/src/compute.ts groupMembers); the tile shows the similarity.
  return { similarity: s, evidence: 'joined through other members', rule: 'via chain' };
}

/** Builds the cards of the given groups (kept copy first, then members by similarity to it). */
export function groupCards(input: {
  groups: number[];
  members: (g: number) => number[];
  keeper: (g: number) => number;
  removed: ArrayLike<number>;
  tags: Map<number, string>;
  nb: Neighbors;
  threshold: number;
  groupOf: ArrayLike<number>;
  exactGroups?: ArrayLike<number>;
  ids: readonly string[];
  /** Words for a pair's verdict (evidence.ts); default: the cosine only. */
  verdict?: VerdictFn;
  labels: (row: number) => string | null;
  splits: (row: number) => string | null;
  flags: (g: number) => { crossSplit: boolean; labelConflict: boolean; leak: boolean };
  /**
   * Members listed per card (default: all). The order needs every member's similarity to the kept
   * copy (a k-NN lookup), but the words are built for the listed ones only: a chain at a low
   * threshold holds thousands of members and a card shows a handful.
   */
  maxMembers?: number;
}): StaticGroup[] {
  const cap = input.maxMembers ?? Infinity;
  return input.groups.map((g) => {
    const keeper = input.keeper(g);
    const all = input.members(g);
    const sims = new Map<number, number | null>();
    for (const row of all) sims.set(row, row === keeper ? null : pairSimilarity(input.nb, row, keeper));
    all.sort((a, b) => (a === keeper ? -1 : b === keeper ? 1 : (sims.get(b) ?? -2) - (sims.get(a) ?? -2) || a - b));
    const members = all.slice(0, cap).map((row): StaticMember => {
      const ev = memberEvidence(input.nb, row, keeper, input.threshold, input.groupOf, input.exactGroups, input.ids, input.verdict);
      return {
        row,
        id: input.ids[row],
        label: input.labels(row),
        split: input.splits(row),
        similarity: ev.similarity,
        evidence: ev.evidence,
        rule: ev.rule,
        removed: input.removed[row] === 1,
        tag: input.tags.get(row) ?? null,
      };
    });
    return { group: g, ...input.flags(g), size: all.length, members };
  });
}

const fmt = formatCount;

/** Tick values for a log axis up to `max`: 1, 10, 100, … (never crowded). */
function logTicks(max: number): number[] {
  // Below 10 samples per bin a single "1" says little: add 2 and 5.
  if (max < 10) return [1, 2, 5].filter((v) => v <= max);
  const out: number[] = [];
  for (let v = 1; v <= max * 1.0001; v *= 10) out.push(v);
  return out;
}

/**
 * The histogram as an inline SVG: log-scaled counts per bin, the flagged region shaded right of
 * the threshold, a red threshold line, readable ticks on both axes.
 */
export function histogramSvg(h: Histogram, threshold: number, width = 720, height = 170): string {
  const m = { l: 46, r: 10, t: 8, b: 32 };
  const w = width - m.l - m.r;
  const ht = height - m.t - m.b;
  const lo = h.edges[0];
  const hi = Math.max(h.edges[h.edges.length - 1], Math.min(1, threshold));
  const max = Math.max(1, ...h.counts);
  const x = (v: number) => m.l + ((v - lo) / (hi - lo || 1)) * w;
  const y = (c: number) => m.t + ht - (c <= 0 ? 0 : (Math.log10(c + 1) / Math.log10(max + 1)) * ht);
  const bars = h.counts
    .map((c, i) => (c > 0 ? `<rect x="${x(h.edges[i]).toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(0.5, x(h.edges[i + 1]) - x(h.edges[i])).toFixed(1)}" height="${(m.t + ht - y(c)).toFixed(1)}" fill="#6b8fc7"><title>${h.edges[i].toFixed(3)}–${h.edges[i + 1].toFixed(3)}: ${fmt(c)} samples</title></rect>` : ''))
    .join('');
  const xt: string[] = [];
  const step = (hi - lo) > 0.2 ? 0.05 : (hi - lo) > 0.08 ? 0.02 : 0.01;
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
    xt.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${m.t + ht}" y2="${m.t + ht + 4}" stroke="#666"/><text x="${x(v).toFixed(1)}" y="${m.t + ht + 15}" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  const yt = logTicks(max).map((v) => `<line x1="${m.l - 4}" x2="${m.l}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#666"/><text x="${m.l - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  const tx = x(Math.min(hi, Math.max(lo, threshold)));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10" role="img" aria-label="histogram of max_similarity, threshold ${threshold}">` +
    `<rect x="${tx.toFixed(1)}" y="${m.t}" width="${Math.max(0, m.l + w - tx).toFixed(1)}" height="${ht}" fill="rgba(220,80,60,0.12)"/>` +
    bars +
    `<line x1="${m.l}" x2="${m.l + w}" y1="${m.t + ht}" y2="${m.t + ht}" stroke="#666"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ht}" stroke="#666"/>` +
    xt.join('') + yt.join('') +
    `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${m.t}" y2="${m.t + ht}" stroke="#d0463a" stroke-width="2"/>` +
    // The label goes left of the line near the right edge, so it is never cut off.
    (tx > m.l + w - 90
      ? `<text x="${(tx - 4).toFixed(1)}" y="${m.t + 10}" fill="#d0463a" text-anchor="end">threshold ${threshold}</text>`
      : `<text x="${(tx + 4).toFixed(1)}" y="${m.t + 10}" fill="#d0463a">threshold ${threshold}</text>`) +
    `<text x="${m.l + w / 2}" y="${height - 2}" text-anchor="middle">max_similarity (cosine to the nearest other sample)</text>` +
    `<text transform="translate(10 ${m.t + ht / 2}) rotate(-90)" text-anchor="middle">samples (log)</text>` +
    `</svg>`
  );
}

/** The counts line, each named for what it counts. */
export function countsHtml(c: ExplorerCounts): string {
  const items: [number, string][] = [
    [c.flagged_samples, 'samples in groups'],
    [c.groups, 'groups'],
    [c.samples_to_remove, 'samples to remove'],
    [c.cross_split_groups, 'cross-split groups'],
    [c.leaks_remaining, 'leaks kept'],
    [c.label_conflict_groups, 'label-conflict groups'],
  ];
  return items.map(([v, l]) => `<span style="margin-right:14px"><b style="font-size:14px">${fmt(v)}</b> ${l}</span>`).join('');
}

/** Shortens an id in the middle, keeping the file name: "imagededup/base_images/ukbench…0120.jpg". */
export function middleEllipsis(s: string, max = 28): string {
  if (s.length <= max) return s;
  const tail = Math.ceil((max - 1) * 0.6);
  return `${s.slice(0, max - 1 - tail)}…${s.slice(s.length - tail)}`;
}

function memberHtml(m: StaticMember, thumb: string | undefined, size: number): string {
  const kept = !m.removed;
  const border = kept ? '#2e9d4f' : '#d0463a';
  const badge = kept ? 'keep' : 'remove';
  const img = thumb
    ? `<img src="${thumb}" width="${size}" height="${size}" style="image-rendering:pixelated;object-fit:contain;display:block" alt="${escapeHtml(m.id)}">`
    : `<div style="width:${size}px;height:${size}px;background:#eee"></div>`;
  const meta = [m.label, m.split].filter((x) => x).map((x) => escapeHtml(String(x))).join(' · ');
  const sim = m.similarity === null ? '' : `sim ${formatSimilarity(m.similarity)}`;
  return (
    `<div style="width:${size + 18}px;border:3px solid ${border};border-radius:4px;padding:1px;font-size:10px;line-height:1.25" title="${escapeHtml(`${m.id}\n${m.evidence}`)}">` +
    img +
    `<div style="font-family:monospace;font-size:9px;white-space:nowrap;overflow:hidden">${escapeHtml(middleEllipsis(m.id, 14))}</div>` +
    (meta ? `<div style="color:#555">${meta}</div>` : '') +
    `<div><span style="background:${kept ? '#c8e6c9' : '#f4c7c3'};padding:0 3px;border-radius:3px">${badge}${m.tag ? ' (tagged)' : ''}</span></div>` +
    (sim ? `<div>${sim}</div>` : '') +
    (m.rule ? `<div style="color:#444;font-size:9px;overflow-wrap:anywhere">${escapeHtml(m.rule)}</div>` : '') +
    `</div>`
  );
}

/** Input of {@link staticExplorerHtml}. */
export interface StaticExplorerInput {
  title: string;
  samples: number;
  threshold: number;
  counts: ExplorerCounts;
  histogram: Histogram;
  groups: StaticGroup[];
  /** Data URIs of the thumbnails by row (missing rows show a grey square). */
  thumbs: Map<number, string>;
  /** Total groups (the cards show the first few). */
  totalGroups: number;
  thumbSize?: number;
  note?: string;
}

/** The static explorer as an HTML fragment (inline styles only, no script, no external resource). */
export function staticExplorerHtml(s: StaticExplorerInput): string {
  const size = s.thumbSize ?? 64;
  const cards = s.groups
    .map((g) => {
      const badges = [g.crossSplit ? (g.leak ? 'cross-split: leak kept' : 'cross-split') : '', g.labelConflict ? 'label conflict' : '']
        .filter(Boolean)
        .map((b) => `<span style="background:${b.startsWith('cross') ? '#ffe0a3' : '#e1c8f0'};padding:0 4px;border-radius:3px;margin-left:4px">${b}</span>`)
        .join('');
      return (
        `<div style="border:1px solid #ccc;border-radius:4px;padding:4px;margin:3px;display:inline-block;vertical-align:top">` +
        `<div style="font-size:11px;margin-bottom:2px"><b>group ${g.group}</b> · ${g.size ?? g.members.length} samples${badges}</div>` +
        `<div style="display:flex;gap:4px">${g.members.slice(0, 6).map((m) => memberHtml(m, s.thumbs.get(m.row), size)).join('')}` +
        ((g.size ?? g.members.length) > 6 ? `<div style="align-self:center;font-size:11px">+${(g.size ?? g.members.length) - 6} more</div>` : '') +
        `</div></div>`
      );
    })
    .join('');
  return (
    `<div class="neardup-explorer-static" style="font-family:sans-serif;font-size:12px">` +
    `<div style="font-weight:600;font-size:13px">${escapeHtml(s.title)}: ${fmt(s.samples)} samples, threshold ${s.threshold}</div>` +
    `<div style="margin:4px 0">${countsHtml(s.counts)}</div>` +
    histogramSvg(s.histogram, s.threshold) +
    (s.groups.length
      ? `<div style="font-size:11px;color:#555">The first ${s.groups.length} of ${fmt(s.totalGroups)} groups, most similar first; the kept copy is first in each card (green border: keep, red: remove).</div><div>${cards}</div>`
      : `<div style="color:#555">No groups at this threshold.</div>`) +
    (s.note ? `<div style="font-size:11px;color:#777;font-style:italic;margin-top:4px">${escapeHtml(s.note)}</div>` : '') +
    `</div>`
  );
}
