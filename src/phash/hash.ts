/**
 * Perceptual hash (pHash): a 64-bit fingerprint of an image's coarse luminance layout, robust to
 * resizing, recompression, blur and brightness changes, and cheap to compare (Hamming distance).
 *
 * Method (the classic DCT hash): luma → 32x32 (box-filtered) → 2-D DCT-II → the 8x8 lowest
 * frequencies → one bit per coefficient, set when it is above their median.
 * It complements CNN embeddings on tiny (32x32) and heavily degraded copies, where the CNN sees
 * mostly blur but the low-frequency layout survives; it does not survive flips, crops or padding.
 */

const N = 32;
const K = 8;

/** cos((2x+1)·u·π / 2N) for u < K, x < N: the only DCT rows the hash needs. */
const COS = (() => {
  const t = new Float64Array(K * N);
  for (let u = 0; u < K; u++) for (let x = 0; x < N; x++) t[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return t;
})();

/**
 * Box-filters interleaved 8-bit pixels (`channels` 1, 3 or 4) to a 32x32 luma grid (Rec. 601 weights).
 * Any input size ≥ 1 works; smaller inputs are sampled nearest-neighbour.
 */
export function lumaGrid(pixels: Uint8Array, width: number, height: number, channels: number): Float64Array {
  const out = new Float64Array(N * N);
  for (let gy = 0; gy < N; gy++) {
    const y0 = Math.floor((gy * height) / N);
    const y1 = Math.max(y0 + 1, Math.floor(((gy + 1) * height) / N));
    for (let gx = 0; gx < N; gx++) {
      const x0 = Math.floor((gx * width) / N);
      const x1 = Math.max(x0 + 1, Math.floor(((gx + 1) * width) / N));
      let s = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * width + x) * channels;
          s += channels >= 3 ? 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2] : pixels[p];
        }
      }
      out[gy * N + gx] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** 64-bit pHash of a 32x32 luma grid, as two uint32 words (bits 0–31, 32–63). */
export function phashFromGrid(grid: Float64Array): Uint32Array {
  // Separable DCT restricted to the K lowest frequencies: rows first, then columns.
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) for (let v = 0; v < K; v++) {
    let s = 0;
    for (let x = 0; x < N; x++) s += grid[y * N + x] * COS[v * N + x];
    rows[y * K + v] = s;
  }
  const coef = new Float64Array(K * K);
  for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) {
    let s = 0;
    for (let y = 0; y < N; y++) s += rows[y * K + v] * COS[u * N + y];
    coef[u * K + v] = s;
  }
  const sorted = Array.from(coef).sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  const h = new Uint32Array(2);
  for (let i = 0; i < 64; i++) if (coef[i] > median) h[i >> 5] |= 1 << (i & 31);
  return h;
}

/** pHash of interleaved 8-bit pixels. */
export function phash(pixels: Uint8Array, width: number, height: number, channels: number): Uint32Array {
  return phashFromGrid(lumaGrid(pixels, width, height, channels));
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Hamming distance (0–64) between hash `i` of `a` and hash `j` of `b`, where each array stores
 * hashes back to back as two uint32 words (as returned by {@link phash} or {@link phashAll}).
 */
export function hammingAt(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  return popcount32(a[2 * i] ^ b[2 * j]) + popcount32(a[2 * i + 1] ^ b[2 * j + 1]);
}

/** Hamming distance between two single hashes. */
export function hamming(a: Uint32Array, b: Uint32Array): number {
  return hammingAt(a, 0, b, 0);
}

/** Hashes of `n` square RGB images of side `size` packed back to back (as a decoded batch). */
export function phashAll(rgb: Uint8Array, n: number, size: number): Uint32Array {
  const out = new Uint32Array(2 * n);
  const len = size * size * 3;
  for (let i = 0; i < n; i++) out.set(phash(rgb.subarray(i * len, (i + 1) * len), size, size, 3), 2 * i);
  return out;
}
