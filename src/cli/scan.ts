/**
 * `neardup scan <dataset> --out <dir>`: embed, search, group, and write samples.csv,
 * duplicates.csv, summary.json (plus report CSVs), with a progress bar and a short summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { scan, type ScanStage, type ScanSummary } from '../pipeline/scan';
import { writeScanOutputs } from '../pipeline/write';
import { DEFAULT_THRESHOLD, TINY_ARRAY_THRESHOLD, UNVERIFIED_THRESHOLD, TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD, TINY_GRAYSCALE_THRESHOLD, TINY_GRAY_FILES_THRESHOLD } from '../dedup/defaults';
import type { GroupMethod } from '../dedup/groups';
import { isInside, realpathLoose } from '../export/safe-path';
import { NeardupError } from '../errors';
import { numberIn, intIn, oneOf, keepPolicy, modelOption, keyValue } from './options';
import { WIDEN_K } from '../similarity/widen';
import { datasetSyntax } from '../datasets/registry';
import { AUTO_ANN_THRESHOLD } from '../similarity/backends/registry';
import { writeReport } from '../widgets/explorer/report';

const STAGE_LABEL: Record<ScanStage, string> = {
  load: 'loading',
  exact: 'hashing',
  embed: 'embedding',
  similarity: 'neighbours',
  phash: 'pHash',
  verify: 'verifying',
  groups: 'grouping',
};

/** Progress on stderr: a bar on a terminal, one line per stage otherwise (logs, CI, notebooks). */
export function progressReporter(quiet: boolean) {
  if (quiet) return { update: (_s: ScanStage, _d: number, _t: number) => {}, stop: (_ok: boolean) => {} };
  const tty = Boolean(process.stderr.isTTY);
  // The verification's pairs are not a steady stream: all images are decoded before the first verdict, then most
  // pairs pass the cheap tile check at once, then keypoints take the rest, and widened lists add pairs on the way.
  // A linear ETA over them was off by up to 25× (1,372 s for a 56 s check), so that stage shows none.
  const noEta = (s: ScanStage) => s === 'verify';
  let bar: SingleBar | null = null;
  let stage: ScanStage | null = null;
  let started = 0;
  let lastLine = 0;
  const finishLine = () => {
    if (stage && !tty) process.stderr.write(`${STAGE_LABEL[stage]}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };
  return {
    update(s: ScanStage, done: number, total: number) {
      if (s !== stage) {
        bar?.stop();
        bar = null;
        finishLine();
        stage = s;
        started = Date.now();
        lastLine = started;
        if (tty) {
          bar = new SingleBar(
            { format: `${STAGE_LABEL[s].padEnd(10)} [{bar}] {percentage}% {value}/{total}${noEta(s) ? '' : ' ETA {eta_formatted}'}`, stream: process.stderr, hideCursor: true },
            Presets.shades_classic,
          );
          bar.start(Math.max(total, 1), Math.min(done, Math.max(total, 1)));
        } else {
          // The tile count of the neighbour search is known only after its first tile (or never, on a cache hit).
          const what = s === 'similarity' ? 'exact top-k search' : `${total.toLocaleString('en-US')} ${s === 'load' || s === 'groups' || s === 'phash' ? 'step' : 'samples'}`;
          process.stderr.write(`${STAGE_LABEL[s]}: ${what}\n`);
        }
        return;
      }
      if (bar) {
        bar.setTotal(Math.max(total, 1));
        bar.update(Math.min(done, Math.max(total, 1)));
      } else if (Date.now() - lastLine >= 10_000 && done < total) {
        // Without a terminal: a line every 10 s, so long runs show signs of life in logs.
        lastLine = Date.now();
        const secs = (lastLine - started) / 1000;
        const eta = done > 0 && !noEta(s) ? Math.round((secs * (total - done)) / done) : NaN;
        process.stderr.write(`${STAGE_LABEL[s]}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${((100 * done) / total).toFixed(1)}%)${Number.isFinite(eta) ? `, ETA ${eta} s` : ''}\n`);
      }
    },
    stop(ok: boolean) {
      bar?.stop();
      bar = null;
      if (ok) finishLine();
      else if (tty) process.stderr.write('\n');
      stage = null;
    },
  };
}

interface ScanCliOptions {
  out: string;
  threshold?: number;
  model?: string;
  dequantize?: boolean;
  size?: number;
  keep: string;
  method: GroupMethod;
  k: number;
  batchSize?: number;
  exact: boolean;
  pixelHash: boolean;
  pixelHashMax: number;
  phash: 'auto' | 'on' | 'off';
  cache: boolean;
  cacheDir?: string;
  limit?: number;
  maxPixels: number;
  quiet?: boolean;
  search: 'exact' | 'ann' | 'auto' | 'hnsw' | 'lancedb';
  searchParam: Record<string, string>;
  report?: boolean;
  verify: boolean;
  rotated?: boolean;
  widen: number | false;
  contentView?: boolean;
  store?: string;
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('Find exact and near-duplicate images; write samples.csv, duplicates.csv and summary.json')
    .argument('<dataset>', datasetSyntax())
    .requiredOption('-o, --out <dir>', 'output folder (created if needed; must not be inside the dataset folder)')
    .option('-t, --threshold <t>', `cosine similarity at or above which images are near-duplicates (default ${DEFAULT_THRESHOLD} for photos, where pairs under 0.99 need a second check (tiles that agree as they are or after a keypoint alignment, or aligned pixels for tiny images); ${TINY_ARRAY_THRESHOLD} for arrays of tiny colour images such as CIFAR (pairs under 0.94 checked by aligned pixels); ${UNVERIFIED_THRESHOLD} with --no-verify; for tiny grayscale datasets such as Fashion-MNIST ${TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD}, or ${TINY_GRAYSCALE_THRESHOLD} with --no-dequantize; ${TINY_GRAY_FILES_THRESHOLD} for folders of such images as files, pairs under 0.99 checked by aligned pixels, or ${TINY_GRAYSCALE_THRESHOLD} for them with --no-verify)`, numberIn(-1, 1))
    .option('--model <path>', 'embedding model: an .onnx file or a model config .json (default: bundled MobileNetV2)')
    .option('--dequantize', 'run the int8 model with float activations: steadier similarities, the same on every CPU, about 2.5x the time per pixel (default for tiny grayscale datasets; docs/embeddings.md)')
    .option('--no-dequantize', 'run the int8 model as it is, also for tiny grayscale datasets')
    .option('--size <px>', 'model input size in pixels (default: the model\'s, 224; 128 for tiny grayscale datasets)', intIn(16, 1024))
    .option('--keep <policy>', 'copy to keep in each group: first, train, test (or another split name), largest', keepPolicy, 'first')
    .option('--method <m>', 'grouping: components (transitive) or fiftyone (keep first, drop its neighbours)', oneOf<GroupMethod>('components', 'fiftyone'), 'components')
    .option('-k, --k <n>', 'neighbours kept per image', intIn(1, 1000), 10)
    .option('--widen <n>', `after verification, search crowded lists again to this many neighbours: an image whose k neighbours are all at or above the threshold and include a pair the check rejected (look-alikes, e.g. pages of one template, took the places of its copies); docs/duplicates.md, "Crowded lists"`, intIn(1, 1000), WIDEN_K)
    .option('--no-widen', 'never search crowded lists again (only the k nearest of each image are candidates)')
    .option('--batch-size <n>', 'images per inference call', intIn(1, 4096))
    .option('--no-exact', 'skip the exact-duplicate (hash) pre-pass')
    .option('--no-pixel-hash', 'exact pre-pass on file bytes only (do not decode to compare pixels)')
    .option('--pixel-hash-max <mpx>', 'decode images up to this many megapixels to compare pixels (larger: bytes only)', numberIn(0, 1e6), 1)
    .option('--phash <mode>', 'also match near-identical perceptual hashes: auto (image files only), on, off', oneOf('auto', 'on', 'off'), 'auto')
    .option('--cache-dir <dir>', 'embedding cache folder (default $NEARDUP_CACHE/embeddings)')
    .option('--no-cache', 'do not read or write the embedding cache')
    .option('--max-pixels <mpx>', 'skip images larger than this many megapixels (decompression-bomb guard; raise it for legitimately huge images)', numberIn(1e-6, 1e6), 100)
    .option('--search <backend>', `k-NN search: exact, ann (LanceDB index + exact re-rank), hnsw (USearch HNSW graph in memory + exact re-rank), lancedb (= ann) or auto (hnsw above ${AUTO_ANN_THRESHOLD.toLocaleString('en-US')} images); docs/similarity.md`, oneOf('exact', 'ann', 'auto', 'hnsw', 'lancedb'), 'exact')
    .option('--search-param <key=value>', 'backend parameter, repeatable (auto: those of the backend it selects, hnsw above 250,000 images). ann/lancedb: nprobes, candidates, partitions, subVectors, index (ivf_rq|ivf_pq|ivf_flat|ivf_hnsw_sq|ivf_hnsw_pq), ef, maxIterations, sampleRate; hnsw: quantization (i8|f16|f32), connectivity, expansionAdd, expansionSearch, candidates, pcaDims (0 = full vectors), pcaSample, threads', keyValue, {})
    .option('--limit <n>', 'only the first n samples (quick trial runs)', intIn(1, Number.MAX_SAFE_INTEGER))
    .option('--store <uri>', 'read embeddings and neighbour lists from this store (folder or s3://bucket/prefix) when it holds this dataset\'s scan, else write them there; docs/scale.md')
    .option('-q, --quiet', 'no progress output')
    .option('--no-verify', 'count every pair above the threshold on cosine alone (no keypoint / pixel verification of uncertain pairs; docs/duplicates.md)')
    .option('--content-view', 'embed image files from their content (the default since 1 December; accepted for scripts written before)')
    .option('--no-content-view', 'embed image files as they are: by default letterbox bars and the black (or other uniform) corners of a rotated copy are cut off before embedding, so such copies land near their originals; images without such fill embed the same either way (docs/quality.md, "Content view")')
    .option('--rotated', 'check the lower band (the default since 1 December; accepted for scripts written before)')
    .option('--no-rotated', 'do not check pairs under the threshold (the lower band, on by default for image files of 64 px or more): pairs down to cosine 0.6 that are among each other\'s 10 nearest count only with strong keypoint evidence (≥ 50 inliers over ≥ 20 % of each image, ≥ 80 % of the tiles agreeing after the alignment); they find copies rotated by a few degrees (black corners) and crops of fine textures that the embedding puts far apart, and cost a third more checking on photos (docs/quality.md, "Rotated copies")')
    .option('--report', 'also write report.html: one offline HTML file with the histogram and the groups as images')
    .action(async (dataset: string, o: ScanCliOptions, cmd: Command) => {
      // Refuse an output folder inside a dataset folder now, not after embedding.
      if (fs.existsSync(dataset) && fs.statSync(dataset).isDirectory() && isInside(realpathLoose(dataset), realpathLoose(o.out))) {
        throw new NeardupError(`--out ${o.out} is inside the dataset folder ${dataset}; choose a folder outside it`);
      }
      const progress = progressReporter(Boolean(o.quiet));
      let result;
      let ok = false;
      try {
        result = await scan(dataset, {
          threshold: o.threshold,
          method: o.method,
          keep: o.keep,
          // A store's own k applies unless -k was given.
          k: o.store && cmd.getOptionValueSource('k') === 'default' ? undefined : o.k,
          model: modelOption(o.model, o.dequantize),
          size: o.size,
          batchSize: o.batchSize,
          cacheDir: o.cache === false ? false : o.cacheDir,
          exact: o.exact === false ? false : { pixels: o.pixelHash !== false, maxPixels: o.pixelHashMax * 1e6 },
          phash: o.phash === 'auto' ? 'auto' : o.phash === 'on',
          maxPixels: Math.round(o.maxPixels * 1e6),
          widen: o.widen,
          verify: o.verify === false ? false : o.rotated === false ? { low: false } : true,
          contentView: o.contentView !== false,
          search: Object.keys(o.searchParam).length === 0 ? o.search : { backend: o.search, params: o.searchParam },
          store: o.store,
          load: { limit: o.limit, onProgress: o.quiet ? undefined : (m) => process.stderr.write(`${m}\n`) },
          onProgress: progress.update,
        });
        ok = true;
      } finally {
        progress.stop(ok);
      }
      const written = await writeScanOutputs(result, o.out);
      if (!o.quiet) process.stderr.write('\n');
      process.stdout.write(humanSummary(written.summary, written.outDir));
      if (o.report) {
        const file = await writeReport(result!, path.join(written.outDir, 'report.html'));
        process.stdout.write(`report: ${file}\n`);
      }
    });
}

/** The few lines printed at the end of a scan. */
export function humanSummary(
  s: Pick<ScanSummary, 'samples' | 'embedded' | 'skipped' | 'aliases' | 'flagged' | 'groups' | 'to_remove' | 'cross_split' | 'cross_split_by_split' | 'label_conflicts' | 'exact_duplicates' | 'threshold' | 'method' | 'keep' | 'timings' | 'neighbors_cached'> & Partial<Pick<ScanSummary, 'search' | 'full_lists' | 'crowded_lists' | 'k' | 'widened' | 'verification' | 'larger_removed'>>,
  outDir: string,
): string {
  const f = (x: number) => x.toLocaleString('en-US');
  const leak = Object.entries(s.cross_split_by_split)
    .map(([split, c]) => `${f(c)} ${split}`)
    .join(', ');
  return [
    `${f(s.samples)} samples: ${f(s.embedded)} embedded, ${f(s.skipped)} skipped (unreadable; see status/reason in samples.csv)${s.aliases ? `, ${f(s.aliases)} aliases (other names of a file already counted: symlinks, hard links; never removed)` : ''}`,
    `exact duplicates: ${f(s.exact_duplicates)}`,
    `near-duplicates at ${s.threshold} (${s.method}, keep ${s.keep}): ${f(s.flagged)} samples in ${f(s.groups)} groups, ${f(s.to_remove)} to remove`,
    `cross-split groups: ${f(s.cross_split)}${leak ? ` (samples involved: ${leak})` : ''}; label conflicts: ${f(s.label_conflicts)} groups`,
    ...(s.larger_removed && s.keep === 'first' ? [`kept a smaller copy: ${f(s.larger_removed)} removals have over 1.5× the pixels of the copy kept in their place (keep first keeps the first name); --keep largest keeps the larger`] : []),
    ...(s.widened?.rows ? [`widened neighbour lists: ${f(s.widened.rows)} samples had all ${s.k ?? ''} listed neighbours at or above ${s.threshold}, look-alikes the check rejected among them; searched again to ${s.widened.k}`] : []),
    ...(s.widened?.over_budget ? [`crowded neighbour lists were not searched again: too many samples for a second exact search (see --widen in docs/cli.md)`] : []),
    // Without verification nothing is rejected, so nothing is crowded: then every full list is worth a word.
    ...(!s.verification && s.full_lists ? [`full neighbour lists: ${f(s.full_lists)} samples have all ${s.k ?? ''} listed neighbours at or above ${s.threshold}, so copies further down are not seen; a larger -k (e.g. -k ${Math.max(32, 2 * (s.k ?? 16))}) lists them`] : []),
    ...(s.crowded_lists ? [`crowded neighbour lists: ${f(s.crowded_lists)} samples still have all ${s.widened?.rows ? `${s.k ?? ''} (or ${s.widened.k}, searched again)` : s.k ?? ''} listed neighbours at or above ${s.threshold}, look-alikes the check rejected among them, so a copy further down may not be seen; a larger -k (e.g. -k ${Math.max(32, 2 * Math.max(s.k ?? 16, s.widened?.k ?? 0))}) lists more`] : []),
    `time: ${s.timings.total} s (embed ${s.timings.embed} s, neighbours ${s.timings.similarity} s${s.neighbors_cached ? ', from cache' : ''}${s.search && !s.search.exact ? `, approximate: ${s.search.backend} ${JSON.stringify(s.search.params)}` : ''})`,
    `wrote ${path.join(outDir, 'samples.csv')}, duplicates.csv, summary.json and report CSVs`,
    '',
  ].join('\n');
}
