/**
 * The edits a near-duplicate copy goes through in the benchmark, each a sharp pipeline on the
 * normalised original. Parameters are drawn from a seeded generator so the benchmark is the same on
 * every run and machine (same sharp/libvips version → same bytes).
 */
import sharp from 'sharp';

/** Deterministic PRNG (mulberry32) seeded from a string, so each (photo, transform) has its own stream. */
export function seededRandom(key: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();

export interface Img {
  data: Buffer;
  width: number;
  height: number;
}

/** Output of one transform: encoded bytes, file extension and the parameters used (for the manifest). */
export interface Encoded {
  bytes: Buffer;
  ext: 'jpg' | 'png';
  params: Record<string, number | string>;
}

type Step = (img: Img, rnd: () => number, params: Record<string, number | string>) => Promise<Img>;

const raw = (s: sharp.Sharp) =>
  s
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => {
      if (info.channels === 3) return { data, width: info.width, height: info.height };
      // Grayscale output comes back with one channel: replicate it so every image is RGB.
      const rgb = Buffer.alloc(info.width * info.height * 3);
      for (let i = 0, j = 0; i < info.width * info.height; i++, j += info.channels) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = data[j];
      return { data: rgb, width: info.width, height: info.height };
    });
const load = (img: Img) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });

/** Re-encodes as JPEG at `q` and decodes again, so later steps see the artefacts. */
async function jpegRoundTrip(img: Img, q: number): Promise<Img> {
  const jpg = await load(img).jpeg({ quality: q }).toBuffer();
  return raw(sharp(jpg));
}

const steps: Record<string, Step> = {
  resize: async (img, rnd, p) => {
    const s = between(rnd, 0.25, 0.5);
    p.scale = +s.toFixed(3);
    return raw(load(img).resize(Math.round(img.width * s), Math.round(img.height * s)));
  },
  jpeg: async (img, rnd, p) => {
    const q = Math.round(between(rnd, 10, 20));
    p.quality = q;
    return jpegRoundTrip(img, q);
  },
  crop: async (img, rnd, p) => {
    const kw = between(rnd, 0.8, 0.9);
    const kh = between(rnd, 0.8, 0.9);
    const w = Math.round(img.width * kw);
    const h = Math.round(img.height * kh);
    const left = Math.floor(rnd() * (img.width - w));
    const top = Math.floor(rnd() * (img.height - h));
    Object.assign(p, { keep_w: +kw.toFixed(3), keep_h: +kh.toFixed(3), left, top });
    return raw(load(img).extract({ left, top, width: w, height: h }));
  },
  hflip: async (img) => raw(load(img).flop()),
  brightness: async (img, rnd, p) => {
    const f = rnd() < 0.5 ? between(rnd, 0.6, 0.75) : between(rnd, 1.3, 1.5);
    p.factor = +f.toFixed(3);
    return raw(load(img).modulate({ brightness: f }));
  },
  grayscale: async (img) => raw(load(img).grayscale()),
  blur: async (img, rnd, p) => {
    const sigma = between(rnd, 3, 5);
    p.sigma = +sigma.toFixed(2);
    return raw(load(img).blur(sigma));
  },
  rotate: async (img, rnd, p) => {
    const a = between(rnd, 3, 10) * (rnd() < 0.5 ? -1 : 1);
    p.degrees = +a.toFixed(2);
    return raw(load(img).rotate(a, { background: '#000000' }));
  },
  watermark: async (img, rnd, p) => {
    const size = Math.round(img.width * between(rnd, 0.06, 0.09));
    const text = '© stockphotos.example';
    const x = Math.round(img.width * between(rnd, 0.03, 0.2));
    const y = Math.round(img.height * between(rnd, 0.3, 0.9));
    Object.assign(p, { size, x, y });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${img.height}">
      <text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}"
        fill="#ffffff" fill-opacity="0.7" stroke="#000000" stroke-opacity="0.4" stroke-width="${Math.max(1, size / 30)}">${text}</text></svg>`;
    return raw(load(img).composite([{ input: Buffer.from(svg) }]));
  },
  letterbox: async (img, rnd, p) => {
    // Pad to a square canvas (bars top/bottom for landscape, left/right for portrait).
    const side = Math.max(img.width, img.height);
    const colour = rnd() < 0.7 ? '#000000' : '#ffffff';
    p.colour = colour;
    const top = Math.floor((side - img.height) / 2);
    const left = Math.floor((side - img.width) / 2);
    return raw(
      load(img).extend({ top, bottom: side - img.height - top, left, right: side - img.width - left, background: colour }),
    );
  },
  tiny32: async (img) => raw(load(img).resize(32, 32, { fit: 'fill' })),
};

/** Transform name → the steps applied in order. Combinations reuse the single steps. */
export const TRANSFORMS: Record<string, string[]> = {
  resize: ['resize'],
  jpeg: ['jpeg'],
  crop: ['crop'],
  hflip: ['hflip'],
  brightness: ['brightness'],
  grayscale: ['grayscale'],
  blur: ['blur'],
  rotate: ['rotate'],
  watermark: ['watermark'],
  letterbox: ['letterbox'],
  tiny32: ['tiny32'],
  'crop+jpeg': ['crop', 'jpeg'],
  'hflip+brightness': ['hflip', 'brightness'],
  'grayscale+resize+jpeg': ['grayscale', 'resize', 'jpeg'],
  'letterbox+watermark': ['watermark', 'letterbox'],
  'rotate+crop+resize': ['rotate', 'crop', 'resize'],
};

/** Applies transform `name` to `img` with randomness keyed by `key`, and encodes the result. */
export async function applyTransform(name: string, img: Img, key: string): Promise<Encoded> {
  const list = TRANSFORMS[name];
  if (!list) throw new Error(`unknown transform ${name}`);
  const rnd = seededRandom(`${key}|${name}`);
  const params: Record<string, number | string> = {};
  let cur = img;
  for (const s of list) {
    const p: Record<string, number | string> = {};
    cur = await steps[s](cur, rnd, p);
    for (const [k, v] of Object.entries(p)) params[`${s}.${k}`] = v;
  }
  // The JPEG step already carries its artefacts; store losslessly-enough afterwards so the only strong
  // compression is the one the transform asked for. Tiny copies are stored as PNG like CIFAR-style data.
  if (name === 'tiny32') return { bytes: await load(cur).png().toBuffer(), ext: 'png', params };
  return { bytes: await load(cur).jpeg({ quality: 95 }).toBuffer(), ext: 'jpg', params };
}
