/**
 * Multi-view embeddings: embed an image together with simple views of it (mirror, grayscale) and
 * average the normalised vectors. The average of a picture and its mirror is the same vector for
 * the picture and its mirror, so a flipped copy scores like an untouched one; adding the grayscale
 * view pulls a colour photo and its grayscale copy together. Each view is one more forward pass,
 * so `['flip']` doubles embedding time and `['flip', 'gray']` triples it (see docs/quality.md).
 */

/** A view of the decoded, model-sized RGB image. */
export type ViewName = 'flip' | 'gray';

export const VIEW_NAMES: readonly ViewName[] = ['flip', 'gray'];

/** Mirror left↔right of a `width x height` interleaved RGB image (new buffer). */
export function flipRgb(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      out[d] = rgb[s];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s + 2];
    }
  }
  return out;
}

/** Grayscale (Rec. 601 luma, replicated to R, G and B) of an interleaved RGB image (new buffer). */
export function grayRgb(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < rgb.length; p += 3) {
    const v = Math.round(0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2]);
    out[p] = out[p + 1] = out[p + 2] = v;
  }
  return out;
}

/**
 * The views of one image, original first: `views` lists the extra ones. With both `flip` and
 * `gray`, the mirrored grayscale image is included too, so the set stays closed under mirroring
 * (a flipped copy then has exactly the same views as its original).
 */
export function makeViews(rgb: Uint8Array, size: number, views: readonly ViewName[]): Uint8Array[] {
  const out = [rgb];
  const flip = views.includes('flip');
  if (flip) out.push(flipRgb(rgb, size, size));
  if (views.includes('gray')) {
    const g = grayRgb(rgb);
    out.push(g);
    if (flip) out.push(flipRgb(g, size, size));
  }
  return out;
}

/**
 * Averages `count` consecutive `dim`-vectors per image (each normalised first) and L2-normalises
 * the result: `vectors` holds n·count rows, image i's views at rows i·count … i·count+count-1.
 */
export function averageViews(vectors: Float32Array, n: number, count: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const o = out.subarray(i * dim, (i + 1) * dim);
    for (let v = 0; v < count; v++) {
      const row = vectors.subarray((i * count + v) * dim, (i * count + v + 1) * dim);
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += row[d] * row[d];
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) o[d] += row[d] * inv;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += o[d] * o[d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) o[d] *= inv;
  }
  return out;
}
