/**
 * Copies of a 32×32 colour image made at 32×32, as a CIFAR-sized dataset would hold them: each edit is
 * done on the tiny image itself (not on a large photo shrunk afterwards). Parameters come from the
 * benchmark's seeded generator (transforms.ts), so the same key gives the same bytes on every run.
 */
import sharp from 'sharp';
import { seededRandom, type Img } from './transforms';

export const TINY_SIDE = 32;

const between = (rnd: () => number, lo: number, hi: number) => lo + (hi - lo) * rnd();
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
const load = (img: Img) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
async function raw(s: sharp.Sharp): Promise<Img> {
  const { data, info } = await s.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { data, width: info.width, height: info.height };
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = data[i * info.channels];
  return { data: rgb, width: info.width, height: info.height };
}
/** Applies `f` to every channel value (same size). */
function perPixel(img: Img, f: (v: number, i: number) => number): Img {
  const out = Buffer.alloc(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = clamp(f(img.data[i], i));
  return { ...img, data: out };
}

type Step = (img: Img, rnd: () => number, p: Record<string, number | string>) => Promise<Img>;

const steps: Record<string, Step> = {
  jpeg: async (img, rnd, p) => {
    const q = Math.round(between(rnd, 25, 45));
    p.quality = q;
    return raw(sharp(await load(img).jpeg({ quality: q }).toBuffer()));
  },
  hflip: async (img) => raw(load(img).flop()),
  brightness: async (img, rnd, p) => {
    const f = rnd() < 0.5 ? between(rnd, 0.7, 0.85) : between(rnd, 1.15, 1.35);
    p.factor = +f.toFixed(3);
    return raw(load(img).modulate({ brightness: f }));
  },
  contrast: async (img, rnd, p) => {
    // Linear stretch about mid-grey: v' = a·(v − 128) + 128.
    const a = rnd() < 0.5 ? between(rnd, 0.65, 0.8) : between(rnd, 1.25, 1.5);
    p.gain = +a.toFixed(3);
    return perPixel(img, (v) => a * (v - 128) + 128);
  },
  grayscale: async (img) => raw(load(img).grayscale()),
  blur: async (img, rnd, p) => {
    const sigma = between(rnd, 0.6, 1.0);
    p.sigma = +sigma.toFixed(2);
    return raw(load(img).blur(sigma));
  },
  noise: async (img, rnd, p) => {
    // Gaussian noise (Box–Muller) with σ in 8–14 grey levels, the same draw on the three channels of a pixel.
    const sd = between(rnd, 8, 14);
    p.sigma = +sd.toFixed(1);
    const n = new Float64Array(img.width * img.height);
    for (let i = 0; i < n.length; i++) n[i] = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()) * sd;
    return perPixel(img, (v, i) => v + n[Math.floor(i / 3)]);
  },
  crop: async (img, rnd, p) => {
    // Keep 75–88 % of each side, then resize back to 32×32 (a "zoomed" copy).
    const k = between(rnd, 0.75, 0.88);
    const w = Math.round(img.width * k);
    const h = Math.round(img.height * k);
    const left = Math.floor(rnd() * (img.width - w + 1));
    const top = Math.floor(rnd() * (img.height - h + 1));
    Object.assign(p, { keep: +k.toFixed(3), left, top });
    return raw(load(img).extract({ left, top, width: w, height: h }).resize(img.width, img.height, { fit: 'fill' }));
  },
  shift: async (img, rnd, p) => {
    // Translate by 2–4 px in x and y, filling the uncovered band by repeating the edge (like a random-crop augmentation with padding).
    const dx = Math.round(between(rnd, 2, 4.99)) * (rnd() < 0.5 ? -1 : 1);
    const dy = Math.round(between(rnd, 2, 4.99)) * (rnd() < 0.5 ? -1 : 1);
    Object.assign(p, { dx, dy });
    const out = Buffer.alloc(img.data.length);
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++) {
        const sx = Math.min(img.width - 1, Math.max(0, x - dx));
        const sy = Math.min(img.height - 1, Math.max(0, y - dy));
        img.data.copy(out, (y * img.width + x) * 3, (sy * img.width + sx) * 3, (sy * img.width + sx) * 3 + 3);
      }
    return { ...img, data: out };
  },
};

/** Copy kind → steps applied in order (at 32×32). */
export const TINY_TRANSFORMS: Record<string, string[]> = {
  jpeg: ['jpeg'],
  hflip: ['hflip'],
  brightness: ['brightness'],
  contrast: ['contrast'],
  grayscale: ['grayscale'],
  blur: ['blur'],
  noise: ['noise'],
  crop: ['crop'],
  shift: ['shift'],
  'hflip+jpeg': ['hflip', 'jpeg'],
  'crop+brightness': ['crop', 'brightness'],
};

/**
 * Applies tiny transform `name` to a 32×32 RGB image with randomness keyed by `key`; encodes as PNG
 * (lossless, as CIFAR-style PNG exports are; the `jpeg` kinds keep their JPEG artefacts in the pixels).
 * @throws Error for an unknown transform name.
 */
export async function applyTinyTransform(name: string, img: Img, key: string): Promise<{ bytes: Buffer; img: Img; ext: 'png'; params: Record<string, number | string> }> {
  const list = TINY_TRANSFORMS[name];
  if (!list) throw new Error(`unknown tiny transform ${name}`);
  const rnd = seededRandom(`${key}|tiny|${name}`);
  const params: Record<string, number | string> = {};
  let cur = img;
  for (const s of list) {
    const p: Record<string, number | string> = {};
    cur = await steps[s](cur, rnd, p);
    for (const [k, v] of Object.entries(p)) params[`${s}.${k}`] = v;
  }
  return { bytes: await load(cur).png().toBuffer(), img: cur, ext: 'png', params };
}
