/**
 * A CIFAR-like proxy: the benchmark's photos and copies shrunk to 32×32 colour and held as a planar
 * array dataset (CIFAR's own layout), scanned with each embedding setting and swept over thresholds.
 * CIFAR itself cannot be downloaded here; this says how the settings rank on tiny colour photos with
 * known copies, which the photo benchmark at full size cannot.
 */
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import { scan } from '../../src/pipeline/scan';
import { groupAtThreshold } from '../../src/dedup/groups';
import type { ModelConfig } from '../../src/embed';
import type { Dataset } from '../../src/types';
import { evaluateAt, matrixFromNeighbors, pickThreshold, type ThresholdResult, type Truth } from './metrics';
import { HEADER, row } from './format';

const SIDE = 32;

/** The benchmark images as one 32×32 planar RGB array dataset, rows in manifest order. */
export async function tinyColourDataset(files: string[]): Promise<Dataset> {
  const plane = SIDE * SIDE;
  const data = new Uint8Array(files.length * 3 * plane);
  for (const [i, f] of files.entries()) {
    const rgb = await sharp(f).flatten({ background: '#ffffff' }).resize(SIDE, SIDE, { fit: 'fill' }).toColourspace('srgb').removeAlpha().raw().toBuffer();
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[i * 3 * plane + c * plane + p] = rgb[3 * p + c];
  }
  const ids = files.map((_, i) => `tiny/${String(i).padStart(4, '0')}`);
  return { name: 'tiny-colour-proxy', df: new DataFrame({ id: ids }), pixels: { kind: 'array', width: SIDE, height: SIDE, channels: 3, layout: 'planar', data } };
}

export interface TinySetting {
  name: string;
  model: Partial<ModelConfig>;
  size: number;
}

export const TINY_SETTINGS: TinySetting[] = [
  { name: 'int8, 224 px', model: { dequantize: false }, size: 224 },
  { name: 'dequantized, 224 px', model: { dequantize: true }, size: 224 },
  { name: 'dequantized, 128 px', model: { dequantize: true }, size: 128 },
];

/** Each setting: its best threshold (pickThreshold's rule) and the sweep. */
export async function tinyColourCheck(files: string[], truth: Truth, cacheDir: string, sweep: number[]): Promise<Array<{ setting: string; best: ThresholdResult; sweep: Omit<ThresholdResult, 'worstFalse'>[] }>> {
  const ds = await tinyColourDataset(files);
  console.log(`\nTiny colour proxy (CIFAR-like): the ${files.length} benchmark images at ${SIDE}x${SIDE}, planar array, k = 32; best threshold per setting`);
  console.log(HEADER);
  const out = [];
  for (const s of TINY_SETTINGS) {
    const r = await scan(ds, { model: s.model, size: s.size, k: 32, threshold: 0.9, cacheDir, phash: false, exact: false });
    const sim = matrixFromNeighbors(r.neighbors);
    const opts = r.groupOptions();
    const results = sweep.map((t) => evaluateAt(sim, truth, t, 5, groupAtThreshold(r.neighbors, t, opts).group_id));
    const best = pickThreshold(results);
    console.log(row(s.name, best));
    for (const t of [0.9, 0.92, 0.94, 0.96]) {
      const at = results.find((x) => Math.abs(x.threshold - t) < 1e-6);
      if (at) console.log(row(`  ${s.name} @ ${t.toFixed(2)}`, at));
    }
    out.push({ setting: s.name, best: { ...best, worstFalse: [] }, sweep: results.map(({ worstFalse, ...x }) => x) });
  }
  return out;
}
