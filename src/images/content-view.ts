/**
 * The content view (issue 10): the part of an image inside the fill a copy was given, so the embedding
 * sees the picture and not the fill. Two kinds of fill are recognised, both of one uniform colour and both
 * leaving the content a convex polygon with straight sides:
 *
 * - letterbox and pillarbox bars: the content is an axis-aligned rectangle;
 * - the corners a rotation by a few degrees leaves (four triangles, black in most editors): the content is a
 *   rotated rectangle (cut by the frame when the copy was cropped too).
 *
 * The test runs on a small gray copy of the decoded image ({@link findContentBox}): the fill colour is the
 * within `threshold` gray levels of the corners' colour that is connected to the border through such
 * pixels (a flood fill, so dark areas inside the picture stay content); the rest must be one convex polygon
 * whose vertices are its extreme points (its area within {@link SHAPE_TOLERANCE} of the polygon through its
 * leftmost, rightmost, topmost and bottommost pixels). A galaxy or an object on a uniform background is a
 * blob or an irregular shape there and is left alone; a rectangle inside bars, or a rotated rectangle
 * inside corner triangles, passes. The view is then the largest axis-aligned rectangle inside the content,
 * one thumbnail pixel in from its edges (antialiased edges are neither fill nor content).
 *
 * Tiny images (under 64 px a side, MNIST- and CIFAR-like) never take this path (images/decode.ts).
 */

/** Side of the gray thumbnail the test runs on, in pixels. */
export const CONTENT_TEST_SIDE = 128;
/** Largest difference from the fill colour, in 8-bit gray levels (as src/verify/trim.ts: JPEG ringing along the fill still counts as fill). */
export const FILL_THRESHOLD = 14;
/** Least share of a side the view must cut (as src/verify/trim.ts's bars): thinner fill is left alone. */
export const MIN_CUT = 0.03;
/** Least share of the image the view must keep; less, and the image is left whole. */
export const MIN_KEEP = 0.25;
/** How far the content's area may differ from its extreme-point polygon's, as a share of the polygon's. */
export const SHAPE_TOLERANCE = 0.04;

/** Largest mean difference of the fill from its colour, in gray levels (flat bars and corners: about 0). */
export const MAX_FILL_DEVIATION = 2;
/** Least share of the points just inside each edge of the content that must differ from the fill. */
export const MIN_EDGE_CONTENT = 0.5;

/** A region of an image as fractions of its width and height (0–1), top-left origin. */
export interface ContentBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The content view's box in a `side`×`side` gray image (row-major, one byte per pixel), or `null` when the
 * image has no uniform fill shaped like bars or rotation corners, or when cutting it would remove less
 * than {@link MIN_CUT} of each side or keep less than {@link MIN_KEEP} of the image. Pure.
 * @param threshold largest difference from the fill colour, in gray levels (default {@link FILL_THRESHOLD})
 */
export function findContentBox(gray: Uint8Array, side: number, threshold = FILL_THRESHOLD): ContentBox | null {
  if (side < 16 || gray.length < side * side) return null;
  const fill = fillColour(gray, side, threshold);
  if (fill < 0) return null;
  const hull = contentHull(gray, side, fill, threshold);
  if (!hull) return null;
  const inside = insideMask(hull, side);
  if (!flatOutside(gray, inside, fill) || !sharpEdges(gray, side, hull, fill, threshold)) return null;
  const r = largestRectangle(inside, side);
  // One pixel in from every edge the rectangle does not share with the image.
  const x0 = r.x0 > 0 ? r.x0 + 1 : 0;
  const y0 = r.y0 > 0 ? r.y0 + 1 : 0;
  const x1 = r.x1 < side ? r.x1 - 1 : side;
  const y1 = r.y1 < side ? r.y1 - 1 : side;
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return null;
  if (w > side * (1 - MIN_CUT) && h > side * (1 - MIN_CUT)) return null;
  if (w * h < MIN_KEEP * side * side) return null;
  return { x: x0 / side, y: y0 / side, w: w / side, h: h / side };
}

/**
 * The fill colour: the gray level shared (within `threshold`) by at least three of the four corner pixels
 * (their mean), or -1. Bars and rotation corners cover every corner; a crop after a rotation may keep one.
 */
