/**
 * Sharded run through the real CLI (bin/neardup.js; `npm run build` first) with plain `xargs -P`:
 * three embedding shards into a local store, one of them killed half-way and rerun (it embeds only
 * the rows it had not written), sharded exact search, merge; the merged result equals an unsharded
 * `neardup scan` of the same 600 samples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseCsv } from '../../src/frame';

const BIN = path.join(__dirname, '..', '..', 'bin', 'neardup.js');
const LIMIT = '600';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('xargs -P sharded embed (one shard killed half-way, rerun) + search + merge = unsharded scan', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-shard-'));
  const store = path.join(tmp, 'store');
  // Own embedding cache: the killed shard must really be embedding (not reading a warm cache).
  const env = { ...process.env, NEARDUP_CACHE: path.join(tmp, 'cache') };
  const node = process.execPath;

  // Shard 1 of 3 alone first, killed once its table holds a chunk but before it is done.
  const child = spawn(node, [BIN, 'embed', 'sample', '--limit', LIMIT, '--store', store, '--shard', '1/3', '--chunk', '50', '-q'], { env, stdio: 'ignore' });
  const versions = path.join(store, 'emb_1_of_3.lance', '_versions');
  const exited = new Promise((res) => child.once('exit', res));
  let killed = false;
  while (!killed) {
    if (child.exitCode !== null) break;
    if (fs.existsSync(versions) && fs.readdirSync(versions).length >= 1) {
      child.kill('SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await exited;
  assert.ok(killed, 'shard 1 finished before it could be killed');

  // All shards through xargs -P 2; shard 1 resumes.
  const out = run('sh', ['-c', `seq 0 2 | xargs -P 2 -I{} "${node}" "${BIN}" embed sample --limit ${LIMIT} --store "${store}" --shard {}/3 --chunk 50 -q`], env);
  const resumed = /shard 1\/3: rows 200-400, (\d+) already in the store, (\d+) embedded now/.exec(out);
  assert.ok(resumed, out);
  assert.ok(Number(resumed[1]) >= 50 && Number(resumed[1]) < 200, `rows kept from the killed run: ${resumed[1]}`);
  assert.equal(Number(resumed[1]) + Number(resumed[2]), 200);
  // Idempotent: a second run of every shard embeds nothing.
  const again = run('sh', ['-c', `seq 0 2 | xargs -P 2 -I{} "${node}" "${BIN}" embed sample --limit ${LIMIT} --store "${store}" --shard {}/3 -q`], env);
  assert.equal((again.match(/0 embedded now/g) ?? []).length, 3, again);

  run('sh', ['-c', `seq 0 2 | xargs -P 2 -I{} "${node}" "${BIN}" search --store "${store}" --shard {}/3`], env);
  run(node, [BIN, 'merge', 'sample', '--limit', LIMIT, '--store', store, '--shards', '3', '--out', path.join(tmp, 'merged')], env);
  run(node, [BIN, 'scan', 'sample', '--limit', LIMIT, '--out', path.join(tmp, 'single'), '-q'], env);

  const read = (dir: string) => ({
    summary: JSON.parse(fs.readFileSync(path.join(tmp, dir, 'summary.json'), 'utf8')),
    samples: parseCsv(fs.readFileSync(path.join(tmp, dir, 'samples.csv'), 'utf8')).rows,
  });
  const a = read('merged');
  const b = read('single');
  for (const key of ['samples', 'embedded', 'flagged', 'groups', 'to_remove', 'exact_duplicates', 'threshold', 'model']) {
    assert.deepEqual(a.summary[key], b.summary[key], key);
  }
  assert.equal(a.summary.search.backend, 'exact');
  assert.ok(a.summary.flagged > 0, 'the 600 samples hold near-duplicates');
  assert.equal(a.samples.length, b.samples.length);
  for (let i = 0; i < a.samples.length; i++) {
    const x = a.samples[i];
    const y = b.samples[i];
    for (const col of ['id', 'nearest_id', 'is_duplicate', 'duplicate_of', 'group_id']) assert.equal(x[col], y[col], `row ${i} ${col}`);
    // Sharded exact scores are float64 dots rounded to float32; the unsharded GEMM's differ in the last bits.
    assert.ok(Math.abs(Number(x.max_similarity) - Number(y.max_similarity)) < 1e-5, `row ${i} max_similarity`);
  }
  // The merged tables are in the store for a later scan, the explorer or the export.
  assert.ok(fs.existsSync(path.join(store, 'samples.lance')) && fs.existsSync(path.join(store, 'neighbors.lance')));
  fs.rmSync(tmp, { recursive: true, force: true });
});
