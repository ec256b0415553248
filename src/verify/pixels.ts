/**
 * Aligned pixel correlation, the second signal for images too small for keypoints (CIFAR-sized,
 * 32×32): both images at one small gray size, Pearson correlation of the pixels (so brightness
 * and contrast changes cancel), maximised over small shifts (±`shift` px, for a crop or a border)
 * and a mirror (for a flipped copy). Two copies of one tiny photo correlate near 1; two different
 * photos of one subject correlate much lower, because their layouts differ pixel by pixel.
 */

/** Result of {@link alignedCorrelation}. */
export interface PixelMatch {
  /** Best Pearson correlation in [-1, 1] over the shifts and the mirror; -1 when undefined (a flat image). */
  correlation: number;
  /** The best alignment was the mirrored image. */
  flipped: boolean;
}

/**
 * Best correlation of two `side`×`side` gray images over shifts of up to `shift` pixels in x and y
 * and a left–right mirror of `b`. The overlap of a shift is compared; shifts whose overlap is under
 * 3/4 of the image are not tried.
 */
export function alignedCorrelation(a: Uint8Array, b: Uint8Array, side: number, shift = 2): PixelMatch {
  let best = -1;
  let flipped = false;
  for (const mirror of [false, true]) {
    for (let dy = -shift; dy <= shift; dy++) {
      for (let dx = -shift; dx <= shift; dx++) {
        const c = correlationAt(a, b, side, dx, dy, mirror);
        if (c > best) {
          best = c;
          flipped = mirror;
        }
      }
    }
  }
  return { correlation: best, flipped };
}

function correlationAt(a: Uint8Array, b: Uint8Array, side: number, dx: number, dy: number, mirror: boolean): number {
  const x0 = Math.max(0, dx);
  const x1 = Math.min(side, side + dx);
  const y0 = Math.max(0, dy);
  const y1 = Math.min(side, side + dy);
  const count = (x1 - x0) * (y1 - y0);
  if (count < 0.75 * side * side) return -1;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let y = y0; y < y1; y++) {
    const rowA = y * side;
    const rowB = (y - dy) * side;
    for (let x = x0; x < x1; x++) {
      const va = a[rowA + x];
      const xb = x - dx;
      const vb = b[rowB + (mirror ? side - 1 - xb : xb)];
      sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
    }
  }
  const cov = sab - (sa * sb) / count;
  const va = saa - (sa * sa) / count;
  const vb = sbb - (sb * sb) / count;
  if (va <= 1e-9 || vb <= 1e-9) return -1;
  return cov / Math.sqrt(va * vb);
}