function fillColour(gray: Uint8Array, side: number, threshold: number): number {
  const c = [gray[0], gray[side - 1], gray[(side - 1) * side], gray[side * side - 1]];
  for (const ref of c) {
    const near = c.filter((v) => Math.abs(v - ref) <= threshold);
    if (near.length >= 3) return near.reduce((a, b) => a + b, 0) / near.length;
  }
  return -1;
}

type Point = [number, number];

/**
 * The convex hull of the pixels that differ from `fill` by more than `threshold` (pixel edges as
 * coordinates), when it is a polygon with its vertices at its extreme points: its area within
 * {@link SHAPE_TOLERANCE} of the polygon through the two ends of its topmost and bottommost rows and the top
 * and bottom of its leftmost and rightmost columns. That holds for a rectangle inside bars and for a rotated
 * rectangle inside corner triangles (also cut by a crop, or with a corner of the content in the fill's
 * colour); it fails for a disc, a blob or a scatter of stars on black, whose hulls bulge between those
 * points. Null otherwise, or when no pixel differs.
 */
function contentHull(gray: Uint8Array, side: number, fill: number, threshold: number): Point[] | null {
  const pts: Point[] = [];
  let ymin = -1, ymax = -1, xmin = side, xmax = -1;
  const left = new Int32Array(side).fill(-1);
  const right = new Int32Array(side).fill(-1);
  for (let y = 0; y < side; y++) {
    let l = -1, r = -1;
    for (let x = 0; x < side; x++) {
      if (Math.abs(gray[y * side + x] - fill) > threshold) {
        if (l < 0) l = x;
        r = x;
      }
    }
    if (l < 0) continue;
    left[y] = l;
    right[y] = r;
    pts.push([l, y], [l, y + 1], [r + 1, y], [r + 1, y + 1]);
    if (ymin < 0) ymin = y;
    ymax = y;
    if (l < xmin) xmin = l;
    if (r > xmax) xmax = r;
  }
  if (ymin < 0) return null;
  let yl0 = -1, yl1 = -1, yr0 = -1, yr1 = -1;
  for (let y = ymin; y <= ymax; y++) {
    if (left[y] === xmin) { if (yl0 < 0) yl0 = y; yl1 = y; }
    if (right[y] === xmax) { if (yr0 < 0) yr0 = y; yr1 = y; }
  }
  const extreme: Point[] = [
    [left[ymin], ymin], [right[ymin] + 1, ymin],
    [left[ymax], ymax + 1], [right[ymax] + 1, ymax + 1],
    [xmin, yl0], [xmin, yl1 + 1],
    [xmax + 1, yr0], [xmax + 1, yr1 + 1],
  ];
  const hull = convexHull(pts);
  const h = polygonArea(hull);
  const e = polygonArea(convexHull(extreme));
  return e > 0 && h - e <= SHAPE_TOLERANCE * e ? hull : null;
}

/**
 * True when the pixels outside the hull are flat: their mean absolute difference from the fill colour is at
 * most {@link MAX_FILL_DEVIATION} gray levels (bars and rotation corners are one colour; the pixels of a
 * low-contrast texture that happen to lie within the threshold of its corners' colour are not), and there is
 * some fill at all.
 */
function flatOutside(gray: Uint8Array, inside: Uint8Array, fill: number): boolean {
  let n = 0, dev = 0;
  for (let i = 0; i < inside.length; i++) {
    if (inside[i]) continue;
    n++;
    dev += Math.abs(gray[i] - fill);
  }
  return n > 0 && dev / n <= MAX_FILL_DEVIATION;
}

/**
 * True when the content ends in a sharp edge against the fill: along every edge of the hull that does not
 * lie on the image's border and is at least 8 px long, at least {@link MIN_EDGE_CONTENT} of the points
 * 1.5 px inside it differ from the fill by more than `threshold`. A letterboxed photo or a rotated one is
 * picture right up to its edge; the margin around a page's block of text, or around an object on a plain
 * background, borders rows and columns of mostly background.
 */
