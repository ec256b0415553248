/**
 * `neardup embed <dataset> --out <dir>`: embeds every sample and writes
 * - `embeddings.f32`: N x d raw little-endian float32, row i = samples.csv row i, L2-normalised
 *   (skipped rows are zeros);
 * - `embeddings.json`: shape, dtype, model and preprocessing, and the ids in row order;
 * - `samples.csv`: the dataset's columns plus `status` (ok / skipped) and `reason`.
 * All three are written atomically.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadDataset } from '../datasets';
import { embedDataset, type EmbedResult } from '../embed';
import { textProgress } from '../embed/progress';
import { writeFileAtomic } from '../frame/atomic';
import { writeCsv } from '../frame/csv';
import { rowsFromDf } from '../frame/table';
import { NeardupError } from '../errors';
import { intIn, modelOption } from './options';
import { datasetSyntax } from '../datasets/registry';
import { embedShardCli } from './shard';

interface EmbedCliOptions {
  out?: string;
  shard?: string;
  store?: string;
  chunk?: number;
  model?: string;
  dequantize?: boolean;
  size?: number;
  batch: number;
  limit?: number;
  concurrency?: number;
  cache: boolean;
  cacheDir?: string;
  quiet?: boolean;
  contentView?: boolean;
}

/** A cli-progress bar on a terminal; throttled text lines otherwise (logs, CI). */
function progressCallback(quiet: boolean): { onProgress?: (done: number, total: number) => void; stop(): void } {
  if (quiet) return { stop() {} };
  if (!process.stderr.isTTY) return { onProgress: textProgress({ write: (l) => process.stderr.write(`${l}\n`), every: 5 }), stop() {} };
  let bar: SingleBar | null = null;
  let start = 0;
  let startDone = 0;
  return {
    onProgress(done, total) {
      if (!bar) {
        start = Date.now();
        startDone = done;
        bar = new SingleBar({ format: 'embedding [{bar}] {percentage}% {value}/{total} {speed} img/s ETA {eta_formatted}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(Math.max(total, 1), done, { speed: 0 });
      }
      const secs = (Date.now() - start) / 1000;
      bar.update(done, { speed: Math.round((done - startDone) / Math.max(secs, 1e-3)) });
    },
    stop() {
      bar?.stop();
    },
  };
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('Embed every image of a dataset; write embeddings.f32, embeddings.json and samples.csv')
    .argument('<dataset>', datasetSyntax())
    .option('-o, --out <dir>', 'output folder (created if needed); required unless --store')
    .option('--store <uri>', 'write to a store instead (a folder or s3://bucket/prefix; docs/scale.md#sharded-runs)')
    .option('--shard <i/n>', 'with --store: embed only shard i of n (independent, idempotent, resumable)', '0/1')
    .option('--chunk <rows>', 'with --store: rows per commit (what a killed shard can lose)', intIn(1, 1 << 20), 1024)
    .option('--model <path>', 'an .onnx file or a model config .json (default: bundled MobileNetV2, 1280-d)')
    .option('--dequantize', 'run the int8 model with float activations: steadier similarities, the same on every CPU, about 2.5x the time per pixel (default for tiny grayscale datasets; docs/embeddings.md)')
    .option('--no-dequantize', 'run the int8 model as it is, also for tiny grayscale datasets')
    .option('--size <px>', "input size in pixels (default: the model's, 224, or 128 for tiny grayscale datasets; 96-160 is faster)", intIn(16, 1024))
    .option('--batch <n>', 'images per inference call', intIn(1, 4096), 32)
    .option('--concurrency <n>', 'image files decoded in parallel', intIn(1, 64))
    .option('--limit <n>', 'only the first n samples (quick trial runs)', intIn(1, Number.MAX_SAFE_INTEGER))
    .option('--cache-dir <dir>', 'embedding cache folder (default $NEARDUP_CACHE/embeddings)')
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--content-view', 'embed image files from their content, as `neardup scan` does (the default since 1 December)')
    .option('--no-content-view', 'embed image files as they are (letterbox bars and rotation corners included); `neardup scan --no-content-view` embeds the same way')
    .option('-q, --quiet', 'no progress output')
    .action(async (dataset: string, o: EmbedCliOptions) => {
      if (o.store) return embedShardCli(dataset, o.store, o);
      if (!o.out) throw new NeardupError("required option '-o, --out <dir>' not specified (or give --store <uri>)");
      const out = o.out;
      // As `neardup scan` embeds by default, so these vectors are the ones a scan uses.
      const contentView = o.contentView !== false;
      const ds = await loadDataset(dataset, { limit: o.limit, onProgress: o.quiet ? undefined : (m) => process.stderr.write(`${m}\n`) });
      const progress = progressCallback(Boolean(o.quiet));
      // Ctrl-C: stop after the batch in flight and flush computed vectors to the cache, so a rerun resumes.
      const ctrl = new AbortController();
      const onSigint = () => ctrl.abort();
      process.once('SIGINT', onSigint);
      let emb: EmbedResult;
      try {
        emb = await embedDataset(ds, {
          signal: ctrl.signal,
          model: modelOption(o.model, o.dequantize),
          size: o.size,
          batchSize: o.batch,
          concurrency: o.concurrency,
          cacheDir: o.cache === false ? false : o.cacheDir,
          contentView,
          onProgress: progress.onProgress,
        });
      } catch (err) {
        if (ctrl.signal.aborted) {
          throw new NeardupError(`interrupted; vectors computed so far are cached${o.cache === false ? ' (not with --no-cache)' : ''}: run the same command again to resume`);
        }
        throw err;
      } finally {
        process.removeListener('SIGINT', onSigint);
        progress.stop();
      }
      const n = emb.ids.length;
      const v = emb.vectors;
      await writeFileAtomic(join(out, 'embeddings.f32'), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      const meta = {
        shape: [n, emb.dim],
        dtype: 'float32',
        byte_order: 'little',
        normalised: 'L2 (skipped rows are zeros)',
        dataset: ds.name,
        model: emb.model,
        content_view: contentView,
        ok: n - emb.stats.skipped,
        skipped: emb.stats.skipped,
        ids: emb.ids,
      };
      await writeFileAtomic(join(out, 'embeddings.json'), JSON.stringify(meta) + '\n');
      const rows = rowsFromDf(ds.df).map((r, i) => ({ ...r, status: emb.status[i], reason: emb.reasons[i] }));
      await writeCsv(rows, join(out, 'samples.csv'));
      const s = emb.stats;
      process.stdout.write(
        `${n.toLocaleString('en-US')} samples: ${(s.computed + s.cached).toLocaleString('en-US')} embedded (${s.cached.toLocaleString('en-US')} from cache), ` +
          `${s.skipped.toLocaleString('en-US')} skipped, ${s.seconds.toFixed(1)} s (${(n / Math.max(s.seconds, 1e-3)).toFixed(0)} img/s)\n` +
          `wrote ${join(out, 'embeddings.f32')} (${n} x ${emb.dim} float32), embeddings.json, samples.csv\n`,
      );
    });
}
