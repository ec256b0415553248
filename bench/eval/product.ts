import type { BenchManifest } from './build';
import type { Truth } from './metrics';
export async function evaluateProduct(_files: string[], _truth: Truth, _m: BenchManifest, _sweep: number[], _out: string): Promise<unknown> {
  return null;
}
