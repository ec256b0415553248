/**
 * The final keep/remove decision of the explorer: the automatic choice at a threshold, manual tags
 * on top, and one safety rule — a group never loses its last copy without an explicit `'drop'` tag.
 * The browser (widgets/src/compute.ts `decide`) applies the same rules; a test checks they agree.
 */

/**
 * A manual override of the automatic choice:
 * - `'keep'` keeps the sample;
 * - `'remove'` removes it, but never the last kept copy of its group (another copy is kept instead);
 * - `'drop'` removes it even when it is the last copy (the widget asks for confirmation first).
 */
export type ExplorerTag = 'keep' | 'remove' | 'drop';

/**
 * Counts at the current threshold with tags applied (what the widget shows, what `summary()` and
 * `exportAll()` write). Each name says what it counts: samples, groups or pairs.
 */
export interface ExplorerCounts {
  threshold: number;
  /** Samples that belong to a group (have a near-duplicate or exact copy at the threshold). */
  flagged_samples: number;
  /** Groups of ≥ 2 samples. */
  groups: number;
  /** Samples that will be dropped: automatic choice with tags applied (rows of removed.csv). */
  samples_to_remove: number;
  /** Samples the automatic choice alone would drop (before tags). */
  samples_to_remove_auto: number;
  /** Groups with members in more than one split (train/test leakage). */
  cross_split_groups: number;
  /** Cross-split groups whose kept samples are still in more than one split (a leak that stays). */
  leaks_remaining: number;
  /** Groups whose labelled members carry more than one label. */
  label_conflict_groups: number;
  /** Groups where every copy is removed (only through a confirmed `'drop'` tag). */
  groups_dropped: number;
  /** Groups where tags asked to remove every copy without `'drop'`: their best copy was kept. */
  last_copies_kept: number;
  /** Manual tags in force (known ids only); `tagged_remove` includes `'drop'`. */
  tagged_keep: number;
  tagged_remove: number;
}

/** What {@link decide} returns. */
export interface Decision {
  /** 1 when the row is removed in the end. */
  removed: Uint8Array;
  /** Per group: 1 when its kept members still span more than one split. */
  leak: Uint8Array;
  /** Per group: 1 when a copy was kept against the tags (the last-copy rule). */
  rescued: Uint8Array;
  /** Per group: 1 when every member is removed (confirmed by a `'drop'` tag). */
  dropped: Uint8Array;
  samplesToRemove: number;
  leaksRemaining: number;
  groupsDropped: number;
  lastCopiesKept: number;
  taggedKeep: number;
  taggedRemove: number;
}

/**
 * Applies tags to an automatic grouping.
 *
 * @param groupOf group of each row (-1 = none); groups numbered 0..nGroups-1
 * @param autoRemoved 1 for rows the keep policy removes
 * @param tags manual tags by row
 * @param rank keep priority of each row (lower is kept first), used to pick the copy kept by the last-copy rule
 * @param splitCodes split of each row as a small integer (-1 = none)
 * @param members the rows in groups (any order; `GroupResult.members`): when given, the passes
 *   visit them only instead of every row (the same result; at 1,000,000 rows most are in no group)
 */