function sharpEdges(gray: Uint8Array, side: number, hull: Point[], fill: number, threshold: number): boolean {
  // Inward normal: the hull's centroid side.
  let cx = 0, cy = 0;
  for (const [x, y] of hull) { cx += x; cy += y; }
  cx /= hull.length;
  cy /= hull.length;
  for (let i = 0; i < hull.length; i++) {
    const [x0, y0] = hull[i];
    const [x1, y1] = hull[(i + 1) % hull.length];
    const onBorder = (x0 === x1 && (x0 === 0 || x0 === side)) || (y0 === y1 && (y0 === 0 || y0 === side));
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (onBorder || len < 8) continue;
    let nx = -(y1 - y0) / len, ny = (x1 - x0) / len;
    if (nx * (cx - x0) + ny * (cy - y0) < 0) { nx = -nx; ny = -ny; }
    let content = 0, count = 0;
    for (let t = 0.5; t < len; t += 1) {
      const x = Math.floor(x0 + ((x1 - x0) * t) / len + 1.5 * nx);
      const y = Math.floor(y0 + ((y1 - y0) * t) / len + 1.5 * ny);
      if (x < 0 || y < 0 || x >= side || y >= side) continue;
      count++;
      if (Math.abs(gray[y * side + x] - fill) > threshold) content++;
    }
    if (count > 0 && content < MIN_EDGE_CONTENT * count) return false;
  }
  return true;
}

/** Convex hull, counter-clockwise in image coordinates (Andrew's monotone chain). */
function convexHull(pts: Point[]): Point[] {
  const p = [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Point[]) => {
    const out: Point[] = [];
    for (const q of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], q) <= 0) out.pop();
      out.push(q);
    }
    out.pop();
    return out;
  };
  return half(p).concat(half([...p].reverse()));
}

/** Area of a simple polygon (shoelace). */
function polygonArea(h: Point[]): number {
  let s = 0;
  for (let i = 0; i < h.length; i++) {
    const [x0, y0] = h[i];
    const [x1, y1] = h[(i + 1) % h.length];
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

/**
 * 1 for every pixel whose centre lies inside the convex polygon `hull` (or on its edge): per row, the span
 * between the polygon's crossings of the line through the pixel centres.
 */
function insideMask(hull: Point[], side: number): Uint8Array {
  const mask = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const py = y + 0.5;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < hull.length; i++) {
      const [x0, y0] = hull[i];
      const [x1, y1] = hull[(i + 1) % hull.length];
      if ((py < y0 && py < y1) || (py > y0 && py > y1)) continue;
      const xs = y0 === y1 ? [x0, x1] : [x0 + ((x1 - x0) * (py - y0)) / (y1 - y0)];
      for (const x of xs) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    // Pixel centres x + 0.5 within [lo, hi].
    const a = Math.max(0, Math.ceil(lo - 0.5));
    const b = Math.min(side - 1, Math.floor(hi - 0.5));
    for (let x = a; x <= b; x++) mask[y * side + x] = 1;
  }
  return mask;
}

/**
 * The largest-area axis-aligned rectangle of pixels set in `mask`, as pixel edges [x0, x1) × [y0, y1): the
 * classic maximal rectangle in a binary matrix (per row, the column heights of set pixels ending there, then
 * the largest rectangle under that histogram with a stack), O(side²).
 */
function largestRectangle(mask: Uint8Array, side: number): { x0: number; y0: number; x1: number; y1: number } {
  const height = new Int32Array(side);
  const stack = new Int32Array(side + 1);
  let best = { area: 0, x0: 0, y0: 0, x1: 0, y1: 0 };
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) height[x] = mask[y * side + x] ? height[x] + 1 : 0;
    let top = 0;
    for (let x = 0; x <= side; x++) {
      const hx = x < side ? height[x] : 0;
      while (top > 0 && height[stack[top - 1]] >= hx) {
        const hTop = height[stack[--top]];
        const start = top > 0 ? stack[top - 1] + 1 : 0;
        const area = hTop * (x - start);
        if (area > best.area) best = { area, x0: start, y0: y + 1 - hTop, x1: x, y1: y + 1 };
      }
      stack[top++] = x;
    }
  }
  return best;
}
