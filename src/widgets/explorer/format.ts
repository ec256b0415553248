/** Number formatting shared by the explorer's text, HTML and static views. */

/**
 * Formats a cosine similarity with 3 decimals, adding digits so that a value below 1 never reads
 * "1.000" (0.99996 → "0.99996"; anything closer to 1 than that → "0.99999+").
 */
export function formatSimilarity(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s >= 1) return '1.000';
  for (let d = 3; d <= 5; d++) {
    const t = s.toFixed(d);
    if (!t.startsWith('1')) return t;
  }
  return '0.99999+';
}