export function decide(
  groupOf: Int32Array,
  nGroups: number,
  autoRemoved: Uint8Array,
  tags: Map<number, ExplorerTag>,
  rank: ArrayLike<number>,
  splitCodes: ArrayLike<number>,
  members?: Int32Array,
): Decision {
  const n = members ? members.length : groupOf.length;
  const rowAt = members ? (p: number) => members[p] : (p: number) => p;
  const removed = autoRemoved.slice();
  let taggedKeep = 0;
  let taggedRemove = 0;
  // Removed rows outside any group (tagged remove / drop): counted here when only members are visited.
  let removedOutside = 0;
  for (const [row, tag] of tags) {
    removed[row] = tag === 'keep' ? 0 : 1;
    if (tag === 'keep') taggedKeep++;
    else taggedRemove++;
    if (members && groupOf[row] < 0) removedOutside += removed[row];
  }
  // Per group: any kept member? any drop tag? best candidate to keep if none is.
  const hasKept = new Uint8Array(nGroups);
  const hasDrop = new Uint8Array(nGroups);
  const bestUntagged = new Int32Array(nGroups).fill(-1);
  const bestAny = new Int32Array(nGroups).fill(-1);
  // Without tags a keep policy leaves a kept member in every group, so the rescue below finds
  // nothing: a cheap check of that replaces the pass with its rank comparisons.
  let full = tags.size > 0;
  if (!full) {
    for (let p = 0; p < n; p++) {
      const i = rowAt(p);
      const g = groupOf[i];
      if (g >= 0 && !removed[i]) hasKept[g] = 1;
    }
    for (let g = 0; g < nGroups && !full; g++) if (!hasKept[g]) full = true;
  }
  for (let p = 0; p < n && full; p++) {
    const i = rowAt(p);
    const g = groupOf[i];
    if (g < 0) continue;
    if (!removed[i]) hasKept[g] = 1;
    const tag = tags.size ? tags.get(i) : undefined;
    if (tag === 'drop') hasDrop[g] = 1;
    if (bestAny[g] < 0 || rank[i] < rank[bestAny[g]]) bestAny[g] = i;
    if (tag === undefined && (bestUntagged[g] < 0 || rank[i] < rank[bestUntagged[g]])) bestUntagged[g] = i;
  }
  const rescued = new Uint8Array(nGroups);
  const dropped = new Uint8Array(nGroups);
  let lastCopiesKept = 0;
  let groupsDropped = 0;
  for (let g = 0; g < nGroups && full; g++) {
    if (hasKept[g]) continue;
    if (hasDrop[g]) {
      dropped[g] = 1;
      groupsDropped++;
      continue;
    }
    // Prefer a copy nobody tagged; else the policy's favourite among the tagged ones.
    const keep = bestUntagged[g] >= 0 ? bestUntagged[g] : bestAny[g];
    if (keep >= 0) {
      removed[keep] = 0;
      rescued[g] = 1;
      lastCopiesKept++;
    }
  }
  // A leak that stays: kept members in more than one split.
  const firstKeptSplit = new Int32Array(nGroups).fill(-1);
  const leak = new Uint8Array(nGroups);
  let samplesToRemove = removedOutside;
  for (let p = 0; p < n; p++) {
    const i = rowAt(p);
    samplesToRemove += removed[i];
    const g = groupOf[i];
    if (g < 0 || removed[i]) continue;
    const s = splitCodes[i];
    if (s < 0) continue;
    if (firstKeptSplit[g] < 0) firstKeptSplit[g] = s;
    else if (firstKeptSplit[g] !== s) leak[g] = 1;
  }
  let leaksRemaining = 0;
  for (let g = 0; g < nGroups; g++) leaksRemaining += leak[g];
  return { removed, leak, rescued, dropped, samplesToRemove, leaksRemaining, groupsDropped, lastCopiesKept, taggedKeep, taggedRemove };
}

/**
 * The {@link decide} result without tags, from what the fast regroup already knows (the same
 * result, tested against `decide`): the removed rows are the automatic choice's, no group is
 * rescued or dropped, and `leak` comes with the grouping (`Regrouper.flags`). Saves two passes
 * over the members per slider step (about 10 ms at 1,000,000 samples).
 *
 * @param autoRemoved 1 for rows the keep policy removes (`GroupResult.is_duplicate`, n entries)
 * @param keepers each group's kept copy (-1 = none)
 * @param toRemove how many rows `autoRemoved` marks
 * @param leak per group: 1 when its kept members span more than one split; `leaks` their number
 * @returns null when some group has no kept member (only tags can cause it; use {@link decide})
 */
export function autoDecision(autoRemoved: Uint8Array, keepers: Int32Array, toRemove: number, leak: Uint8Array, leaks: number): Decision | null {
  for (let g = 0; g < keepers.length; g++) if (keepers[g] < 0) return null;
  const nGroups = keepers.length;
  return {
    removed: autoRemoved.slice(),
    leak,
    rescued: new Uint8Array(nGroups),
    dropped: new Uint8Array(nGroups),
    samplesToRemove: toRemove,
    leaksRemaining: leaks,
    groupsDropped: 0,
    lastCopiesKept: 0,
    taggedKeep: 0,
    taggedRemove: 0,
  };
}
