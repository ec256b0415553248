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

/**
 * Formats a count with thousands separators, as `toLocaleString('en-US')` does (70000 → "70,000"),
 * without its cost: its first call in a process loads ICU's number formats (≈ 40 ms, on the
 * explorer's first paint).
 */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const [int, frac] = String(Math.abs(x)).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${x < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}
