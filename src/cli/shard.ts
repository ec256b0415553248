/**
 * Sharded runs from the command line (docs/scale.md#sharded-runs):
 *
 *   neardup embed <dataset> --store <uri> --shard i/n     # each shard, any order, any machine
 *   neardup index --store <uri> --shards n                # once, only for --search ann
 *   neardup search --store <uri> --shard i/n [--search exact|ann] [-k 10]
 *   neardup merge <dataset> --store <uri> --shards n --out <dir> [--threshold t --keep p --method m]
 */
import type { Command } from 'commander';
import { loadDataset } from '../datasets';
import { embedShard, buildSharedIndex, searchShard, mergeShards, parseShard } from '../store/shard';
import { writeStore } from '../store/tables';
import { scan } from '../pipeline/scan';
import { writeScanOutputs } from '../pipeline/write';
import type { GroupMethod } from '../dedup/groups';
import { humanSummary } from './scan';
import { intIn, keepPolicy, keyValue, modelOption, numberIn, oneOf } from './options';

/** `neardup embed --store`: one shard into the store. */
export async function embedShardCli(
  dataset: string,
  store: string,
  o: { shard?: string; chunk?: number; limit?: number; model?: string; dequantize?: boolean; size?: number; batch?: number; cache?: boolean; cacheDir?: string; quiet?: boolean; contentView?: boolean },
): Promise<void> {
  const { i, n } = parseShard(o.shard ?? '0/1');
  const ds = await loadDataset(dataset, { limit: o.limit });
  const r = await embedShard(ds, store, i, n, {
    chunkRows: o.chunk,
    // The content view as `neardup scan` embeds by default: a store's vectors are the ones a scan of the folder computes.
    embed: { model: modelOption(o.model, o.dequantize), size: o.size, batchSize: o.batch, cacheDir: o.cache === false ? false : o.cacheDir, contentView: o.contentView !== false },
    onProgress: o.quiet ? undefined : (d, t) => process.stderr.write(`shard ${i}/${n}: ${d}/${t} rows\n`),
  });
  process.stdout.write(`shard ${i}/${n}: rows ${r.rows[0]}-${r.rows[1]}, ${r.present} already in the store, ${r.embedded} embedded now\n`);
}

export function register(program: Command): void {
  program
    .command('index')
    .description('Build the shared LanceDB index over all embedding shards of a store (once, before `search --search ann`)')
    .requiredOption('--store <uri>', 'store folder or s3://bucket/prefix')
    .requiredOption('--shards <n>', 'number of embedding shards', intIn(1, 1e6))
    .option('--search-param <key=value>', 'index parameter, repeatable: partitions, subVectors, index, maxIterations, sampleRate', keyValue, {})
    .action(async (o: { store: string; shards: number; searchParam: Record<string, string> }) => {
      const info = await buildSharedIndex(o.store, o.shards, o.searchParam);
      process.stdout.write(`index built in ${o.store}: ${JSON.stringify(info)}\n`);
    });
  program
    .command('search')
    .description('Search one shard of queries against all embeddings of a store; writes its neighbour lists to the store')
    .requiredOption('--store <uri>', 'store folder or s3://bucket/prefix')
    .requiredOption('--shard <i/n>', 'this shard of the queries')
    .option('--search <backend>', 'exact, or ann (needs `neardup index` first)', oneOf('exact', 'ann'), 'exact')
    .option('--search-param <key=value>', 'ann query parameter, repeatable: nprobes, candidates', keyValue, {})
    .option('-k, --k <n>', 'neighbours per image', intIn(1, 1000), 10)
    .action(async (o: { store: string; shard: string; search: 'exact' | 'ann'; searchParam: Record<string, string>; k: number }) => {
      const { i, n } = parseShard(o.shard);
      const info = await searchShard(o.store, i, n, o.k, Object.keys(o.searchParam).length ? { backend: o.search, params: o.searchParam } : o.search);
      process.stdout.write(`search shard ${i}/${n} done (${info.backend})\n`);
    });
  program
    .command('merge')
    .description('Merge the shards of a store into groups and reports (samples.csv, duplicates.csv, summary.json), and write the merged tables back to the store')
    .argument('<dataset>', 'the dataset the shards were embedded from (same argument and --limit)')
    .requiredOption('--store <uri>', 'store folder or s3://bucket/prefix')
    .requiredOption('--shards <n>', 'number of shards', intIn(1, 1e6))
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('-t, --threshold <t>', 'cosine similarity threshold (default: the dataset default)', numberIn(-1, 1))
    .option('--keep <policy>', 'first, train, test (or another split), largest', keepPolicy, 'first')
    .option('--method <m>', 'components or fiftyone', oneOf<GroupMethod>('components', 'fiftyone'), 'components')
    .option('--no-exact', 'skip the exact-duplicate (hash) pre-pass')
    .option('--limit <n>', 'only the first n samples (as given to embed)', intIn(1, Number.MAX_SAFE_INTEGER))
    .action(async (dataset: string, o: { store: string; shards: number; out: string; threshold?: number; keep: string; method: GroupMethod; exact: boolean; limit?: number }) => {
      const m = await mergeShards(o.store, o.shards);
      const ds = await loadDataset(dataset, { limit: o.limit });
      const result = await scan(ds, {
        threshold: o.threshold,
        keep: o.keep,
        method: o.method,
        k: m.neighbors.k,
        exact: o.exact === false ? false : undefined,
        phash: false,
        precomputed: { embeddings: m.embeddings, neighbors: m.neighbors, search: m.search, dequantized: m.dequantized },
      });
      await writeStore(o.store, { embeddings: m.embeddings, splits: m.splits, labels: m.labels, neighbors: m.neighbors, search: m.search, dequantized: m.dequantized });
      const written = await writeScanOutputs(result, o.out);
      process.stdout.write(humanSummary(written.summary, written.outDir));
    });
}
